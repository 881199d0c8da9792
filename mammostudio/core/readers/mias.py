"""mini-MIAS: ``Info.txt`` plus 1024x1024 8-bit ``mdbNNN.pgm`` files (spec 4).

Info.txt data lines read ``REFNUM TISSUE CLASS [SEVERITY X Y RADIUS]``. X, Y are
measured from the *bottom-left* corner, so the image row is ``rows - Y``. The
circle of radius RADIUS around the centre becomes the box (clipped to the
image with a warning); a radius that is not positive or a centre off the image
is an error (:mod:`.validate` checks the boxes of every reader the same way).
Rows without coordinates (mdb059) or with ``*NOTE 3*`` (calcifications
spread over the whole image) are kept as abnormal images but give no box; rows
whose PGM is absent are skipped (Info.txt lists all 322 images).
"""
from __future__ import annotations

from pathlib import Path

from ..catalog import Catalog, Problem, normalise_lesion_type
from .validate import box_from_circle, finish

__all__ = ["detect", "read", "parse_info", "MIAS_SIZE", "MIAS_SPACING_MM"]

MIAS_SIZE = 1024
MIAS_SPACING_MM = 0.2
_CLASSES = {"CALC", "CIRC", "SPIC", "MISC", "ARCH", "ASYM", "NORM"}
_SEVERITY = {"B": "benign", "M": "malignant"}


def detect(root: Path) -> bool:
    """True when ``root`` holds an Info.txt and at least one mdb*.pgm file."""
    return (root / "Info.txt").is_file() and any(root.glob("mdb*.pgm"))


def parse_info(path: Path) -> tuple[list[dict], list[Problem]]:
    """Parse Info.txt into one dict per data line.

    Returns
    -------
    rows : list of dict
        Keys: refnum, tissue, cls, severity, x, y, radius (None when absent), line.
    problems : list of Problem
        Lines that start with ``mdb`` but cannot be read.
    """
    rows, problems = [], []
    text = path.read_text(encoding="latin-1")
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or not fields[0].startswith("mdb"):
            continue
        where = f"{path}:{lineno}"
        if len(fields) < 3 or fields[2] not in _CLASSES:
            problems.append(Problem(where, f"unreadable Info.txt line {line.strip()!r}"))
            continue
        row = {"refnum": fields[0], "tissue": fields[1], "cls": fields[2],
               "severity": None, "x": None, "y": None, "radius": None, "line": lineno}
        if len(fields) >= 4:
            row["severity"] = fields[3]
        if len(fields) >= 7:
            try:
                row["x"], row["y"], row["radius"] = int(fields[4]), int(fields[5]), int(fields[6])
            except ValueError:
                problems.append(Problem(where, f"non-numeric coordinates {fields[4:7]}", "warning"))
        rows.append(row)
    return rows, problems


def read(root: Path) -> Catalog:
    """Read a mini-MIAS folder.

    Each image is its own patient/study (MIAS pairs films by number: odd right,
    even left; the pair shares a patient id ``mias-<first number>``).
    """
    root = Path(root).resolve()
    rows, problems = parse_info(root / "Info.txt")
    present = {p.stem: p for p in root.glob("mdb*.pgm")}
    images, lesions, seen, per_image = [], [], set(), {}
    for r in rows:
        ref = r["refnum"]
        if ref not in present:
            continue  # Info.txt lists all 322 images; this folder may hold a subset
        if ref not in seen:
            seen.add(ref)
            num = int(ref[3:])
            first = num if num % 2 == 1 else num - 1
            images.append({
                "image_id": ref, "patient_id": f"mias-{first:03d}", "study_id": f"mias-{first:03d}",
                "series_id": "", "path": str(present[ref]), "format": "pgm",
                "laterality": "R" if num % 2 == 1 else "L", "view": "MLO",
                "rows": MIAS_SIZE, "cols": MIAS_SIZE, "manufacturer": "", "model_name": "",
                "photometric": "MONOCHROME2", "pixel_spacing_mm": MIAS_SPACING_MM,
                "tissue": r["tissue"],
            })
        if r["cls"] == "NORM" or r["x"] is None:
            continue
        where = f"{root / 'Info.txt'}:{r['line']}"
        box = box_from_circle(MIAS_SIZE - r["y"], r["x"], r["radius"], rows=MIAS_SIZE, cols=MIAS_SIZE,
                              where=where, problems=problems)
        if box is None:
            continue
        n = per_image[ref] = per_image.get(ref, 0) + 1
        lesions.append({
            "lesion_uid": f"{ref}:{n}", "image_id": ref, "lesion_id": str(n), **box,
            "status": "", "lesion_type": normalise_lesion_type(r["cls"]),
            "pathology": _SEVERITY.get(r["severity"] or "", ""),
            "source": f"Info.txt line {r['line']} ({r['cls']})",
        })
    for stem in sorted(set(present) - seen):
        problems.append(Problem(str(present[stem]), "image not listed in Info.txt; skipped"))
    return finish(images, lesions, root=root, fmt="mias", problems=problems)
