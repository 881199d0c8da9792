"""Next / previous image and study in the browser's order, and the radiology hanging
order of a study's images (pure functions, no Qt)."""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["neighbour_image", "neighbour_study", "hanging_rank", "in_hanging_order", "chest_wall_side", "HANGING"]

# The order a screening study is read in (and its images listed): both CCs, then both MLOs, right first.
HANGING = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))


def hanging_rank(laterality: str, view: str) -> int:
    """Place of an image in the hanging order RCC, LCC, RMLO, LMLO; other views after
    (right before left), unknown last."""
    lat, v = str(laterality or "").upper()[:1], str(view or "").upper()
    base = next((i for i, (s, name) in enumerate(HANGING) if s == lat and v.startswith(name)), None)
    if base is not None:
        return base
    return 4 + (0 if lat == "R" else 1 if lat == "L" else 2)


def in_hanging_order(images: pd.DataFrame) -> pd.DataFrame:
    """``images`` sorted by patient, study, hanging rank, then image id (a stable order)."""
    n = len(images)
    blank = [""] * n
    rank = [hanging_rank(lat, v) for lat, v in zip(images.get("laterality", blank), images.get("view", blank))]
    keys = [images[k].astype(str).tolist() for k in ("patient_id", "study_id") if k in images.columns]
    ids = images["image_id"].astype(str).tolist()
    # a plain sort of (keys, rank, id): a study holds a handful of images, and the
    # viewer calls this for each image it shows (pandas' sort costs milliseconds more)
    order = sorted(range(n), key=lambda i: (*(k[i] for k in keys), rank[i], ids[i]))
    return images.iloc[order]


def neighbour_image(ids: list[str], current: str, step: int) -> str:
    """The id ``step`` places after ``current`` in ``ids`` (clamped; first id when ``current`` is absent)."""
    if not ids:
        return ""
    if current not in ids:
        return ids[0]
    return ids[min(max(ids.index(current) + step, 0), len(ids) - 1)]


def neighbour_study(ids: list[str], images: pd.DataFrame, current: str, step: int) -> str:
    """First image (in ``ids`` order) of the study ``step`` studies after the current one."""
    if not ids:
        return ""
    study_of = dict(zip(images["image_id"], images["study_id"]))
    studies: list[str] = []
    first: dict[str, str] = {}
    for iid in ids:
        s = study_of.get(iid, "")
        if s not in first:
            first[s] = iid
            studies.append(s)
    here = study_of.get(current)
    if here not in first:
        return ids[0]
    i = min(max(studies.index(here) + step, 0), len(studies) - 1)
    return first[studies[i]]


def _date(value) -> str:
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
    return f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 and text.isdigit() else text


def image_annotation(row: dict, study: pd.DataFrame, chest_wall: str) -> tuple[dict, str, tuple]:
    """What a radiology viewer writes on an image: corner text, marker, orientation letters.

    Parameters
    ----------
    row : dict
        The image's catalog row.
    study : DataFrame
        The images of its study (for 'image n of m' in hanging order).
    chest_wall : {'left', 'right'}
        The image side the chest wall is on (as stored).

    Returns
    -------
    (corners, marker, orientation)
        ``corners`` lines per corner ('tl', 'tr', 'br'; the canvas adds window
        and zoom bottom left); ``marker`` laterality + view ('R CC');
        ``orientation`` the patient-direction letters of the image's left,
        right, top and bottom edges: P at the chest wall, A at the nipple; a CC's
        top is lateral (the breast's own side), an MLO's top is head (H), its
        bottom feet (F) - DICOM PatientOrientation P\\L, A\\R, P\\F, A\\F.
    """
    lat, view = str(row.get("laterality") or "").upper()[:1], str(row.get("view") or "").upper()
    ids = list(in_hanging_order(study)["image_id"]) if len(study) else []
    here = str(row.get("image_id", ""))
    tl = [f"Patient {row.get('patient_id', '')}"]
    if _date(row.get("study_date")):
        tl.append(_date(row.get("study_date")))
    tr = [f"Image {ids.index(here) + 1} of {len(ids)}"] if here in ids else []
    device = " ".join(str(row.get(k) or "") for k in ("manufacturer", "model_name")).strip()
    if device:
        tr.append(device[:40])
    rows, cols = row.get("rows"), row.get("cols")
    spacing = row.get("pixel_spacing_mm")
    br = [f"{rows} x {cols}" if rows and cols else ""]
    br.append(f"{float(spacing):.3g} mm/pixel" if spacing is not None and spacing == spacing else "pixel spacing unknown")
    wall, nipple = ("P", "A")
    left, right = (wall, nipple) if chest_wall == "left" else (nipple, wall)
    other = {"R": "L", "L": "R"}.get(lat, "")
    top, bottom = (lat, other) if view.startswith("CC") else ("H", "F") if view.startswith("MLO") else ("", "")
    marker = f"{lat} {view}".strip()
    return {"tl": tl, "tr": tr, "br": [b for b in br if b]}, marker, (left, right, top, bottom)


def chest_wall_side(image: np.ndarray, patient_orientation=None) -> str:
    """'left' or 'right': the image side the chest wall is on, as stored.

    From the DICOM PatientOrientation when it says (its first value is the
    direction of increasing column: ``A`` anterior, towards the nipple, puts the
    chest wall on the left; ``P`` posterior on the right); otherwise the side
    where the breast touches the edge (more signal in the outer eighth).
    """
    if isinstance(patient_orientation, str):
        patient_orientation = patient_orientation.split("\\")  # the DICOM text form 'A\\R'
    values = [str(v).strip().upper() for v in (patient_orientation or [])]
    first = values[0][:1] if values else ""
    if first in ("A", "P"):
        return "left" if first == "A" else "right"
    cols = image.shape[1]
    band = max(1, cols // 8)
    col_mean = np.asarray(image, np.float64).mean(axis=0)
    return "left" if col_mean[:band].mean() >= col_mean[-band:].mean() else "right"
