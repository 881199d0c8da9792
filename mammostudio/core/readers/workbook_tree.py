"""Shared by the workbook and OMI-DB readers: the DICOM file tree and box checks.

Finding the DICOM files of a batch -> patient -> study tree, reading their
headers (no pixel decode) into catalog image rows, and turning an x/y box from a
file into the catalog's inclusive (row_min, col_min, row_max, col_max) box,
clipped to the image with a Problem when it sticks out.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..catalog import Problem

__all__ = ["DICOM_SUFFIXES", "scan_dicom_tree", "header_row", "header_rows", "box_from_xy"]

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic", ".ima", "")
_IGNORED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".json", ".txt", ".md", ".pdf", ".db", ".ini", ".png")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


def scan_dicom_tree(root: str | Path) -> tuple[list[Path], list[Problem]]:
    """The candidate DICOM files under ``root`` (any depth), sorted.

    Files named ``*.dcm``/``*.dicom``/``*.ima`` or without a suffix are
    candidates; hidden files (temporary ``.part`` writes included) and known
    side files (workbooks, JSON, text) are skipped; any other file gets a
    warning. A second file with the same stem (= Image ID) is an error.
    """
    root = Path(root)
    files, problems, seen = [], [], {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or _hidden(path, root):
            continue
        suffix = path.suffix.lower()
        if suffix in _IGNORED_SUFFIXES:
            continue
        if suffix not in DICOM_SUFFIXES:
            problems.append(Problem(str(path), "not a DICOM file name (.dcm); ignored", "warning"))
            continue
        stem = path.name[: -len(path.suffix)] if path.suffix else path.name
        if stem in seen:
            problems.append(Problem(str(path), f"a second image with Image ID {stem!r} "
                                    f"(first: {seen[stem]}); skipped"))
            continue
        seen[stem] = path
        files.append(path)
    return files, problems


def header_row(path: Path, header: dict | None = None) -> dict:
    """A catalog image row for a DICOM file, from its header (read here if None).

    The Image ID is the file stem (that is how workbooks and OMI-DB name images;
    the SOPInstanceUID is kept as ``sop_uid``); patient and study fall back to
    the parent folder names when the header lacks them.

    Raises
    ------
    mammostudio.core.dicom.DicomError
        If the file is not a readable DICOM file.
    """
    if header is None:
        from ..dicom import read_header

        header = read_header(path)
    path = Path(path)
    row = {k: v for k, v in header.items() if v is not None}
    row["sop_uid"] = header.get("image_id") or ""
    row["image_id"] = path.name[: -len(path.suffix)] if path.suffix else path.name
    row["patient_id"] = header.get("patient_id") or path.parent.parent.name
    row["study_id"] = header.get("study_id") or path.parent.name
    row["path"] = str(path.resolve())
    row["format"] = "dicom"
    row.setdefault("tissue", "")
    return row


def header_rows(paths: list[Path]) -> tuple[list[dict], list[Problem]]:
    """Header-only image rows of ``paths``; unreadable files become error Problems."""
    from ..dicom import DicomError

    rows, problems = [], []
    for path in paths:
        try:
            rows.append(header_row(path))
        except (DicomError, OSError, ValueError) as exc:
            text = str(exc)
            if str(path) not in text:
                text = f"{path}: {text}"
            problems.append(Problem(str(path), f"not a readable DICOM file; skipped ({text})"))
    return rows, problems


def box_from_xy(x1: float, y1: float, x2: float, y2: float, *, rows=None, cols=None,
                where: str = "", problems: list | None = None) -> dict | None:
    """Catalog box from x/y corners (x = column, y = row, ends inclusive).

    Parameters
    ----------
    x1, y1, x2, y2 : float
        Corners in any order; rounded to whole pixels.
    rows, cols : int, optional
        Image size; when known the box is clipped to it.
    where : str
        Named in problems (file and row).
    problems : list, optional
        Receives the problems of :func:`.validate.check_box` (the one place
        boxes are checked): a warning for a clipped box, an error for a box of
        zero size or entirely outside the image.

    Returns
    -------
    dict or None
        Keys row_min, col_min, row_max, col_max; None when the box is unusable.
    """
    from .validate import check_box

    problems = problems if problems is not None else []
    vals = [x1, y1, x2, y2]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals):
        problems.append(Problem(where, f"box {vals} is not four numbers; skipped"))
        return None
    c0, c1 = sorted((int(round(x1)), int(round(x2))))
    r0, r1 = sorted((int(round(y1)), int(round(y2))))
    return check_box({"row_min": r0, "col_min": c0, "row_max": r1, "col_max": c1}, rows=rows, cols=cols,
                     where=where, problems=problems)


def _na(value) -> bool:
    try:
        return value is None or bool(value != value)
    except (TypeError, ValueError):
        return True
