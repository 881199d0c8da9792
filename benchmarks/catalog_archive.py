"""The synthetic archive of benchmarks/catalog.py: small MG DICOMs in an OMI-DB-like tree.

``images/<client>/<study>/<sop>.dcm``, 4 views per study, 2 studies per client,
a mark on ~4% of images, the marks in ``annotations.csv`` (workbook layout) or
as OMI-DB ``imagedb_*.json`` / ``nbss_*.json``. Files are byte templates with
their UIDs patched in, so 200,000 of them are written in minutes.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

__all__ = ["build_archive", "dicom_paths"]

_UID = "1.2.826.0.1.3680043.10.999"
_PH = {"sop": f"{_UID}.1999999.9.9", "study": f"{_UID}.1999999.8", "series": f"{_UID}8.1999999.8",
       "patient": "demd999999"}
_SIDES = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))


def _templates(folder: Path) -> dict:
    """One DICOM per (side, view, manufacturer) with placeholder ids, as bytes."""
    from mammostudio.core.dicom import write_dicom

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 4096, size=(48, 40), dtype=np.uint16)
    out = {}
    for side, view in _SIDES:
        for man, model in (("HOLOGIC, Inc.", "Lorad Selenia"), ("GE MEDICAL SYSTEMS", "Senographe Essential")):
            meta = {"image_id": _PH["sop"], "study_id": _PH["study"], "series_id": _PH["series"],
                    "patient_id": _PH["patient"], "laterality": side, "view": view, "manufacturer": man,
                    "model_name": model, "tube_current_ma": 100 if man.startswith("HOLOGIC") else 80,
                    "magnification": 1.0, "for_presentation": True, "pixel_spacing_mm": 0.07}
            path = write_dicom(folder / f"t{side}{view}{man[:2]}.dcm", pixels, meta)
            out[(side, view, man[:2])] = path.read_bytes()
    return out


def _fill(data: bytes, ids: dict) -> bytes:
    for key, value in ids.items():
        assert len(value) == len(_PH[key]), (key, value)
        data = data.replace(_PH[key].encode(), value.encode())
    return data


def build_archive(root: Path, n_images: int, seed: int = 0, layout: str = "workbook") -> dict:
    """Write the synthetic tree; returns counts.

    ``layout`` 'omidb': the OMI-DB JSON files (imagedb + NBSS per client) beside
    the image tree; 'workbook': the same image tree with the marks in one
    ``annotations.csv`` (read by the workbook reader).
    """
    rng = np.random.default_rng(seed)
    rows = []
    templates = _templates(root.parent / f".{root.name}-templates")
    data_dir, image_dir = root / "data", root / "images"
    per_client, n_lesions, n = 8, 0, 0
    for c in range((n_images + per_client - 1) // per_client):
        client = f"demd{100000 + c:06d}"
        studies, nbss = {}, {}
        man = "HO" if rng.random() < 0.8 else "GE"
        for s in range(2):
            study = f"{_UID}.1{c:06d}.{s + 1}"
            series = f"{_UID}8.1{c:06d}.{s + 1}"
            folder = image_dir / client / study
            folder.mkdir(parents=True, exist_ok=True)
            marks_of_series, episode = {}, {"EpisodeType": "R", "EpisodeIsClosed": "Y"}
            for i, (side, view) in enumerate(_SIDES):
                if n >= n_images:
                    break
                sop = f"{_UID}.1{c:06d}.{s + 1}.{i + 1}"
                ids = {"sop": sop, "study": study, "series": series, "patient": client}
                (folder / f"{sop}.dcm").write_bytes(_fill(templates[(side, view, man)], ids))
                marks = {}
                if rng.random() < 0.04:
                    n_lesions += 1
                    r0, c0 = int(rng.integers(0, 30)), int(rng.integers(0, 25))
                    marks["1"] = {"MarkID": "1", "LesionID": "1", "LinkedNBSSLesionNumber": "1",
                                  "X1": str(c0), "Y1": str(r0), "X2": str(c0 + 10), "Y2": str(r0 + 12),
                                  "Mass" if rng.random() < 0.6 else "SuspiciousCalcifications": "1"}
                    status = f"B{int(rng.integers(2, 6))}"
                    episode.setdefault("BIOPSYWIDE", {}).setdefault(side, {})["1"] = {"Opinion": status}
                    rows.append({"patient_id": client, "study_id": study, "image_id": sop, "lesion_id": "1",
                                 "x1": c0, "y1": r0, "x2": c0 + 10, "y2": r0 + 12, "status": status,
                                 "lesion_type": "Mass" if "Mass" in marks["1"] else "Calcification"})
                marks_of_series[sop] = marks
                n += 1
            if marks_of_series:
                studies[study] = {"StudyDate": "20150105", "EpisodeID": str(s + 1), series: marks_of_series}
                nbss[str(s + 1)] = episode
        if layout == "omidb":
            (data_dir / client).mkdir(parents=True, exist_ok=True)
            (data_dir / client / f"imagedb_{client}.json").write_text(
                json.dumps({"Site": "bench", "STUDIES": studies}))
            (data_dir / client / f"nbss_{client}.json").write_text(json.dumps(nbss))
        if n >= n_images:
            break
    if layout == "workbook":
        import pandas as pd

        from mammostudio.core.readers.workbook import write_workbook

        write_workbook(root / "annotations.csv", pd.DataFrame(rows))
    shutil.rmtree(root.parent / f".{root.name}-templates", ignore_errors=True)
    return {"images": n, "lesions": n_lesions}


def dicom_paths(root: Path) -> list[str]:
    out = []
    for folder, _dirs, files in os.walk(root / "images"):
        out += [os.path.join(folder, f) for f in files if f.endswith(".dcm")]
    return out
