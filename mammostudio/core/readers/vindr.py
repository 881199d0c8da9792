"""VinDr-Mammo: breast-level and finding annotation CSVs plus ``images/<study>/<image>.dicom``.

``breast-level_annotations.csv`` has one row per image: study_id, series_id,
image_id, laterality, view_position, height, width, breast_birads ('BI-RADS 1'
.. 'BI-RADS 5'), breast_density ('DENSITY A' .. 'DENSITY D'), split
('training' / 'test'). ``finding_annotations.csv`` repeats those columns and
adds one row per finding: finding_categories (a list written as text,
"['Mass', 'Suspicious Calcification']", or "['No Finding']"), finding_birads
and the box xmin, ymin, xmax, ymax (x = column). Either file alone is enough;
images without a finding are normal. VinDr gives no patient identifier, so the
patient is the header's PatientID, else the study; no pathology is given.
"""
from __future__ import annotations

import re
from pathlib import Path

from ..catalog import Catalog, Problem, normalise_lesion_type
from . import DatasetError
from .validate import finish, read_csv_table
from .workbook_table import cell_number
from .workbook_tree import box_from_xy, header_rows

__all__ = ["detect", "read", "BREAST_CSV", "FINDING_CSV", "finding_categories"]

BREAST_CSV = "breast-level_annotations.csv"
FINDING_CSV = "finding_annotations.csv"
_NONE = {"no finding", "no findings", ""}


def detect(root: Path) -> bool:
    """True when ``root`` holds a VinDr-Mammo annotation CSV."""
    root = Path(root)
    return (root / FINDING_CSV).is_file() or (root / BREAST_CSV).is_file()


def finding_categories(text: str) -> list[str]:
    """The categories of a ``finding_categories`` cell ("['Mass', 'Asymmetry']" -> two)."""
    quoted = re.findall(r"'([^']*)'|\"([^\"]*)\"", str(text))
    items = [a or b for a, b in quoted] if quoted else re.split(r"[,;]", str(text).strip("[] "))
    return [i.strip() for i in items if i.strip()]


def _image_path(root: Path, study: str, image: str) -> Path | None:
    for suffix in (".dicom", ".dcm", ""):
        path = root / "images" / study / f"{image}{suffix}"
        if path.is_file():
            return path
    return None


def read(root: Path) -> Catalog:
    """Read a VinDr-Mammo folder (see the module docstring) into a Catalog."""
    root = Path(root).resolve()
    problems: list[Problem] = []
    tables = {}
    for name in (BREAST_CSV, FINDING_CSV):
        if (root / name).is_file():
            try:
                table = read_csv_table(root / name)
            except ValueError as exc:
                problems.append(Problem(str(root / name), f"{exc}; file skipped"))
                continue
            missing = [c for c in ("study_id", "image_id") if c not in table.columns]
            if missing:
                problems.append(Problem(str(root / name), f"no column(s) {missing}; file skipped"))
                continue
            tables[name] = table
    if not tables:
        raise DatasetError(f"{root}: no readable {BREAST_CSV} or {FINDING_CSV}")
    listed: dict[str, dict] = {}
    for name, table in tables.items():
        for i, rec in enumerate(table.to_dict("records")):
            rec["_where"] = f"{root / name} row {i + 2}"
            image_id = str(rec["image_id"]).strip()
            if not image_id:
                problems.append(Problem(rec["_where"], "no image_id; row skipped"))
            elif image_id not in listed:
                listed[image_id] = rec
            elif name == BREAST_CSV:  # one row per image there; findings repeat images by design
                problems.append(Problem(rec["_where"], f"image {image_id!r} again (first: "
                                        f"{listed[image_id]['_where']}); the first row is used", "warning"))
    paths, absent = {}, []
    for image_id, rec in listed.items():
        path = _image_path(root, str(rec["study_id"]).strip(), image_id)
        if path is None:
            absent.append(image_id)
            problems.append(Problem(rec["_where"], f"image {image_id!r} is listed but "
                                    f"images/{rec['study_id']}/{image_id}.dicom is absent; skipped"))
        else:
            paths[image_id] = path
    heads, head_problems = header_rows(list(paths.values()))
    problems += head_problems
    images = []
    for head in heads:
        rec = listed.get(head["image_id"])
        if rec is None:
            continue
        images.append(_image_row(head, rec, problems))
    lesions, counts = [], {}
    sizes = {row["image_id"]: (row.get("rows"), row.get("cols")) for row in images}
    for i, rec in enumerate(tables.get(FINDING_CSV, []).to_dict("records") if FINDING_CSV in tables else []):
        _finding(rec, f"{root / FINDING_CSV} row {i + 2}", sizes, counts, lesions, problems)
    return finish(images, lesions, root=root, fmt="vindr", problems=problems)


def _image_row(head: dict, rec: dict, problems: list) -> dict:
    row = dict(head)
    row.update(study_id=str(rec.get("study_id", "")).strip() or head.get("study_id", ""),
               series_id=str(rec.get("series_id", "")).strip() or head.get("series_id", ""),
               birads=rec.get("breast_birads", ""), density=rec.get("breast_density", ""),
               split=str(rec.get("split", "")).strip())
    row["patient_id"] = head.get("patient_id") if head.get("patient_id") != Path(head["path"]).parent.parent.name \
        else row["study_id"]
    side, view = str(rec.get("laterality", "")).strip().upper()[:1], str(rec.get("view_position", "")).strip()
    row["laterality"] = side if side in ("L", "R") else head.get("laterality", "")
    row["view"] = view.upper() or head.get("view", "")
    for key, col in (("rows", "height"), ("cols", "width")):
        try:
            listed = int(cell_number(rec.get(col)))
        except (TypeError, ValueError):
            continue
        if head.get(key) and listed != head[key]:
            problems.append(Problem(rec["_where"], f"{col} {listed} differs from the DICOM's {head[key]}; "
                                    "using the DICOM's", "warning"))
    return row


def _finding(rec: dict, where: str, sizes: dict, counts: dict, lesions: list, problems: list) -> None:
    image_id = str(rec.get("image_id", "")).strip()
    if image_id not in sizes:
        return  # its absence was reported with the image
    cats = finding_categories(rec.get("finding_categories", ""))
    cells = [rec.get(k, "") for k in ("xmin", "ymin", "xmax", "ymax")]
    if all(str(c).strip() == "" for c in cells):
        if any(c.lower() not in _NONE for c in cats):
            problems.append(Problem(where, f"finding {cats} has no box; skipped", "warning"))
        return
    try:
        x1, y1, x2, y2 = (cell_number(c) for c in cells)
    except ValueError:
        problems.append(Problem(where, f"unreadable box {cells}; skipped"))
        return
    rows, cols = sizes[image_id]
    box = box_from_xy(x1, y1, x2, y2, rows=rows, cols=cols, where=where, problems=problems)
    if box is None:
        return
    n = counts[image_id] = counts.get(image_id, 0) + 1
    lesions.append({"lesion_uid": f"{image_id}:{n}", "image_id": image_id, "lesion_id": str(n), **box,
                    "status": "", "lesion_type": normalise_lesion_type("+".join(cats)),
                    "birads": rec.get("finding_birads", ""), "finding": ", ".join(cats), "source": where})
