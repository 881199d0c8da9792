"""INbreast: ``AllDICOMs/`` plus per-image ``AllXML/`` ROI files and the metadata sheet.

::

    AllDICOMs/<file id>_<patient hash>_MG_<R|L>_<CC|ML>_ANON.dcm
    AllXML/<file id>.xml        OsiriX ROI export (an Apple property list)
    INbreast.csv                ';'-separated (or INbreast.xlsx / INbreast.xls)

The sheet has one row per image: Laterality, View, File Name (the file id),
ACR (density 1-4), Bi-Rads ('1'..'6', '4a'..'4c') and, in the .xls release,
finding flags (Mass, Micros, Distortion, Asymmetry): a flag without an ROI of
that type in the image's XML is a warning. An XML file holds
``Images[0].ROIs``: each ROI has a Name ('Mass', 'Calcification', 'Cluster',
'Distortion', 'Asymmetry', 'Spiculated Region', ...) and Point_px, a list of
"(x, y)" strings (x = column). An outline becomes the box around its points.
A single-point calcification (INbreast marks each speck) becomes a box of
``SPECK_PAD_PX`` pixels around it; any other ROI of fewer than three points is
skipped with a warning. INbreast gives no pathology; the image's BI-RADS is
also the BI-RADS of its findings. The patient is the hash in the file name.
"""
from __future__ import annotations

import plistlib
from xml.parsers.expat import ExpatError
import re
from pathlib import Path

from ..catalog import Catalog, Problem, normalise_lesion_type
from . import DatasetError
from .dicom_folder import side_view_from_name
from .validate import finish, read_csv_table
from .workbook_table import cell_text
from .workbook_tree import box_from_xy, header_rows

__all__ = ["detect", "read", "read_rois", "SPECK_PAD_PX"]

SPECK_PAD_PX = 4
_POINT = re.compile(r"\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)")
_SHEETS = ("INbreast.csv", "INbreast.xlsx", "INbreast.xls")


def detect(root: Path) -> bool:
    """True when ``root`` holds an ``AllDICOMs`` folder."""
    return (Path(root) / "AllDICOMs").is_dir()


def _key(header) -> str:
    return "".join(ch for ch in str(header).lower() if ch.isalnum())


def _sheet(root: Path, problems: list) -> dict[str, dict]:
    """Metadata rows by file id, keys normalised ('laterality', 'view', 'acr', 'birads', ...)."""
    import pandas as pd

    for name in _SHEETS:
        path = root / name
        if not path.is_file():
            continue
        try:
            table = (read_csv_table(path) if path.suffix == ".csv" else
                     # the release's .xls (Excel 97) needs calamine; openpyxl reads only .xlsx
                     pd.read_excel(path, dtype=object, engine="calamine" if path.suffix == ".xls" else "openpyxl"))
        except (ValueError, ImportError, OSError) as exc:
            problems.append(Problem(str(path), f"cannot read the metadata sheet ({exc}); "
                                    "save it as INbreast.csv", "warning"))
            continue
        table.columns = [_key(c) for c in table.columns]
        if "filename" not in table.columns:
            problems.append(Problem(str(path), "no 'File Name' column; sheet ignored", "warning"))
            continue
        out = {}
        for i, rec in enumerate(table.to_dict("records")):
            file_id = cell_text(rec.get("filename"))
            if file_id:
                out[file_id] = {k: cell_text(v) for k, v in rec.items()} | {"_where": f"{path} row {i + 2}"}
        return out
    problems.append(Problem(str(root), "no INbreast.csv / .xlsx / .xls metadata sheet; BI-RADS and "
                            "density unknown", "warning"))
    return {}


def read_rois(path: Path) -> list[tuple[str, list[tuple[float, float]]]]:
    """(name, [(x, y), ...]) of every ROI in an INbreast XML file.

    Raises
    ------
    ValueError
        If the file is not a property list with an Images list (message names the file).
    """
    try:
        with open(path, "rb") as fh:
            doc = plistlib.load(fh)
        rois = [roi for image in doc["Images"] for roi in image.get("ROIs", [])]
    except (plistlib.InvalidFileException, ExpatError, KeyError, TypeError, ValueError, OSError) as exc:
        raise ValueError(f"{path}: not an INbreast ROI file ({type(exc).__name__}: {exc})") from exc
    out = []
    for roi in rois:
        points = [(float(x), float(y)) for p in roi.get("Point_px", []) for x, y in _POINT.findall(str(p))]
        out.append((str(roi.get("Name", "")).strip(), points))
    return out


def read(root: Path) -> Catalog:
    """Read an INbreast folder (see the module docstring) into a Catalog."""
    root = Path(root).resolve()
    folder = root / "AllDICOMs"
    if not folder.is_dir():
        raise DatasetError(f"{root}: no AllDICOMs folder")
    problems: list[Problem] = []
    sheet = _sheet(root, problems)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".dcm" and not p.name.startswith("."))
    heads, head_problems = header_rows(files)
    problems += head_problems
    images, lesions = [], []
    for head in heads:
        name = Path(head["path"]).name
        parts = name.split("_")
        file_id = parts[0]
        meta = sheet.get(file_id, {})
        if sheet and not meta:
            problems.append(Problem(head["path"], f"file id {file_id} is not in the metadata sheet", "warning"))
        side_name, view_name = side_view_from_name(name)
        side = meta.get("laterality", "").upper()[:1] or head.get("laterality") or side_name
        view = meta.get("view", "").upper() or head.get("view") or {"ML": "MLO"}.get(view_name, view_name)
        images.append({**head, "image_id": file_id, "patient_id": parts[1] if len(parts) > 2 else head["patient_id"],
                       "laterality": side, "view": view, "density": meta.get("acr", ""),
                       "birads": meta.get("birads", "")})
        xml = root / "AllXML" / f"{file_id}.xml"
        before = len(lesions)
        if xml.is_file():
            _xml_lesions(xml, images[-1], lesions, problems)
        _check_sheet_flags(meta, {les["lesion_type"] for les in lesions[before:]}, xml, problems)
    for file_id, meta in sheet.items():
        if not any(img["image_id"] == file_id for img in images):
            problems.append(Problem(meta["_where"], f"no AllDICOMs/{file_id}_*.dcm for this row; skipped"))
    return finish(images, lesions, root=root, fmt="inbreast", problems=problems)


# metadata sheet flag column -> the lesion type its ROIs should have
_FLAGS = {"mass": "mass", "micros": "calcification", "distortion": "architectural distortion",
          "asymmetry": "focal asymmetry"}


def _check_sheet_flags(meta: dict, found: set[str], xml: Path, problems: list) -> None:
    """Warn when the sheet (the .xls release's Mass / Micros / ... columns) marks a finding
    that no ROI of the image outlines."""
    for column, kind in _FLAGS.items():
        if meta.get(column, "").strip() and not any(kind in t.split("+") for t in found):
            problems.append(Problem(meta["_where"], f"the sheet marks {column!r} but {xml.name} has no "
                                    f"{kind} ROI", "warning"))


def _xml_lesions(xml: Path, image: dict, lesions: list, problems: list) -> None:
    try:
        rois = read_rois(xml)
    except ValueError as exc:
        problems.append(Problem(str(xml), str(exc)))
        return
    for n, (name, points) in enumerate(rois, start=1):
        where = f"{xml} ROI {n} ({name or 'unnamed'})"
        kind = normalise_lesion_type(name)
        if not points:
            problems.append(Problem(where, "no Point_px points; skipped", "warning"))
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        pad = 0
        if len(points) < 3:
            if kind != "calcification":
                problems.append(Problem(where, f"{len(points)} point(s), not an outline; skipped", "warning"))
                continue
            pad = SPECK_PAD_PX
        box = box_from_xy(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, rows=image.get("rows"),
                          cols=image.get("cols"), where=where, problems=problems)
        if box is None:
            continue
        lesions.append({"lesion_uid": f"{image['image_id']}:{n}", "image_id": image["image_id"],
                        "lesion_id": str(n), **box, "status": "", "lesion_type": kind,
                        "birads": image.get("birads", ""), "finding": name, "source": where})
