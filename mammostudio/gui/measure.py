"""Measurements on the image, as in OHIF / Weasis: a ruler (length) and an ellipse ROI
(area, mean, standard deviation), in millimetres when the pixel spacing is known.

Both are pyqtgraph ROIs: drag an end or a handle and the value follows. Values
are computed on the full-resolution pixels, never on the reduced display copy.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Signal

from .canvas import ImageCanvas

__all__ = ["MeasureLayer", "ellipse_stats", "ruler_text", "ellipse_text"]

_PEN = pg.mkPen((120, 255, 120), width=2)


def ruler_text(length_px: float, spacing_mm: float | None) -> str:
    """A length for the label: millimetres with a known spacing, else pixels (said so)."""
    if spacing_mm:
        return f"{length_px * spacing_mm:.1f} mm"
    return f"{length_px:.0f} px (pixel spacing unknown)"


def ellipse_stats(image: np.ndarray, centre: tuple[float, float], radii: tuple[float, float]) -> dict:
    """Statistics of the pixels whose centres lie inside an axis-aligned ellipse.

    Parameters
    ----------
    image : ndarray (rows, cols)
    centre : (row, col)
        In image coordinates (pixel (r, c) covers [r, r+1) x [c, c+1)).
    radii : (row radius, col radius)
        In pixels.

    Returns
    -------
    dict
        ``area_px`` (pi * a * b), ``n`` (pixels inside), ``mean`` and ``sd``
        (population, ddof=0; NaN when no pixel is inside).
    """
    (cr, cc), (ar, ac) = centre, radii
    rows, cols = image.shape
    r0, r1 = max(0, int(math.floor(cr - ar))), min(rows, int(math.ceil(cr + ar)) + 1)
    c0, c1 = max(0, int(math.floor(cc - ac))), min(cols, int(math.ceil(cc + ac)) + 1)
    area = math.pi * ar * ac
    if r1 <= r0 or c1 <= c0 or ar <= 0 or ac <= 0:
        return {"area_px": area, "n": 0, "mean": float("nan"), "sd": float("nan")}
    rr = (np.arange(r0, r1) + 0.5 - cr)[:, None] / ar
    cc_ = (np.arange(c0, c1) + 0.5 - cc)[None, :] / ac
    inside = rr * rr + cc_ * cc_ <= 1.0
    values = np.asarray(image[r0:r1, c0:c1], dtype=np.float64)[inside]
    if values.size == 0:
        return {"area_px": area, "n": 0, "mean": float("nan"), "sd": float("nan")}
    return {"area_px": area, "n": int(values.size), "mean": float(values.mean()), "sd": float(values.std())}


def ellipse_text(stats: dict, spacing_mm: float | None) -> str:
    """The label of an ellipse ROI."""
    area = f"{stats['area_px'] * spacing_mm ** 2:.1f} mm²" if spacing_mm else f"{stats['area_px']:.0f} px²"
    return f"area {area}\nmean {stats['mean']:.1f}  SD {stats['sd']:.1f}  (n {stats['n']})"


class MeasureLayer(QObject):
    """Rulers and ellipse ROIs on one canvas; cleared when the image changes.

    Signals
    -------
    measured(str)
        The text of a new or changed measurement (for the status bar).
    """

    measured = Signal(str)

    def __init__(self, canvas: ImageCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.spacing: float | None = None
        self.items: list[dict] = []
        canvas.view.shapeDrawn.connect(self._on_drawn)

    def _on_drawn(self, tool: str, a: QPointF, b: QPointF) -> None:
        if tool == "ruler":
            self.add_ruler((a.y(), a.x()), (b.y(), b.x()))
        elif tool == "ellipse":
            rect = QRectF(a, b).normalized()
            self.add_ellipse((rect.top(), rect.left(), rect.bottom(), rect.right()))

    def add_ruler(self, start: tuple[float, float], end: tuple[float, float]) -> dict | None:
        """A ruler from ``start`` to ``end`` ((row, col) each); None for a click."""
        if self.canvas.display is None or math.dist(start, end) < 2:
            return None
        roi = pg.LineSegmentROI([(start[1], start[0]), (end[1], end[0])], pen=_PEN)
        return self._add("ruler", roi)

    def add_ellipse(self, box: tuple[float, float, float, float]) -> dict | None:
        """An ellipse inscribed in ``box`` (row_min, col_min, row_max, col_max); None for a click."""
        r0, c0, r1, c1 = box
        if self.canvas.display is None or r1 - r0 < 2 or c1 - c0 < 2:
            return None
        roi = pg.EllipseROI([c0, r0], [c1 - c0, r1 - r0], pen=_PEN, rotatable=False)
        for handle in list(roi.getHandles()):
            if handle.typ == "r":  # axis-aligned: the statistics assume it
                roi.removeHandle(handle)
        return self._add("ellipse", roi)

    def _add(self, kind: str, roi) -> dict:
        roi.setZValue(14)
        label = pg.TextItem("", color=(160, 255, 160), anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 150))
        label.setZValue(15)
        for item in (roi, label):
            self.canvas.view.addItem(item)
        entry = {"kind": kind, "roi": roi, "label": label, "text": "", "values": {}}
        self.items.append(entry)
        roi.sigRegionChanged.connect(lambda _r, e=entry: self._update(e))
        self._update(entry)
        return entry

    def _update(self, entry: dict) -> None:
        roi, spacing = entry["roi"], self.spacing
        if entry["kind"] == "ruler":
            (x0, y0), (x1, y1) = [(p.x(), p.y()) for p in (roi.mapToParent(h.pos()) for h in roi.endpoints)]
            length = math.hypot(x1 - x0, y1 - y0)
            entry["values"] = {"length_px": length, "length_mm": length * spacing if spacing else None}
            entry["text"] = ruler_text(length, spacing)
            entry["label"].setPos(max(x0, x1), max(y0, y1) if x1 >= x0 else min(y0, y1))
        else:
            pos, size = roi.pos(), roi.size()
            stats = ellipse_stats(self.canvas.display.full, (pos.y() + size.y() / 2, pos.x() + size.x() / 2),
                                  (size.y() / 2, size.x() / 2))
            stats["area_mm2"] = stats["area_px"] * spacing ** 2 if spacing else None
            entry["values"], entry["text"] = stats, ellipse_text(stats, spacing)
            entry["label"].setPos(pos.x() + size.x(), pos.y() + size.y())
        entry["label"].setText(entry["text"])
        self.measured.emit(entry["text"].replace("\n", ", "))

    def clear(self) -> None:
        """Remove every measurement."""
        for entry in self.items:
            for item in (entry["roi"], entry["label"]):
                self.canvas.view.removeItem(item)
        self.items = []
