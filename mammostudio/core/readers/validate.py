"""Checks every reader applies the same way: CSV dialect, boxes, duplicate rows.

Every reader builds plain image and lesion rows and hands them to
:func:`finish`, which

- drops a second image with the same ``image_id`` (error naming both files),
- drops a box whose image is not in the catalog (error),
- checks every box with :func:`check_box`: not four whole numbers, inverted
  (``row_min > row_max``), zero size or entirely outside the image is an error
  and the box is skipped; a box sticking out of the image is clipped with a
  warning,
- drops a box that repeats an earlier one on the same image with the same
  type, category and pathology (a duplicated spreadsheet row) with a warning,
- makes ``lesion_uid`` unique and normalises pathology / BI-RADS / density,

so ``scan``, the GUI and ``extract`` all see the same, already-checked boxes.
CSV annotation files are read by :func:`read_csv_table`, which sniffs the
delimiter (',' ';' tab '|', see :func:`sniff_delimiter`): a European Excel
export separated by ';' reads like any other.
"""
from __future__ import annotations

import csv
import io
import math
import numbers
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from ..catalog import (Catalog, Problem, empty_images, empty_lesions, normalise_birads, normalise_density,
                       normalise_pathology, status_ordinal)

__all__ = ["finish", "check_box", "box_from_circle", "read_csv_table", "sniff_delimiter"]

_DELIMITERS = ",;\t|"


def sniff_delimiter(text: str) -> str:
    """The field delimiter of CSV ``text``: ',' ';' tab or '|'.

    Over the first 50 non-blank lines, with quoted fields removed, each
    candidate scores the number of lines in which it occurs exactly as often as
    in most lines, then that number of occurrences (more fields wins); the best
    score wins (',' then ';' on a full tie). Title rows above
    the header and decimal commas in a ';' file do not mislead it.
    """
    lines = [re.sub(r'"[^"]*"', "", ln) for ln in text.splitlines() if ln.strip()][:50]
    best, best_score = ",", (0, 0)
    for delim in _DELIMITERS:
        counts = [ln.count(delim) for ln in lines if ln.count(delim)]
        if not counts:
            continue
        mode = Counter(counts).most_common(1)[0][0]
        score = (sum(1 for c in counts if c == mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_csv_table(path: str | Path, *, header: bool = True) -> pd.DataFrame:
    """Read a CSV annotation file with its delimiter sniffed, every cell as text.

    Parameters
    ----------
    path : path-like
        The CSV file (UTF-8 with or without BOM, else Latin-1).
    header : bool
        True: the first row names the columns (stripped of spaces). False: no
        header (columns 0..n-1), for callers that look for the header row.

    Returns
    -------
    pandas.DataFrame
        Object dtype; blank cells are ''.

    Raises
    ------
    ValueError
        If the file cannot be decoded or parsed (the message names the file).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # never fails: every byte is a character
    delimiter = sniff_delimiter(text)
    try:  # the csv module, not pandas: rows of different lengths (title rows) are fine
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise ValueError(f"{path}: cannot read the CSV file ({exc})") from exc
    width = max((len(r) for r in rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in rows]
    if not header:
        return pd.DataFrame(rows, columns=range(width), dtype=object)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows[1:], columns=[c.strip() for c in rows[0]], dtype=object)


def check_box(box: dict, *, rows=None, cols=None, where: str = "", problems: list) -> dict | None:
    """Check one inclusive box (row_min, col_min, row_max, col_max) against its image.

    Parameters
    ----------
    box : dict
        The four corner keys (numbers).
    rows, cols : int, optional
        Image size; when known the box is clipped to it.
    where : str
        Named in problems (file and row).
    problems : list
        Receives an error for an unusable box and a warning for a clipped one.

    Returns
    -------
    dict or None
        The (possibly clipped) corners as ints; None when the box is unusable.
    """
    keys = ("row_min", "col_min", "row_max", "col_max")
    vals = [box.get(k) for k in keys]
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v) for v in vals):
        problems.append(Problem(where, f"box {vals} is not four numbers; skipped"))
        return None
    r0, c0, r1, c1 = (int(round(v)) for v in vals)
    text = f"box rows {r0}..{r1}, cols {c0}..{c1}"
    if r0 > r1 or c0 > c1:
        problems.append(Problem(where, f"{text} is inverted (its end lies before its start); skipped"))
        return None
    if r0 == r1 or c0 == c1:
        problems.append(Problem(where, f"{text} has zero size; skipped"))
        return None
    if not _na(rows) and not _na(cols):
        rows, cols = int(rows), int(cols)
        if c1 < 0 or r1 < 0 or c0 > cols - 1 or r0 > rows - 1:
            problems.append(Problem(where, f"{text} lies entirely outside the {rows}x{cols} image; skipped"))
            return None
        clipped = (max(r0, 0), max(c0, 0), min(r1, rows - 1), min(c1, cols - 1))
        if clipped != (r0, c0, r1, c1):
            problems.append(Problem(where, f"{text} extends outside the {rows}x{cols} image; clipped to it",
                                    "warning"))
            r0, c0, r1, c1 = clipped
    return {"row_min": r0, "col_min": c0, "row_max": r1, "col_max": c1}


def box_from_circle(row_c: float, col_c: float, radius: float, *, rows=None, cols=None, where: str = "",
                    problems: list) -> dict | None:
    """The box around a circle (mini-MIAS marks), or None with an error for a bad circle.

    A radius that is not positive, or a centre outside the image, is an error
    (the coordinates are wrong, the box would be inverted or misplaced).
    """
    if not radius > 0:
        problems.append(Problem(where, f"radius {radius:g} is not positive; skipped"))
        return None
    if not _na(rows) and not _na(cols) and not (0 <= row_c < int(rows) and 0 <= col_c < int(cols)):
        problems.append(Problem(where, f"centre (row {row_c:g}, col {col_c:g}) lies outside the "
                                f"{int(rows)}x{int(cols)} image; skipped"))
        return None
    return {"row_min": row_c - radius, "col_min": col_c - radius, "row_max": row_c + radius,
            "col_max": col_c + radius}


def finish(images: list[dict] | pd.DataFrame, lesions: list[dict] | pd.DataFrame, *, root: Path, fmt: str,
           problems: list[Problem]) -> Catalog:
    """Validate reader rows (see the module docstring) and build the Catalog.

    Parameters
    ----------
    images, lesions : list of dict or DataFrame
        Catalog rows; lesions need ``image_id`` and the four corners, and
        ``source`` (named in problems) when known.
    root : Path
        The dataset folder.
    fmt : str
        The reader's name (``Catalog.source_format``).
    problems : list of Problem
        The reader's own problems; those found here are appended.
    """
    image_rows = images.to_dict("records") if isinstance(images, pd.DataFrame) else list(images)
    lesion_rows = lesions.to_dict("records") if isinstance(lesions, pd.DataFrame) else list(lesions)
    by_id: dict[str, dict] = {}
    for row in image_rows:
        image_id = str(row.get("image_id") or "")
        if image_id in by_id:
            problems.append(Problem(str(row.get("path", "")), f"a second image with id {image_id!r} "
                                    f"(first: {by_id[image_id].get('path', '')}); skipped"))
            continue
        row["density"] = normalise_density(row.get("density"))
        row["birads"] = normalise_birads(row.get("birads"))
        by_id[image_id] = row
    kept, seen, uids = [], {}, set()
    for les in lesion_rows:
        where = str(les.get("source") or les.get("image_id") or root)
        image = by_id.get(str(les.get("image_id") or ""))
        if image is None:
            problems.append(Problem(where, f"box on image {les.get('image_id')!r}, which is not in the "
                                    "dataset; skipped"))
            continue
        box = check_box(les, rows=image.get("rows"), cols=image.get("cols"), where=where, problems=problems)
        if box is None:
            continue
        les = {**les, **box, "pathology": normalise_pathology(les.get("pathology") or les.get("severity")),
               "birads": normalise_birads(les.get("birads"))}
        les["severity"] = les["pathology"]
        if _na(les.get("status_ordinal")):
            les["status_ordinal"] = status_ordinal(les.get("status"))
        key = (les["image_id"], *box.values(), *(str(les.get(k) or "") for k in ("lesion_type", "status",
                                                                                  "pathology")))
        if key in seen:
            problems.append(Problem(where, f"the same box as {seen[key]} (a duplicated row?); skipped",
                                    "warning"))
            continue
        seen[key] = where
        uid = str(les.get("lesion_uid") or f"{les['image_id']}:{les.get('lesion_id') or len(kept) + 1}")
        n = 2
        while uid in uids:
            uid = f"{les.get('lesion_uid') or uid.split('#')[0]}#{n}"
            n += 1
        les["lesion_uid"] = uid
        uids.add(uid)
        kept.append(les)
    img_df = pd.DataFrame(list(by_id.values())) if by_id else empty_images()
    les_df = pd.DataFrame(kept) if kept else empty_lesions()
    return Catalog(img_df, les_df, Path(root), fmt, problems)


def _na(value) -> bool:
    try:
        return value is None or bool(value != value) or value is pd.NA
    except (TypeError, ValueError):
        return True
