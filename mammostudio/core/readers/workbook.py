"""The paper's annotation workbook (.xlsx or .csv) beside a batch/patient/study tree.

One workbook row per lesion mark (spec 1.1): Patient ID, Study ID, Series ID,
Image ID (the SOPInstanceUID = the DICOM file's stem), Lesion ID, x1, y1, x2, y2
(x = column, y = row, origin top-left), lesion status (B1..B5), lesion type, and
the acquisition columns of spec 1.3; optionally Pathology (benign / malignant),
BI-RADS (of the box; on a row without a box, of the image) and Density (A-D or
ACR 1-4, per image). Column names are matched case-, space- and
punctuation-insensitively, with common aliases ("PatientID", "patient_id",
"SOPInstanceUID", "Biopsy", "mA", ...). A row whose four box cells are all blank
lists an image without a lesion. Images are the DICOM files of the tree; a file
with no row is a normal image. Acquisition fields come from the workbook where
its cells are filled, else from the DICOM header.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import atomic_path
from ..catalog import Catalog, Problem, normalise_lesion_type, status_ordinal
from . import DatasetError
from .workbook_table import (ACQUISITION, COLUMNS, REQUIRED, WORKBOOK_SUFFIXES, blank, cell_bool, cell_number,
                             cell_text, looks_like_annotations, read_table)
from .validate import finish
from .workbook_tree import box_from_xy, header_rows, scan_dicom_tree

__all__ = ["detect", "read", "read_table", "write_workbook", "catalog_to_rows",
           "COLUMNS", "REQUIRED", "WORKBOOK_SUFFIXES"]


def _workbooks(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
                  and not p.name.startswith((".", "~$")))


def detect(root: Path) -> bool:
    """True when ``root`` holds an .xlsx workbook, or a .csv with annotation columns, at its top level."""
    return any(looks_like_annotations(book) for book in _workbooks(Path(root)))


def read(root: Path) -> Catalog:
    """Read a workbook folder (see the module docstring) into a Catalog."""
    root = Path(root).resolve()
    books = _workbooks(root)
    if not books:
        raise DatasetError(f"{root}: no annotation workbook (.xlsx/.csv) in this folder")
    tables, problems = [], []
    for book in books:
        table, probs = read_table(book)
        table["_book"] = book.name
        tables.append(table)
        problems += probs
    table = pd.concat(tables, ignore_index=True)
    files, tree_problems = scan_dicom_tree(root)
    problems += tree_problems
    headers, head_problems = header_rows(files)
    problems += head_problems
    by_id = {h["image_id"]: h for h in headers}
    wb_values: dict[str, dict] = {}
    lesions, per_image_count, absent, uids = [], {}, set(), set()
    for rec in table.to_dict("records"):
        where = f"{root / rec['_book']} row {rec['_row']}"
        image_id = cell_text(rec.get("image_id"))
        if not image_id:
            problems.append(Problem(where, "no Image ID; row skipped"))
            continue
        if image_id not in by_id:
            if image_id not in absent:
                absent.add(image_id)
                problems.append(Problem(where, f"image {image_id!r} is listed but no DICOM file "
                                        f"{image_id}.dcm was found in the folder tree; skipped"))
            continue
        _collect_image_values(rec, image_id, wb_values.setdefault(image_id, {}), where, problems)
        box = _row_box(rec, by_id[image_id], where, problems)
        if box is None:
            if cell_text(rec.get("birads")) and all(blank(rec.get(k)) for k in ("x1", "y1", "x2", "y2")):
                wb_values[image_id]["birads"] = cell_text(rec.get("birads"))  # a row for the image itself
            continue
        n = per_image_count[image_id] = per_image_count.get(image_id, 0) + 1
        lesion_id = cell_text(rec.get("lesion_id")) or str(n)
        uid = f"{image_id}:{lesion_id}"
        if uid in uids:
            uid = f"{uid}#{n}"
        uids.add(uid)
        lesions.append({"lesion_uid": uid, "image_id": image_id, "lesion_id": lesion_id, **box,
                        "status": cell_text(rec.get("status")),
                        "status_ordinal": status_ordinal(cell_text(rec.get("status"))),
                        "lesion_type": normalise_lesion_type(cell_text(rec.get("lesion_type"))),
                        "pathology": cell_text(rec.get("pathology")), "birads": cell_text(rec.get("birads")),
                        "source": where, "simulated": _simulated(rec, where, problems)})
    images = []
    for head in headers:
        row = dict(head)
        for key, value in wb_values.get(head["image_id"], {}).items():
            row[key] = value
        images.append(row)
    return finish(images, lesions, root=root, fmt="workbook", problems=problems)


def _simulated(rec: dict, where: str, problems: list) -> bool:
    """The row's Simulated flag (blank or absent = False)."""
    value = rec.get("simulated")
    if blank(value):
        return False
    try:
        return cell_bool(value)
    except ValueError as exc:
        problems.append(Problem(where, f"unreadable 'Simulated' cell {value!r} ({exc}); taken as no", "warning"))
        return False


def _collect_image_values(rec: dict, image_id: str, out: dict, where: str, problems: list) -> None:
    """Per-image workbook values (ids, acquisition) that override the DICOM header."""
    for key in ("patient_id", "study_id", "series_id", "manufacturer", "model_name", "density"):
        text = cell_text(rec.get(key))
        if text:
            out[key] = text
    for key, parse in (("tube_current_ma", cell_number), ("magnification", cell_number),
                       ("for_presentation", cell_bool)):
        value = rec.get(key)
        if blank(value):
            continue
        try:
            out[key] = parse(value)
        except ValueError as exc:
            problems.append(Problem(where, f"unreadable {COLUMNS[key][0]!r} cell {value!r} ({exc}); "
                                    "using the DICOM header's value", "warning"))


def _row_box(rec: dict, head: dict, where: str, problems: list) -> dict | None:
    """The catalog box of one row, or None for a normal-image row or a bad box."""
    cells = {k: rec.get(k) for k in ("x1", "y1", "x2", "y2")}
    if all(blank(v) for v in cells.values()):
        return None  # the row lists an image without a lesion
    values = {}
    for key, value in cells.items():
        try:
            if blank(value):
                raise ValueError("empty")
            values[key] = cell_number(value)
        except ValueError:
            problems.append(Problem(where, f"unreadable {key!r} cell {cell_text(value)!r} "
                                    "(expected a pixel coordinate); row skipped"))
            return None
    return box_from_xy(values["x1"], values["y1"], values["x2"], values["y2"],
                       rows=head.get("rows"), cols=head.get("cols"), where=where, problems=problems)


def catalog_to_rows(catalog: Catalog, *, pseudo=None) -> pd.DataFrame:
    """Workbook rows of a catalog: one per lesion box, one per image without boxes.

    Parameters
    ----------
    catalog : Catalog
    pseudo : mammostudio.core.privacy.Pseudonymiser, optional
        Replaces patient and study ids by pseudonyms (None: written as they are).

    Returns
    -------
    pandas.DataFrame
        Columns: the keys of :data:`COLUMNS` (x = column, y = row).
    """
    rows = []
    boxed = catalog.lesions.groupby("image_id")
    groups = {k: g for k, g in boxed}
    for img in catalog.images.to_dict("records"):
        base = {k: img.get(k) for k in ("patient_id", "study_id", "series_id", "image_id", "density",
                                        *ACQUISITION)}
        if pseudo is not None and not pseudo.keep:
            base["patient_id"], base["study_id"] = pseudo.patient(base["patient_id"]), pseudo.study(base["study_id"])
            base["series_id"] = ""  # a SeriesInstanceUID links back to the archive
        les = groups.get(img["image_id"])
        if les is None:
            rows.append({**base, "lesion_id": "", "x1": None, "y1": None, "x2": None, "y2": None,
                         "status": "", "lesion_type": "", "pathology": "", "birads": img.get("birads", "")})
            continue
        for le in les.to_dict("records"):
            rows.append({**base, "lesion_id": le["lesion_id"], "x1": int(le["col_min"]),
                         "y1": int(le["row_min"]), "x2": int(le["col_max"]), "y2": int(le["row_max"]),
                         "status": le["status"], "lesion_type": le["lesion_type"],
                         "pathology": le.get("pathology", ""), "birads": le.get("birads", ""),
                         "simulated": bool(le.get("simulated", False)) or None})
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_workbook(path: str | Path, rows: pd.DataFrame) -> Path:
    """Write annotation rows in the workbook layout that :func:`read` reads (atomic).

    Parameters
    ----------
    path : path-like
        Destination; ``.csv`` writes CSV, anything else an .xlsx workbook.
    rows : pandas.DataFrame
        Columns named by the keys of :data:`COLUMNS` (missing ones are left out
        of the file unless required); see :func:`catalog_to_rows`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    missing = [k for k in REQUIRED if k not in rows.columns]
    if missing:
        raise ValueError(f"rows: missing required columns {missing}")
    keys = [k for k in COLUMNS if k in rows.columns
            and not (k == "simulated" and rows[k].map(blank).all())]  # no empty Simulated column
    out = rows[keys].copy()
    if "for_presentation" in out:
        out["for_presentation"] = [None if blank(v) else bool(v) for v in out["for_presentation"]]
    out = out.astype(object).where(out.notna(), None)
    out.columns = [COLUMNS[k][0] for k in keys]
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            out.to_csv(tmp, index=False)
        else:
            out.to_excel(tmp, index=False, sheet_name="annotations", engine="openpyxl")
    return path
