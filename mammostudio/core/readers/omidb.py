"""The OMI-DB JSON tree (spec 1.2), plain and ``FFDM/`` layouts.

::

    data/<client>/imagedb_<client>.json     STUDIES[study][series][sop][mark]
    data/<client>/nbss_<client>.json        episodes -> lesions -> opinions
    data/<client>/<StudyUID>/<SOPUID>.json  the DICOM header as DICOM-JSON
    images/<client>/<StudyUID>/<SOPUID>.dcm the pixels

Newer releases put ``data`` and ``images`` under ``FFDM/DATA`` and
``FFDM/IMAGES``; file names vary in case (``NBSS_``, ``IMAGEDB_``) and the
header may be ``<SOP>.dcm.json``. A mark's X1, Y1, X2, Y2 (strings; x = column)
give the box; its type flags give the lesion type; its LinkedNBSSLesionNumber,
looked up in the NBSS episode the study names by EpisodeID, gives the biopsy
category (the lesion's B1..B5 Opinion). The writer is :mod:`.omidb_write`.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from ..catalog import Catalog, Problem, status_ordinal
from . import DatasetError
from .omidb_json import header_from_dicom_json
from .validate import finish
from .workbook_tree import box_from_xy, header_row

__all__ = ["detect", "read", "find_layout", "client_file", "MARK_TYPE_FLAGS", "opinion_category"]

_IUID = re.compile(r"^[\d.]+$")

# imagedb mark flag -> catalog lesion type
MARK_TYPE_FLAGS: dict[str, str] = {
    "Mass": "mass",
    "WithCalcification": "calcification",
    "SuspiciousCalcifications": "calcification",
    "FocalAsymmetry": "focal asymmetry",
    "ArchitecturalDistortion": "architectural distortion",
}
# NBSS opinion texts of the B codes (the code itself is also accepted)
_B_TEXT = {"unsatis/normal": "B1", "benign": "B2", "benign unc mal": "B3",
           "susp of malig": "B4", "malignant": "B5"}
_OPINION_EVENTS = ("BIOPSYWIDE", "BIOPSYFINE", "SURGERY", "CLINICAL", "ASSESSMENT")


@functools.lru_cache(maxsize=4096)
def _listing(folder: str) -> dict[str, Path]:
    try:
        entries = sorted(Path(folder).iterdir(), reverse=True)
    except OSError:
        return {}
    return {e.name.lower(): e for e in entries}  # reverse: the first name wins a case clash


def _child(folder: Path, *names: str) -> Path | None:
    """The entry of ``folder`` whose name matches one of ``names`` ignoring case."""
    listing = _listing(str(folder))
    for name in names:
        if name.lower() in listing:
            return listing[name.lower()]
    return None


def find_layout(root: str | Path) -> tuple[Path, Path] | None:
    """``(data_dir, image_dir)`` of an OMI-DB tree at ``root``, or None.

    Looks for ``data``/``images`` at the top, then under ``FFDM`` (any case).
    """
    root = Path(root)
    _listing.cache_clear()
    for base in (root, _child(root, "FFDM")):
        if base is None:
            continue
        data, images = _child(base, "data"), _child(base, "images")
        if data is not None and data.is_dir():
            return data, images if images is not None else base / "images"
    return None


def client_file(client_dir: Path, kind: str) -> Path | None:
    """``<kind>_<client>.json`` in ``client_dir``, any case (kind 'imagedb' or 'nbss')."""
    return _child(client_dir, f"{kind}_{client_dir.name}.json")


def detect(root: Path) -> bool:
    """True when ``root`` holds an OMI-DB data folder with at least one imagedb file."""
    layout = find_layout(root)
    if layout is None:
        return False
    return any(client_file(c, "imagedb") for c in layout[0].iterdir() if c.is_dir())


def opinion_category(opinion) -> str:
    """'B1'..'B5' from an NBSS Opinion ('B5' or its text 'Malignant'), else ''."""
    text = str(opinion or "").strip()
    if re.fullmatch(r"[Bb][1-5]", text):
        return text.upper()
    return _B_TEXT.get(text.lower(), "")


def _load_json(path: Path, problems: list) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        problems.append(Problem(str(path), f"unreadable JSON ({exc})"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(str(path), "expected a JSON object at the top level"))
        return None
    return data


def read(root: Path) -> Catalog:
    """Read an OMI-DB tree (see the module docstring) into a Catalog."""
    root = Path(root).resolve()
    _listing.cache_clear()  # folders may have changed since the last read
    layout = find_layout(root)
    if layout is None:
        raise DatasetError(f"{root}: no OMI-DB data folder (data/ or FFDM/DATA/)")
    data_dir, image_dir = layout
    images, lesions, problems = [], [], []
    uids: set[str] = set()  # lesion uids so far, all clients (one set: linear in the clients)
    clients = [c for c in sorted(data_dir.iterdir()) if c.is_dir()]
    for client_dir in clients:
        imagedb_path = client_file(client_dir, "imagedb")
        if imagedb_path is None:
            problems.append(Problem(str(client_dir), f"no imagedb_{client_dir.name}.json; client skipped"))
            continue
        imagedb = _load_json(imagedb_path, problems)
        if imagedb is None:
            continue
        nbss_path = client_file(client_dir, "nbss")
        nbss = _load_json(nbss_path, problems) if nbss_path else None
        if nbss is None and nbss_path is None:
            problems.append(Problem(str(client_dir), f"no nbss_{client_dir.name}.json; "
                                    "biopsy categories unknown", "warning"))
        img_dir = _child(image_dir, client_dir.name) or image_dir / client_dir.name
        _read_client(client_dir, img_dir, imagedb, nbss or {}, imagedb_path, images, lesions, problems, uids)
    ids = set()
    unique = []
    for row in images:
        if row["image_id"] in ids:
            problems.append(Problem(row["path"], f"image {row['image_id']} appears twice; second skipped"))
            continue
        ids.add(row["image_id"])
        unique.append(row)
    return finish(unique, lesions, root=root, fmt="omidb", problems=problems)


def _read_client(client_dir, img_dir, imagedb, nbss, imagedb_path, images, lesions, problems, uids) -> None:
    """Append one client's images and lesions; ``uids`` (the lesion uids of every client read
    so far) is updated in place, so a repeated uid gets its mark key appended."""
    studies = imagedb.get("STUDIES")
    if not isinstance(studies, dict):
        problems.append(Problem(str(imagedb_path), "no STUDIES object; client skipped"))
        return
    listed = set()
    for study_id, study in studies.items():
        if not isinstance(study, dict):
            continue
        episode = nbss.get(str(study.get("EpisodeID", "")))
        study_img_dir = _child(img_dir, study_id) or img_dir / study_id
        for series_id, series in study.items():
            if not (isinstance(series, dict) and _IUID.match(series_id)):
                continue
            for sop, marks in series.items():
                if not _IUID.match(sop):
                    continue
                listed.add(sop)
                row = _image_row(client_dir, study_img_dir, study_id, series_id, sop, problems)
                if row is None:
                    continue
                images.append(row)
                if isinstance(marks, dict):
                    for mark_key, mark in marks.items():
                        les = _mark_lesion(mark, mark_key, row, episode, f"{imagedb_path} {study_id}/{sop}",
                                           problems)
                        if les is not None:
                            if les["lesion_uid"] in uids:
                                les["lesion_uid"] += f"#{mark_key}"
                            uids.add(les["lesion_uid"])
                            lesions.append(les)
    # DICOMs on disk that imagedb does not list are still images (without marks)
    if img_dir.is_dir():
        for dcm in sorted(img_dir.glob("*/*")):
            stem = dcm.name.split(".dcm")[0] if dcm.suffix.lower() == ".dcm" else None
            if stem and stem not in listed and not dcm.name.startswith("."):
                row = _image_row(client_dir, dcm.parent, dcm.parent.name, "", stem, problems)
                if row is not None:
                    images.append(row)


def _image_row(client_dir: Path, study_img_dir: Path, study_id: str, series_id: str, sop: str,
               problems: list) -> dict | None:
    dcm = _child(study_img_dir, f"{sop}.dcm")
    if dcm is None:
        problems.append(Problem(str(study_img_dir / f"{sop}.dcm"),
                                "image listed in imagedb but its DICOM file is absent; skipped"))
        return None
    study_data = _child(client_dir, study_id)
    header_json = None
    if study_data is not None:
        header_json = _child(study_data, f"{sop}.json", f"{sop}.dcm.json")
    header = None
    if header_json is not None:
        doc = _load_json(header_json, problems)
        if doc is not None:
            try:
                header = header_from_dicom_json(doc)
            except ValueError as exc:
                problems.append(Problem(str(header_json), f"{exc}; reading the DICOM header instead", "warning"))
                header = None
            if header is not None and header["rows"] is None:  # a stub without the image module
                header = None
    try:
        row = header_row(dcm, header)
    except Exception as exc:  # DicomError and friends: the file named in the message
        problems.append(Problem(str(dcm), f"not a readable DICOM file; skipped ({exc})"))
        return None
    row.update(image_id=sop, patient_id=client_dir.name, study_id=study_id,
               series_id=series_id or row.get("series_id", ""))
    return row


def _mark_lesion(mark, mark_key: str, image: dict, episode, where: str, problems: list) -> dict | None:
    if not isinstance(mark, dict):
        problems.append(Problem(where, f"mark {mark_key!r} is not an object; skipped"))
        return None
    where = f"{where} mark {mark.get('MarkID', mark_key)}"
    try:
        xy = [float(str(mark[k]).strip()) for k in ("X1", "Y1", "X2", "Y2")]
    except (KeyError, ValueError) as exc:
        problems.append(Problem(where, f"unreadable box coordinate ({exc}); mark skipped"))
        return None
    box = box_from_xy(*xy, rows=image.get("rows"), cols=image.get("cols"), where=where, problems=problems)
    if box is None:
        return None
    types = sorted({t for flag, t in MARK_TYPE_FLAGS.items() if _flag(mark.get(flag))})
    lesion_id = str(mark.get("LesionID") or mark.get("MarkID") or mark_key).strip()
    status = _mark_status(mark, image, episode)
    return {"lesion_uid": f"{image['image_id']}:{lesion_id}", "image_id": image["image_id"],
            "lesion_id": lesion_id, **box, "status": status, "status_ordinal": status_ordinal(status),
            "lesion_type": "+".join(types), "severity": "", "source": where}


def _flag(value) -> bool:
    return bool(value) and str(value).strip().lower() not in {"0", "false", "n", "no", "none", "null"}


def _mark_status(mark: dict, image: dict, episode) -> str:
    """Highest B category among the NBSS lesions the mark links to ('' if none)."""
    if not isinstance(episode, dict):
        return ""
    numbers = []
    for part in str(mark.get("LinkedNBSSLesionNumber") or "").split(","):
        try:
            numbers.append(str(int(part)))
        except ValueError:
            continue
    side = str(image.get("laterality") or "").upper()
    sides = [side] if side in ("L", "R") else ["L", "R"]
    found = []
    for number in numbers:
        for event in _OPINION_EVENTS:
            for s in sides:
                entry = ((episode.get(event) or {}).get(s) or {}).get(number)
                if isinstance(entry, dict) and opinion_category(entry.get("Opinion")):
                    found.append(opinion_category(entry.get("Opinion")))
    return max(found, key=lambda b: int(b[1])) if found else ""
