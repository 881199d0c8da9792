"""The one box form, and its conversions at the two edges where another form is needed.

Inside mammostudio a box is always inclusive ``(row_min, col_min, row_max,
col_max)`` in full-resolution image pixels: the catalog's lesions table, the
annotation sidecar, patch extraction, the simulation and the GUI's state all
hold boxes this way. Two edges need another form, and each converts here, once:

- **the patch index** (``index.csv``) keeps its ``row, col, height, width``
  columns (a patch is a region with a top-left corner and a size; the column
  names are a file format other tools read): :func:`box_from_region` /
  :func:`region_of_box`;
- **the screen** (Qt / pyqtgraph): a pixel is the unit square whose top-left
  edge is its index, so a box covers the edges ``[col_min, col_max + 1)`` and
  ``[row_min, row_max + 1)``: :func:`box_to_rect` gives ``(x, y, width,
  height)`` for a ``QRectF`` / ``RectROI``, and :func:`box_from_edges` turns a
  dragged rectangle's edges back into the pixels it covers.
"""
from __future__ import annotations

import math

__all__ = ["Box", "box_size", "box_from_region", "region_of_box", "box_to_rect", "box_from_edges"]

Box = tuple[int, int, int, int]


def box_size(box) -> tuple[int, int]:
    """(height, width) in pixels of an inclusive box."""
    r0, c0, r1, c1 = (int(v) for v in box)
    return r1 - r0 + 1, c1 - c0 + 1


def box_from_region(row, col, height, width) -> Box:
    """The inclusive box of the region ``height`` x ``width`` at top-left ``(row, col)``.

    Raises
    ------
    ValueError
        If a value is not a whole number (e.g. missing in ``index.csv``) or
        the size is below 1.
    """
    try:
        r, c, h, w = (int(v) for v in (row, col, height, width))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"region ({row}, {col}, {height}, {width}) is not four whole numbers") from exc
    if h < 1 or w < 1:
        raise ValueError(f"region size {h}x{w} must be at least 1x1")
    return r, c, r + h - 1, c + w - 1


def region_of_box(box) -> tuple[int, int, int, int]:
    """``(row, col, height, width)`` of an inclusive box: the inverse of :func:`box_from_region`."""
    r0, c0 = int(box[0]), int(box[1])
    h, w = box_size(box)
    return r0, c0, h, w


def box_to_rect(box) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` of the pixel edges an inclusive box covers (Qt's x = column)."""
    r0, c0 = float(box[0]), float(box[1])
    h, w = box_size(box)
    return c0, r0, float(w), float(h)


def box_from_edges(top: float, left: float, bottom: float, right: float, shape: tuple[int, int]) -> Box | None:
    """The inclusive box of the pixels inside rounded edges, clipped to ``shape`` (rows, cols).

    The inverse of :func:`box_to_rect` for a rectangle drawn on screen: edges
    are rounded to the nearest pixel boundary; the box ends one pixel before
    the bottom and right edges. None when nothing of the image is covered.
    """
    if not all(math.isfinite(v) for v in (top, left, bottom, right)):
        return None
    rows, cols = shape
    r0, c0 = max(0, int(round(top))), max(0, int(round(left)))
    r1 = min(rows - 1, int(round(bottom)) - 1)
    c1 = min(cols - 1, int(round(right)) - 1)
    if r1 < r0 or c1 < c0:
        return None
    return r0, c0, r1, c1
