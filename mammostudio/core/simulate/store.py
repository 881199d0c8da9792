"""The simulated dataset folder: one image's files, and the workbook rebuilt from them.

Used by the headless job (:mod:`.dataset`) and by Simulate mode's "save"; the
layout is described in :mod:`.dataset`. The workbook is always rebuilt from
what is on disk (the provenance JSONs and the DICOM headers), so images saved
one at a time from the GUI, batch runs and resumed runs all end in one
consistent ``annotations.xlsx``.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..images import write_png
from ..privacy import Pseudonymiser
from .derived import write_derived

__all__ = ["image_path", "write_simulated_image", "rebuild_workbook", "read_provenance", "WORKBOOK_NAME"]

WORKBOOK_NAME = "annotations.xlsx"


def image_path(out: Path, patient: str, uids: dict) -> Path:
    """Where the derived DICOM of an image goes (``patient``: the pseudonym, unless identifiers are kept)."""
    return Path(out) / "images" / str(patient) / uids["study_id"] / f"{uids['image_id']}.dcm"


def write_simulated_image(out, source: dict, image: np.ndarray, lesions: list[dict], *, uids: dict,
                          seed: int, description: str, pseudo: Pseudonymiser) -> Path:
    """Write one simulated image: provenance per lesion, the label mask, then the DICOM (last).

    Parameters
    ----------
    out : path-like
        The simulated dataset folder.
    source : dict
        The source image's catalog row.
    image : numpy.ndarray (rows, cols)
        The image with its lesions (presentation sense).
    lesions : list of dict
        One per inserted lesion: ``lesion_index`` (1-based), ``box``,
        ``support`` (float window array) and ``window`` plus any provenance
        fields (JSON-ready values).
    uids : dict
        The derived image's UIDs (:func:`~.derived.derived_uids`).
    seed : int
    description : str
        DerivationDescription.
    pseudo : Pseudonymiser
        The source dataset's: the patient folder, the DICOM header and the
        provenance get its pseudonyms and relative paths.

    Returns
    -------
    pathlib.Path
        The DICOM path.
    """
    out = Path(out)
    sop = uids["image_id"]
    path = image_path(out, pseudo.patient(source["patient_id"]), uids)
    labels = np.zeros(image.shape, np.uint8)
    for le in lesions:
        r0, c0, r1, c1 = le["window"]
        labels[r0:r1, c0:c1][le["support"] >= 0.5] = le["lesion_index"]
        prov = {"source_image": {"image_id": str(source["image_id"]),
                                 "patient_id": pseudo.patient(source.get("patient_id", "")),
                                 "study_id": pseudo.study(source.get("study_id", "")),
                                 "path": pseudo.path(source.get("path", ""))},
                "derived_image": {**uids, "file": path.relative_to(out).as_posix()}, "seed": int(seed),
                **{k: v for k, v in le.items() if k != "support"}}
        write_text(out / "provenance" / f"{sop}_lesion{le['lesion_index']}.json", json.dumps(prov, indent=2) + "\n")
    if lesions:
        write_png(out / "masks" / f"{sop}.png", labels)
    return write_derived(path, source, image, uids=uids, description=description, pseudo=pseudo)


def read_provenance(out) -> list[dict]:
    """Every provenance record of a simulated dataset, sorted by image and lesion."""
    recs = [json.loads(p.read_text(encoding="utf-8")) for p in Path(out).glob("provenance/*.json")]
    return sorted(recs, key=lambda r: (r["derived_image"]["image_id"], r["lesion_index"]))


def rebuild_workbook(out) -> Path | None:
    """Write ``annotations.xlsx`` from the folder's DICOMs and provenance; None when empty."""
    from ..dicom import read_header
    from ..readers.workbook import write_workbook

    out = Path(out)
    by_image: dict[str, list[dict]] = {}
    for rec in read_provenance(out):
        by_image.setdefault(rec["derived_image"]["image_id"], []).append(rec)
    rows = []
    for path in sorted(out.glob("images/*/*/*.dcm")):
        head = read_header(path)
        base = {"patient_id": head.get("patient_id") or path.parent.parent.name, "study_id": head.get("study_id"),
                "series_id": head.get("series_id"), "image_id": path.stem}
        lesions = by_image.get(path.stem, [])
        if not lesions:
            rows.append({**base, "lesion_id": "", "x1": None, "y1": None, "x2": None, "y2": None,
                         "status": "", "lesion_type": "", "simulated": None})
        for le in lesions:
            r0, c0, r1, c1 = le["box"]
            rows.append({**base, "lesion_id": f"sim{le['lesion_index']}", "x1": c0, "y1": r0, "x2": c1, "y2": r1,
                         "status": le.get("status", ""), "lesion_type": le.get("lesion_type", ""),
                         "simulated": True})
    if not rows:
        return None
    return write_workbook(out / WORKBOOK_NAME, pd.DataFrame(rows))
