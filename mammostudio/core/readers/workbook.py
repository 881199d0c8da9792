"""The paper's annotation workbook (.xlsx or .csv) beside a batch/patient/study tree.

One workbook row per lesion mark (spec 1.1): Patient ID, Study ID, Series ID,
Image ID (the SOPInstanceUID = the DICOM file's stem), Lesion ID, x1, y1, x2, y2
(x = column, y = row, origin top-left), lesion status (B1..B5), lesion type, and
the acquisition columns of spec 1.3. Column names are matched case-, space- and
punctuation-insensitively, with common aliases ("PatientID", "patient_id",
"SOPInstanceUID", "Biopsy", "mA", ...). A row whose four box cells are all blank
lists an image without a lesion. Images are the DICOM files of the tree; a file
with no row is a normal image. Acquisition fields come from the workbook where
its cells are filled, else from the DICOM header.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..atomic import atomic_path
from ..catalog import Catalog, Problem, empty_images, empty_lesions, status_ordinal, normalise_lesion_type
from . import DatasetError
from .workbook_tree import box_from_xy, header_rows, scan_dicom_tree

__all__ = ["detect", "read", "read_table", "write_workbook", "catalog_to_rows",
           "COLUMNS", "REQUIRED", "WORKBOOK_SUFFIXES"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".csv")

# canonical key -> (header written by write_workbook, accepted aliases)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "patient_id": ("Patient ID", ("patientid", "patient", "clientid", "client")),
    "study_id": ("Study ID", ("studyid", "study", "studyinstanceuid", "studyuid")),
    "series_id": ("Series ID", ("seriesid", "series", "seriesinstanceuid", "seriesuid")),
    "image_id": ("Image ID", ("imageid", "image", "sopinstanceuid", "sopuid", "imagename", "filename")),
    "lesion_id": ("Lesion ID", ("lesionid", "lesion", "markid", "lesionnumber")),
    "x1": ("x1", ("x1", "xmin")),
    "y1": ("y1", ("y1", "ymin")),
    "x2": ("x2", ("x2", "xmax")),
    "y2": ("y2", ("y2", "ymax")),
    "status": ("Lesion status", ("lesionstatus", "status", "biopsy", "biopsycategory",
                                 "biopsyresult", "bcategory", "opinion")),
    "lesion_type": ("Lesion type", ("lesiontype", "type", "abnormality", "abnormalitytype")),
    "manufacturer": ("Manufacturer", ("manufacturer", "make")),
    "model_name": ("Model name", ("modelname", "manufacturermodelname", "model")),
    "tube_current_ma": ("X-ray tube current", ("xraytubecurrent", "xraytubecurrentma", "tubecurrent",
                                               "ma", "xraytubecurrentinma")),
    "magnification": ("Magnification factor", ("magnificationfactor", "magnification",
                                               "estimatedradiographicmagnificationfactor")),
    "for_presentation": ("For presentation", ("forpresentation", "presentationintenttype",
                                              "presentationintent")),
}
REQUIRED = ("image_id", "x1", "y1", "x2", "y2")
_ACQ = ("manufacturer", "model_name", "tube_current_ma", "magnification", "for_presentation")
_ALIAS = {alias: key for key, (head, aliases) in COLUMNS.items()
          for alias in (*aliases, "".join(ch for ch in head.lower() if ch.isalnum()))}


def _key(header) -> str:
    return "".join(ch for ch in str(header).lower() if ch.isalnum())


def _workbooks(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix.lower() in WORKBOOK_SUFFIXES
                  and not p.name.startswith((".", "~$")))


def detect(root: Path) -> bool:
    """True when ``root`` holds an .xlsx/.csv workbook at its top level."""
    return bool(_workbooks(Path(root)))


def _blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value) -> str:
    if _blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as a number comes back as 12.0
    return str(value).strip()


def _number(value) -> float:
    if isinstance(value, bool):
        raise ValueError("a yes/no value where a number belongs")
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        out = float(str(value).strip().replace(",", "."))
    if not math.isfinite(out):
        raise ValueError("not a finite number")
    return out


def _bool(value) -> bool:
    text = str(value).strip().lower().replace("_", " ")
    if text in {"true", "yes", "y", "1", "1.0", "for presentation", "presentation"}:
        return True
    if text in {"false", "no", "n", "0", "0.0", "for processing", "processing"}:
        return False
    raise ValueError("expected yes/no, true/false or FOR PRESENTATION/FOR PROCESSING")


def _raw_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        for encoding in ("utf-8-sig", "latin-1"):
            try:
                return pd.read_csv(path, header=None, dtype=object, encoding=encoding,
                                   keep_default_na=False, skip_blank_lines=False)
            except UnicodeDecodeError:
                continue
    return pd.read_excel(path, header=None, dtype=object, engine="openpyxl")


def read_table(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one workbook into canonical columns, one row per data row.

    Parameters
    ----------
    path : path-like
        An .xlsx/.xlsm (first sheet) or .csv file. The header row is the first of
        the first ten rows that names at least two known columns.

    Returns
    -------
    table : pandas.DataFrame
        Columns: the keys of :data:`COLUMNS` that the workbook has, plus
        ``_row`` (the spreadsheet row number, 1-based, as a user sees it).
        Cells are left as read (object dtype).
    problems : list of Problem
        Duplicate or unknown columns (warnings).

    Raises
    ------
    DatasetError
        If the file cannot be opened, or a required column (Image ID, x1, y1,
        x2, y2) is missing; the message names the workbook and the column.
    """
    path = Path(path)
    try:
        raw = _raw_table(path)
    except Exception as exc:  # openpyxl/pandas raise many types for bad files
        raise DatasetError(f"{path}: cannot read the workbook ({exc})") from exc
    header_at = None
    for i in range(min(10, len(raw))):
        if sum(_key(v) in _ALIAS for v in raw.iloc[i] if not _blank(v)) >= 2:
            header_at = i
            break
    if header_at is None:
        raise DatasetError(f"{path}: no header row with the annotation columns "
                           f"(expected {', '.join(COLUMNS[k][0] for k in REQUIRED)})")
    problems, mapping = [], {}
    for pos, head in enumerate(raw.iloc[header_at]):
        if _blank(head):
            continue
        key = _ALIAS.get(_key(head))
        if key is None:
            continue
        if key in mapping.values():
            problems.append(Problem(str(path), f"column {head!r} repeats {COLUMNS[key][0]!r}; "
                                    "the first one is used", "warning"))
            continue
        mapping[raw.columns[pos]] = key
    for key in REQUIRED:
        if key not in mapping.values():
            raise DatasetError(f"{path}: the workbook has no {COLUMNS[key][0]!r} column "
                               f"(found: {', '.join(str(h) for h in raw.iloc[header_at] if not _blank(h))})")
    body = raw.iloc[header_at + 1:]
    table = body[list(mapping)].rename(columns=mapping).copy()
    table["_row"] = [header_at + 2 + i for i in range(len(body))]
    table = table[~table.drop(columns="_row").apply(lambda r: all(_blank(v) for v in r), axis=1)]
    return table.reset_index(drop=True), problems


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
        image_id = _text(rec.get("image_id"))
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
            continue
        n = per_image_count[image_id] = per_image_count.get(image_id, 0) + 1
        lesion_id = _text(rec.get("lesion_id")) or str(n)
        uid = f"{image_id}:{lesion_id}"
        if uid in uids:
            uid = f"{uid}#{n}"
        uids.add(uid)
        lesions.append({"lesion_uid": uid, "image_id": image_id, "lesion_id": lesion_id, **box,
                        "status": _text(rec.get("status")),
                        "status_ordinal": status_ordinal(_text(rec.get("status"))),
                        "lesion_type": normalise_lesion_type(_text(rec.get("lesion_type"))),
                        "severity": "", "source": where})
    images = []
    for head in headers:
        row = dict(head)
        for key, value in wb_values.get(head["image_id"], {}).items():
            row[key] = value
        images.append(row)
    img_df = pd.DataFrame(images) if images else empty_images()
    les_df = pd.DataFrame(lesions) if lesions else empty_lesions()
    return Catalog(img_df, les_df, root, "workbook", problems)


def _collect_image_values(rec: dict, image_id: str, out: dict, where: str, problems: list) -> None:
    """Per-image workbook values (ids, acquisition) that override the DICOM header."""
    for key in ("patient_id", "study_id", "series_id", "manufacturer", "model_name"):
        text = _text(rec.get(key))
        if text:
            out[key] = text
    for key, parse in (("tube_current_ma", _number), ("magnification", _number),
                       ("for_presentation", _bool)):
        value = rec.get(key)
        if _blank(value):
            continue
        try:
            out[key] = parse(value)
        except ValueError as exc:
            problems.append(Problem(where, f"unreadable {COLUMNS[key][0]!r} cell {value!r} ({exc}); "
                                    "using the DICOM header's value", "warning"))


def _row_box(rec: dict, head: dict, where: str, problems: list) -> dict | None:
    """The catalog box of one row, or None for a normal-image row or a bad box."""
    cells = {k: rec.get(k) for k in ("x1", "y1", "x2", "y2")}
    if all(_blank(v) for v in cells.values()):
        return None  # the row lists an image without a lesion
    values = {}
    for key, value in cells.items():
        try:
            if _blank(value):
                raise ValueError("empty")
            values[key] = _number(value)
        except ValueError:
            problems.append(Problem(where, f"unreadable {key!r} cell {_text(value)!r} "
                                    "(expected a pixel coordinate); row skipped"))
            return None
    return box_from_xy(values["x1"], values["y1"], values["x2"], values["y2"],
                       rows=head.get("rows"), cols=head.get("cols"), where=where, problems=problems)


def catalog_to_rows(catalog: Catalog) -> pd.DataFrame:
    """Workbook rows of a catalog: one per lesion box, one per image without boxes.

    Returns
    -------
    pandas.DataFrame
        Columns: the keys of :data:`COLUMNS` (x = column, y = row).
    """
    rows = []
    boxed = catalog.lesions.groupby("image_id")
    groups = {k: g for k, g in boxed}
    for img in catalog.images.to_dict("records"):
        base = {k: img.get(k) for k in ("patient_id", "study_id", "series_id", "image_id", *_ACQ)}
        les = groups.get(img["image_id"])
        if les is None:
            rows.append({**base, "lesion_id": "", "x1": None, "y1": None, "x2": None, "y2": None,
                         "status": "", "lesion_type": ""})
            continue
        for le in les.to_dict("records"):
            rows.append({**base, "lesion_id": le["lesion_id"], "x1": int(le["col_min"]),
                         "y1": int(le["row_min"]), "x2": int(le["col_max"]), "y2": int(le["row_max"]),
                         "status": le["status"], "lesion_type": le["lesion_type"]})
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
    keys = [k for k in COLUMNS if k in rows.columns]
    out = rows[keys].copy()
    if "for_presentation" in out:
        out["for_presentation"] = [None if _blank(v) else bool(v) for v in out["for_presentation"]]
    out = out.astype(object).where(out.notna(), None)
    out.columns = [COLUMNS[k][0] for k in keys]
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            out.to_csv(tmp, index=False)
        else:
            out.to_excel(tmp, index=False, sheet_name="annotations", engine="openpyxl")
    return path
