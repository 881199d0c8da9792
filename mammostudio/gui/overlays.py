"""Overlays on the canvas: breast mask (yellow), lesion ground truth (cyan), extraction audit.

The audit is the paper's Figure 2 for one image: accepted tissue patches green,
rejected candidates red with their reason, lesion patch yellow.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem

__all__ = ["OverlayLayer", "ground_truth_small", "MASK_RGB", "GT_RGB"]

MASK_RGB = (255, 230, 0)
GT_RGB = (0, 230, 255)


def _tint(mask: np.ndarray, rgb) -> np.ndarray:
    out = np.zeros(mask.shape + (4,), np.uint8)
    out[mask] = (*rgb, 255)
    return out


def ground_truth_small(shape: tuple[int, int], boxes: np.ndarray, factor: int) -> np.ndarray:
    """Lesion ground truth (spec 1.5, box ends inclusive) at the fit copy's scale.

    Parameters
    ----------
    shape : (rows, cols) of the full image
    boxes : int array (n, 4) of row_min, col_min, row_max, col_max (full resolution)
    factor : int reduction of the fit copy

    Returns
    -------
    bool ndarray (ceil(rows/factor), ceil(cols/factor)): True on every reduced
    pixel touched by a box.
    """
    small = np.zeros((-(-shape[0] // factor), -(-shape[1] // factor)), bool)
    for r0, c0, r1, c1 in np.asarray(boxes, dtype=np.int64).reshape(-1, 4):
        small[max(r0, 0) // factor: r1 // factor + 1, max(c0, 0) // factor: c1 // factor + 1] = True
    return small


def _rect_path(rects) -> QPainterPath:
    """Squares (row, col, size) as one path."""
    path = QPainterPath()
    for r, c, size in rects:
        path.addRect(QRectF(c, r, size, size))
    return path


def _box_path(boxes) -> QPainterPath:
    """Inclusive boxes (row_min, col_min, row_max, col_max) as one path."""
    path = QPainterPath()
    for r0, c0, r1, c1 in np.asarray(boxes).reshape(-1, 4):
        path.addRect(QRectF(c0, r0, c1 - c0 + 1, r1 - r0 + 1))
    return path


class OverlayLayer:
    """The overlay items of one canvas view box."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.mask_item = pg.ImageItem()
        self.gt_item = pg.ImageItem()
        for z, item in ((5, self.mask_item), (6, self.gt_item)):
            item.setZValue(z)
            view.addItem(item)
        self.mask_opacity, self.gt_opacity = 0.15, 0.35
        self.hidden = False
        self.audit_items: list = []
        self.has_mask = False

    def set_image(self, shape, factor: int, mask: np.ndarray | None, boxes: np.ndarray) -> None:
        """Fill the mask and ground-truth images for a new image or new boxes."""
        rect = QRectF(0, 0, shape[1], shape[0])
        self.has_mask = mask is not None
        if mask is not None:
            self.mask_item.setImage(_tint(mask, MASK_RGB), autoLevels=False, levels=(0, 255))
            self.mask_item.setRect(rect)
        else:
            self.mask_item.clear()
        self.gt_item.setImage(_tint(ground_truth_small(shape, boxes, factor), GT_RGB), autoLevels=False, levels=(0, 255))
        self.gt_item.setRect(rect)
        self._apply_opacity()

    def set_opacity(self, *, mask: float | None = None, gt: float | None = None) -> None:
        """Opacity in [0, 1] of the mask / ground-truth overlays."""
        if mask is not None:
            self.mask_opacity = float(mask)
        if gt is not None:
            self.gt_opacity = float(gt)
        self._apply_opacity()

    def set_hidden(self, hidden: bool) -> None:
        """Hide (True) or show every overlay at once."""
        self.hidden = bool(hidden)
        self._apply_opacity()
        for item in self.audit_items:
            item.setVisible(not self.hidden)

    def _apply_opacity(self) -> None:
        self.mask_item.setOpacity(0.0 if self.hidden else self.mask_opacity)
        self.gt_item.setOpacity(0.0 if self.hidden else self.gt_opacity)

    # -- extraction audit (Figure 2) ---------------------------------------------
    def clear_audit(self) -> None:
        """Remove the audit drawing."""
        for item in self.audit_items:
            self.view.removeItem(item)
        self.audit_items = []

    def show_audit(self, audit: pd.DataFrame, boxes: np.ndarray, *, max_labels: int = 40) -> dict:
        """Draw an audit table (row, col, size, accepted, reason) and the lesion boxes.

        Returns counts {'accepted': n, 'rejected': n, reasons...} for the status bar.
        """
        self.clear_audit()
        acc = audit[audit["accepted"].astype(bool)]
        rej = audit[~audit["accepted"].astype(bool)]
        for rects, colour, width in ((rej, (255, 60, 60), 1), (acc, (60, 255, 60), 2)):
            self._add_path(_rect_path(rects[["row", "col", "size"]].to_numpy()), colour, width, 8)
        self._add_path(_box_path(boxes), (255, 230, 0), 3, 9)
        # One label per distinct reason and place (the first few): the red cloud
        # itself shows where candidates fell, the label says why.
        for _, r in rej.drop_duplicates("reason").head(max_labels).iterrows():
            text = pg.TextItem(str(r["reason"]), color=(255, 120, 120), anchor=(0, 1))
            text.setPos(float(r["col"]), float(r["row"]))
            text.setZValue(10)
            self.view.addItem(text)
            self.audit_items.append(text)
        counts = {"accepted": len(acc), "rejected": len(rej)}
        counts.update({f"rejected: {k}": int(v) for k, v in rej["reason"].value_counts().items()})
        return counts

    def outline(self, box, *, colour=(255, 0, 255)) -> None:
        """Outline one patch (row_min, col_min, row_max, col_max) until the next image."""
        self._add_path(_box_path([int(v) for v in box]), colour, 3, 11)

    def _add_path(self, path: QPainterPath, colour, width: int, z: float) -> None:
        """Draw ``path`` with a cosmetic pen (same width at any zoom); cleared with the audit."""
        item = QGraphicsPathItem(path)
        pen = QPen(QColor(*colour))
        pen.setCosmetic(True)
        pen.setWidth(width)
        item.setPen(pen)
        item.setZValue(z)
        item.setVisible(not self.hidden)
        self.view.addItem(item)
        self.audit_items.append(item)
