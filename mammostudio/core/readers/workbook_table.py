"""One annotation workbook as a table: header row, column aliases, cell values.

Column names are matched case-, space- and punctuation-insensitively against
the aliases of :data:`COLUMNS`; the header row may follow a few title rows.
Cells are parsed by :func:`cell_text`, :func:`cell_number` and
:func:`cell_bool`, which raise ValueError for a cell a user must fix.
Used by :mod:`.workbook`, which reads and writes the whole dataset.
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from ..catalog import Problem
from . import DatasetError
from .validate import read_csv_table

__all__ = ["COLUMNS", "REQUIRED", "ACQUISITION", "WORKBOOK_SUFFIXES", "read_table", "looks_like_annotations",
           "blank", "cell_text", "cell_number", "cell_bool"]

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
    "pathology": ("Pathology", ("pathology", "severity", "diagnosis", "histology", "benignmalignant")),
    "birads": ("BI-RADS", ("birads", "biradsassessment", "assessment", "biradscategory")),
    "density": ("Density", ("density", "breastdensity", "acr", "composition", "breastcomposition")),
    "manufacturer": ("Manufacturer", ("manufacturer", "make")),
    "model_name": ("Model name", ("modelname", "manufacturermodelname", "model")),
    "tube_current_ma": ("X-ray tube current", ("xraytubecurrent", "xraytubecurrentma", "tubecurrent",
                                               "ma", "xraytubecurrentinma")),
    "magnification": ("Magnification factor", ("magnificationfactor", "magnification",
                                               "estimatedradiographicmagnificationfactor")),
    "for_presentation": ("For presentation", ("forpresentation", "presentationintenttype",
                                              "presentationintent")),
    "simulated": ("Simulated", ("simulated", "simulatedlesion", "synthetic", "inserted")),
}
REQUIRED = ("image_id", "x1", "y1", "x2", "y2")
ACQUISITION = ("manufacturer", "model_name", "tube_current_ma", "magnification", "for_presentation")
_ALIAS = {alias: key for key, (head, aliases) in COLUMNS.items()
          for alias in (*aliases, "".join(ch for ch in head.lower() if ch.isalnum()))}


def _key(header) -> str:
    return "".join(ch for ch in str(header).lower() if ch.isalnum())


def blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def cell_text(value) -> str:
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an ID typed as a number comes back as 12.0
    return str(value).strip()


def cell_number(value) -> float:
    if isinstance(value, bool):
        raise ValueError("a yes/no value where a number belongs")
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        out = float(str(value).strip().replace(",", "."))
    if not math.isfinite(out):
        raise ValueError("not a finite number")
    return out


def cell_bool(value) -> bool:
    text = str(value).strip().lower().replace("_", " ")
    if text in {"true", "yes", "y", "1", "1.0", "for presentation", "presentation"}:
        return True
    if text in {"false", "no", "n", "0", "0.0", "for processing", "processing"}:
        return False
    raise ValueError("expected yes/no, true/false or FOR PRESENTATION/FOR PROCESSING")


def _raw_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() == ".csv":
        return read_csv_table(path, header=False)  # delimiter sniffed (',' or a European ';')
    return pd.read_excel(path, header=None, dtype=object, engine="openpyxl")


def looks_like_annotations(path: str | Path) -> bool:
    """Whether a workbook file may be an annotation workbook (used by detection).

    A .csv must have, in its first ten rows, a row naming at least two known
    columns of which one is Image ID or a box corner, so that a side file such
    as the NBIA Data Retriever's metadata.csv (Series UID, Study UID,
    Manufacturer...) beside a plain DICOM download is not taken for one.
    Spreadsheets (.xlsx/.xlsm) are assumed to be (opening them is slow).
    """
    path = Path(path)
    if path.suffix.lower() != ".csv":
        return True
    try:
        raw = _raw_table(path)
    except (ValueError, OSError):
        return True  # let the reader say what is wrong with it
    for i in range(min(10, len(raw))):
        keys = {_ALIAS.get(_key(v)) for v in raw.iloc[i] if not blank(v)} - {None}
        if len(keys) >= 2 and keys & set(REQUIRED):
            return True
    return False


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
        if sum(_key(v) in _ALIAS for v in raw.iloc[i] if not blank(v)) >= 2:
            header_at = i
            break
    if header_at is None:
        raise DatasetError(f"{path}: no header row with the annotation columns "
                           f"(expected {', '.join(COLUMNS[k][0] for k in REQUIRED)})")
    problems, mapping = [], {}
    for pos, head in enumerate(raw.iloc[header_at]):
        if blank(head):
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
                               f"(found: {', '.join(str(h) for h in raw.iloc[header_at] if not blank(h))})")
    body = raw.iloc[header_at + 1:]
    table = body[list(mapping)].rename(columns=mapping).copy()
    table["_row"] = [header_at + 2 + i for i in range(len(body))]
    table = table[~table.drop(columns="_row").apply(lambda r: all(blank(v) for v in r), axis=1)]
    return table.reset_index(drop=True), problems
