"""Shared by the workbook and OMI-DB readers: the DICOM file tree and box checks.

Finding the DICOM files of a batch -> patient -> study tree, reading their
headers (no pixel decode) into catalog image rows, and turning an x/y box from a
file into the catalog's inclusive (row_min, col_min, row_max, col_max) box,
clipped to the image with a Problem when it sticks out.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path

from ..catalog import Problem

__all__ = ["DICOM_SUFFIXES", "scan_dicom_tree", "header_row", "header_rows", "box_from_xy"]

DICOM_SUFFIXES = (".dcm", ".dicom", ".dic", ".ima", "")
_IGNORED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".json", ".txt", ".md", ".pdf", ".db", ".ini", ".png",
                     ".npz", ".npy")  # also a patch dataset kept inside the archive folder


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _real_path(path) -> str:
    """``path.resolve()``, with one resolve per folder instead of one per file."""
    text = os.path.abspath(path)
    if os.path.islink(text):
        return os.path.realpath(text)
    head, name = os.path.split(text)
    return os.path.join(_real_folder(head), name)


def scan_dicom_tree(root: str | Path) -> tuple[list[Path], list[Problem]]:
    """The candidate DICOM files under ``root`` (any depth), sorted.

    Files named ``*.dcm``/``*.dicom``/``*.ima`` or without a suffix are
    candidates; hidden files (temporary ``.part`` writes included) and known
    side files (workbooks, JSON, text) are skipped; any other file gets a
    warning. A second file with the same stem (= Image ID) is an error.
    """
    from .opening import ScanContext, current_scan, walk_candidates

    root = Path(root)
    ctx = current_scan()
    base = os.path.realpath(root)
    if ctx is None or not (base == ctx.root or base.startswith(ctx.root + os.sep)):
        ctx = ScanContext(base)
        for _ in walk_candidates(base, ctx, {}):
            pass
    # The walk ran on the resolved folder; name files under the folder as given.
    prefix = base + os.sep
    rel = [p[len(prefix):] for p in (*ctx.files, *ctx.others) if p.startswith(prefix)]
    files, problems, seen = [], [], {}
    for path in sorted((root / r for r in rel), key=lambda p: p.parts):
        suffix = path.suffix.lower()
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
    from .opening import current_scan

    text = os.fspath(path)
    if not os.path.isabs(text):
        text = os.path.abspath(text)
    ctx = current_scan()
    entry = ctx.entries.get(text) if ctx is not None else None
    if header is None:
        header = _header_of(text, ctx, entry)
    folder, name = os.path.split(text)
    stem, suffix = os.path.splitext(name)
    row = {k: v for k, v in header.items() if v is not None}
    row["sop_uid"] = header.get("image_id") or ""
    row["image_id"] = stem if suffix else name
    row["patient_id"] = header.get("patient_id") or os.path.basename(os.path.dirname(folder))
    row["study_id"] = header.get("study_id") or os.path.basename(folder)
    # The walk of the open job knows which files it reached without a symbolic link.
    row["path"] = text if entry is not None and text not in ctx.linked else _real_path(text)
    row["format"] = "dicom"
    row.setdefault("tissue", "")
    return row


def _header_of(path: str, ctx, entry) -> dict:
    """The header of ``path``: from the open job's index when one is running, else read now."""
    from ..dicom import DicomError, scan_file

    if entry is None and ctx is not None:
        entry = ctx.lookup(path)
    if entry is None:
        return scan_file(path)[0]
    if entry[2]:
        raise DicomError(entry[2])
    return entry[4]


def header_rows(paths: list[Path]) -> tuple[list[dict], list[Problem]]:
    """Header-only image rows of ``paths``; unreadable files become error Problems.

    Inside :func:`~mammostudio.core.readers.opening.open_dataset_job` (every
    ``open_dataset``) the headers come from the dataset's index, read in
    parallel and cached between opens; elsewhere each file is read here.
    """
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
