"""A plain folder of DICOM files, any nesting: the fallback reader (no lesions).

A PACS export, a CD copy or a research archive without annotations. Every file
with the DICOM magic (``DICM`` after the 128-byte preamble) or a DICOM suffix is
read header-only; ``DICOMDIR`` and objects without pixel rows (structured
reports, presentation states) are left out. Each image is identified by its
SOPInstanceUID, so two folders that reuse file names (``IM0001`` in every
series) do not collide; a second file with the same SOPInstanceUID is reported
and skipped.

Patient, study and series come from PatientID, StudyInstanceUID and
SeriesInstanceUID (the grandparent / parent folder name when a tag is empty).
Laterality and view come from ImageLaterality / Laterality, ViewPosition and
the View Code Sequence (SNOMED CT and legacy SRT codes of CID 4014, mapped in
:mod:`mammostudio.core.dicom_header`); when the tags say nothing, the file name
(``R_CC``, ``LEFT_MLO``, ``LMLO``...) is used and a warning names the file.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..catalog import Catalog, Problem
from .validate import finish
from .workbook_tree import header_rows

__all__ = ["detect", "read", "side_view_from_name", "is_dicom_file"]

_DICOM_SUFFIXES = {".dcm", ".dicom", ".dic", ".ima"}
_SKIP_NAMES = {"dicomdir", "lockfile", "version"}
_VIEWS = ("XCCL", "XCCM", "MLO", "CC", "ML", "LM", "LMO", "FB", "SIO", "ISO", "XCC")
_SIDES = {"L": "L", "R": "R", "LEFT": "L", "RIGHT": "R", "LT": "L", "RT": "R"}
_JOINED = re.compile(r"(L|R|LEFT|RIGHT)(XCCL|XCCM|MLO|CC|ML|LM|LMO)")
_DETECT_SAMPLE = 50


def is_dicom_file(path: Path) -> bool:
    """True when ``path`` has the DICOM magic 'DICM' at byte 128."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:] == b"DICM"


def _walk(root: Path):
    """Files under ``root`` (sorted, hidden entries skipped), lazily."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith((".", "~$")):
                yield Path(folder) / name


def detect(root: Path) -> bool:
    """True when one of the first files under ``root`` carries the DICOM magic."""
    for i, path in enumerate(_walk(Path(root))):
        if i >= _DETECT_SAMPLE:
            return False
        if path.name.lower() not in _SKIP_NAMES and is_dicom_file(path):
            return True
    return False


def side_view_from_name(text: str) -> tuple[str, str]:
    """(laterality, view) from a file or folder name; '' where it says nothing.

    Reads tokens split at anything but letters and digits: 'R', 'LEFT', 'CC',
    'MLO', ... and joined forms such as 'RCC' or 'LMLO'.

    Examples
    --------
    >>> side_view_from_name("22614236_MG_R_CC_ANON.dcm")
    ('R', 'CC')
    >>> side_view_from_name("Mass-Training_P_00001_LEFT_MLO")
    ('L', 'MLO')
    """
    side = view = ""
    for token in re.split(r"[^A-Z0-9]+", str(text).upper()):
        if token in _SIDES and not side:
            side = _SIDES[token]
        elif token in _VIEWS and not view:
            view = token
        else:
            joined = _JOINED.fullmatch(token)
            if joined:
                side = side or _SIDES[joined[1]]
                view = view or joined[2]
    return side, view


def read(root: Path) -> Catalog:
    """Read every DICOM image under ``root`` (see the module docstring)."""
    root = Path(root).resolve()
    problems: list[Problem] = []
    files, others = [], []
    for path in _walk(root):
        if path.name.lower() in _SKIP_NAMES:
            continue
        if path.suffix.lower() in _DICOM_SUFFIXES or is_dicom_file(path):
            files.append(path)
        else:
            others.append(path)
    if others:
        problems.append(Problem(str(others[0]), f"{len(others)} file(s) without the DICOM magic were "
                                "ignored (this one among them)", "warning"))
    for side in sorted(root.glob("*.csv")) + sorted(root.glob("*.xlsx")):
        problems.append(Problem(str(side), "not read as annotations (no Image ID / x1 y1 x2 y2 header); "
                                "the folder was opened as plain DICOM images", "warning"))
    rows, head_problems = header_rows(files)
    problems += head_problems
    images = []
    for row in rows:
        path = Path(row["path"])
        if not row.get("rows") or not row.get("cols"):
            problems.append(Problem(str(path), "a DICOM object without an image (no Rows/Columns: a report "
                                    "or presentation state?); skipped", "warning"))
            continue
        rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        if row.get("sop_uid"):
            row["image_id"] = row["sop_uid"]
        else:
            row["image_id"] = rel.as_posix()
            problems.append(Problem(str(path), "no SOPInstanceUID; the image is named by its path", "warning"))
        _side_view_fallback(row, path, rel, problems)
        images.append(row)
    return finish(images, [], root=root, fmt="dicom_folder", problems=problems)


def _side_view_fallback(row: dict, path: Path, rel: Path, problems: list) -> None:
    """Fill missing laterality / view from the file name, then the folder names, and say so."""
    if row.get("laterality") and row.get("view"):
        return
    for text in (path.name, *reversed(rel.parts[:-1])):
        side, view = side_view_from_name(text)
        filled = []
        if side and not row.get("laterality"):
            row["laterality"] = side
            filled.append(f"laterality {side}")
        if view and not row.get("view"):
            row["view"] = view
            filled.append(f"view {view}")
        if filled:
            problems.append(Problem(str(path), f"{' and '.join(filled)} taken from the name {text!r} "
                                    "(no ImageLaterality / ViewPosition / View Code Sequence in the header)",
                                    "warning"))
        if row.get("laterality") and row.get("view"):
            return
