"""CBIS-DDSM: the four case-description CSVs plus the TCIA DICOM download.

::

    mass_case_description_train_set.csv   calc_case_description_train_set.csv
    mass_case_description_test_set.csv    calc_case_description_test_set.csv
    metadata.csv                          (NBIA Data Retriever, optional)
    CBIS-DDSM/Mass-Training_P_00001_LEFT_CC/<date-DDSM-xxx>/<1.000000-full mammogram images-xxx>/1-1.dcm
    CBIS-DDSM/Mass-Training_P_00001_LEFT_CC_1/<...>/<1.000000-ROI mask images-xxx>/1-1.dcm  (+ the crop)

One CSV row per abnormality: patient_id, breast_density (the calc files spell it
``breast density``), left or right breast, image view, abnormality id,
abnormality type, mass shape / mass margins or calc type / calc distribution,
assessment (BI-RADS), pathology (MALIGNANT, BENIGN, BENIGN_WITHOUT_CALLBACK),
subtlety, and the image / cropped image / ROI mask file paths. Those paths
(``<case>/<study UID>/<series UID>/000000.dcm``) do not match the download's
folder names, so a file is found through the path's first component, the case
folder, which both share, anywhere under the dataset folder.

The case folder of the full mammogram gives the image (image_id = that folder
name). The ROI folder holds the mask and the crop, sometimes in one series,
sometimes in two, and their file names and series descriptions are not
reliable; the mask is the file with the full mammogram's size (the crop is
smaller, and is never taken for the mask), then among several such files the
one whose SeriesDescription (or the NBIA metadata.csv's Series Description)
says 'mask'. The lesion box is the
bounding box of the mask's foreground (its pixels are read once; the box is kept in the
dataset's header index, keyed by the mask's path, size and mtime, so a re-open reads no
mask that has not changed).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from ..catalog import Catalog, Problem, normalise_lesion_type
from . import DatasetError
from .validate import finish, read_csv_table
from .workbook_tree import header_rows

__all__ = ["detect", "read", "CASE_CSV", "mask_box"]

CASE_CSV = re.compile(r"^(mass|calc)_case_description_(train|test)_set\.csv$", re.IGNORECASE)
_REQUIRED = ("patient_id", "left_or_right_breast", "image_view", "image_file_path", "roi_mask_file_path")
_DESCRIPTORS = ("subtlety", "calc_type", "calc_distribution", "mass_shape", "mass_margins")


def _case_csvs(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_file() and CASE_CSV.match(p.name))


def detect(root: Path) -> bool:
    """True when ``root`` holds at least one CBIS-DDSM case-description CSV."""
    return bool(_case_csvs(Path(root)))


def _key(header: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", str(header).lower()))


def _case_folder(csv_path: str) -> str:
    """The first component of a CSV file path (the case folder), '' when blank."""
    parts = [p for p in re.split(r"[\\/]", str(csv_path).strip()) if p]
    return parts[0] if parts else ""


def mask_box(mask: np.ndarray) -> dict | None:
    """Bounding box (inclusive) of a binary mask's foreground, or None when it has none.

    The foreground is the minority side of the mid-level between the smallest
    and largest value, so an inverted (MONOCHROME1) mask works too.
    """
    mask = np.asarray(mask)
    low, high = mask.min(), mask.max()
    if low == high:
        return None
    fg = mask > (float(low) + float(high)) / 2
    if fg.sum() > fg.size / 2:
        fg = ~fg
    rows, cols = np.flatnonzero(fg.any(axis=1)), np.flatnonzero(fg.any(axis=0))
    return {"row_min": int(rows[0]), "col_min": int(cols[0]), "row_max": int(rows[-1]), "col_max": int(cols[-1])}


def _nbia_descriptions(root: Path) -> dict[str, str]:
    """Series Description by the last two folders of NBIA metadata.csv's File Location."""
    out = {}
    for meta in sorted(root.glob("metadata.csv")) + sorted(root.glob("*/metadata.csv")):
        try:
            table = read_csv_table(meta)
        except ValueError:
            continue
        cols = {_key(c): c for c in table.columns}
        if "file_location" not in cols or "series_description" not in cols:
            continue
        for loc, desc in zip(table[cols["file_location"]], table[cols["series_description"]]):
            parts = [p for p in re.split(r"[\\/]", str(loc)) if p and p != "."]
            out["/".join(parts[-2:]).lower()] = str(desc)
    return out


def read(root: Path) -> Catalog:
    """Read a CBIS-DDSM folder (see the module docstring) into a Catalog."""
    root = Path(root).resolve()
    books = _case_csvs(root)
    if not books:
        raise DatasetError(f"{root}: no CBIS-DDSM case-description CSV (mass_/calc_case_description_*_set.csv)")
    problems: list[Problem] = []
    records = []
    for book in books:
        try:
            table = read_csv_table(book)
        except ValueError as exc:
            problems.append(Problem(str(book), f"{exc}; file skipped"))
            continue
        table.columns = [_key(c) for c in table.columns]
        missing = [k for k in _REQUIRED if k not in table.columns]
        if missing:
            problems.append(Problem(str(book), f"no column(s) {missing} (found {list(table.columns)}); file skipped"))
            continue
        split = "training" if "train" in book.name.lower() else "test"
        for i, rec in enumerate(table.to_dict("records")):
            records.append({**rec, "_where": f"{book} row {i + 2}", "_split": split})
    wanted = set()
    for rec in records:
        for key in ("image_file_path", "roi_mask_file_path", "cropped_image_file_path"):
            wanted.add(_case_folder(rec.get(key, "")))
    wanted.discard("")
    by_folder: dict[str, list[Path]] = {}
    for path in sorted(root.rglob("*.dcm")):
        rel = path.relative_to(root).parts
        folder = next((p for p in rel[:-1] if p in wanted), None)
        if folder is not None and not any(p.startswith(".") for p in rel):
            by_folder.setdefault(folder, []).append(path)
    heads, head_problems = header_rows([p for files in by_folder.values() for p in files])
    problems += head_problems
    head_of = {h["path"]: h for h in heads}
    described = _nbia_descriptions(root)
    images: dict[str, dict] = {}
    lesions = []
    for rec in records:
        _read_row(rec, root, by_folder, head_of, described, images, lesions, problems)
    lesions = _with_boxes(lesions, problems)
    found: dict[str, list[str]] = {}
    for les in lesions:
        if les["birads"][:1].isdigit():
            found.setdefault(les["image_id"], []).append(les["birads"])
    for image_id, row in images.items():
        row["birads"] = max(found[image_id], key=lambda b: (int(b[0]), b)) if image_id in found else ""
    return finish(list(images.values()), lesions, root=root, fmt="cbis_ddsm", problems=problems)


def _text(rec: dict, *keys: str) -> str:
    for key in keys:
        value = str(rec.get(key, "") or "").strip()
        if value:
            return value
    return ""


def _read_row(rec, root, by_folder, head_of, described, images, lesions, problems) -> None:
    where = rec["_where"]
    folder = _case_folder(rec.get("image_file_path", ""))
    full = [head_of[str(p.resolve())] for p in by_folder.get(folder, []) if str(p.resolve()) in head_of]
    if not full:
        problems.append(Problem(where, f"no readable DICOM file in a folder named {folder!r} under {root} "
                                "(the full mammogram); row skipped"))
        return
    head = max(full, key=lambda h: (_says(h, described, "full"), (h.get("rows") or 0) * (h.get("cols") or 0)))
    side = _text(rec, "left_or_right_breast").upper()[:1]
    if folder not in images:
        images[folder] = {**head, "image_id": folder, "patient_id": _text(rec, "patient_id"),
                          "study_id": head.get("study_id") or folder,
                          "laterality": side if side in ("L", "R") else head.get("laterality", ""),
                          "view": _text(rec, "image_view").upper() or head.get("view", ""),
                          "density": _text(rec, "breast_density", "breast_density_"),
                          "split": rec["_split"]}
    image = images[folder]
    roi_folder = _case_folder(rec.get("roi_mask_file_path", ""))
    crop_folder = _case_folder(rec.get("cropped_image_file_path", ""))
    candidates = [head_of[str(p.resolve())] for f in dict.fromkeys((roi_folder, crop_folder)) if f
                  for p in by_folder.get(f, []) if str(p.resolve()) in head_of]
    mask_head = _pick_mask(candidates, image, described)
    if mask_head is None:
        problems.append(Problem(where, f"no ROI mask found in folder {roi_folder!r} (a file of the full "
                                f"mammogram's size {image.get('rows')}x{image.get('cols')}); lesion skipped"))
        return
    abn = _text(rec, "abnormality_id") or str(sum(1 for x in lesions if x["image_id"] == folder) + 1)
    pathology = _text(rec, "pathology")
    lesions.append({"lesion_uid": f"{folder}:{abn}", "image_id": folder, "lesion_id": abn,
                    "_mask": mask_head["path"],
                    "status": "", "lesion_type": normalise_lesion_type(_text(rec, "abnormality_type")),
                    "pathology": pathology, "birads": _text(rec, "assessment"), "finding": pathology,
                    **{k: _text(rec, k) for k in _DESCRIPTORS},
                    "source": where})


def _box_of(path: str) -> tuple[dict | None, str]:
    """(box, '') from a mask file, or (None, why not)."""
    from ..dicom import DicomError, read_pixels

    try:
        box = mask_box(read_pixels(path))
    except (DicomError, OSError, ValueError) as exc:
        return None, f"unreadable ROI mask ({exc}); lesion skipped"
    return (box, "") if box is not None else (None, "the ROI mask is empty; lesion skipped")


def _cached_boxes(paths) -> dict[str, tuple[dict | None, str]]:
    """{mask path: (box, why not)} for every path, reading only masks the dataset's header
    index does not know at their current size and mtime (inside an open with its cache on)."""
    import os
    import sqlite3

    from ..header_index import index_path, load_derived, save_derived
    from .opening import current_scan

    ctx = current_scan()
    if ctx is None or not getattr(ctx, "cache", False):
        return {path: _box_of(path) for path in paths}
    where = index_path(ctx.root)
    known = load_derived(where, "cbis_mask_box")
    found, changed = {}, {}
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            found[path] = _box_of(path)  # says why it cannot be read
            continue
        stamp = (st.st_size, st.st_mtime_ns)
        hit = known.get(path)
        if hit is not None and tuple(hit[:2]) == stamp:
            found[path] = (hit[2][0], hit[2][1])
        else:
            found[path] = _box_of(path)
            changed[path] = (*stamp, list(found[path]))
    try:
        save_derived(where, "cbis_mask_box", changed)
    except (OSError, sqlite3.Error):
        pass  # a read-only cache folder: the masks are read again next time
    return found


def _with_boxes(pending: list[dict], problems: list) -> list[dict]:
    """Read every mask once (duplicated rows share one; boxes of unchanged masks come from the
    header index) and give each pending lesion its box."""
    found = _cached_boxes(list(dict.fromkeys(les["_mask"] for les in pending)))
    out = []
    for les in pending:
        path = les.pop("_mask")
        box, why = found[path]
        if box is None:
            problems.append(Problem(path, why))
        else:
            out.append({**les, **box})
    return out


def _says(head: dict, described: dict, word: str) -> bool:
    """Whether the file's series description (header, else NBIA metadata.csv) contains ``word``."""
    text = head.get("series_description") or ""
    if not text:
        parts = Path(head["path"]).parts
        text = described.get("/".join(parts[-3:-1]).lower(), "")
    return word in text.lower()


def _pick_mask(candidates: list[dict], image: dict, described: dict) -> dict | None:
    """The ROI mask among the files of the ROI / crop folders (see the module docstring).

    With the full mammogram's size known, only a file of that size can be the
    mask (a crop never is, whatever its series description says).
    """
    size = (image.get("rows"), image.get("cols"))
    others = [h for h in candidates if h["path"] != image["path"]]
    if size[0] and size[1]:
        others = [h for h in others if (h.get("rows"), h.get("cols")) == size]
    if len(others) <= 1:
        return others[0] if others else None
    said = [h for h in others if _says(h, described, "mask")]
    pool = said or others
    return max(pool, key=lambda h: (h.get("rows") or 0) * (h.get("cols") or 0))
