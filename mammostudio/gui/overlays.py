"""Overlays on the canvas, drawn as outlines: breast mask (yellow), lesion ground truth (cyan),
extraction audit.

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

from ..core.boxes import box_to_rect

__all__ = ["OverlayLayer", "ground_truth_small", "mask_outline_path", "MASK_RGB", "GT_RGB", "AUDIT_RGB"]

MASK_RGB = (255, 230, 0)
GT_RGB = (0, 230, 255)
AUDIT_RGB = {"accepted": (60, 255, 60), "rejected": (255, 60, 60), "lesion": (255, 230, 0)}


def mask_outline_path(mask: np.ndarray, factor: int) -> QPainterPath:
    """The breast mask's outline (a reduced mask scaled by ``factor``) as a vector path.

    Radiology viewers draw segmentations as outlines, so the tissue under them
    keeps its grey levels; a vector path stays one screen pixel wide at any zoom.
    """
    from skimage.measure import find_contours

    path = QPainterPath()
    padded = np.pad(np.asarray(mask, dtype=np.float32), 1)  # contours close at the image edge
    for contour in find_contours(padded, 0.5):
        if len(contour) < 8:
            continue
        pts = (contour[:: max(1, len(contour) // 2000)] - 1 + 0.5) * factor
        path.moveTo(float(pts[0, 1]), float(pts[0, 0]))
        for r, c in pts[1:]:
            path.lineTo(float(c), float(r))
        path.closeSubpath()
    return path


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
    for box in np.asarray(boxes).reshape(-1, 4):
        path.addRect(QRectF(*box_to_rect(box)))
    return path


class OverlayLayer:
    """The overlay items of one canvas view box: outlines, never fills.

    Parameters
    ----------
    view : pg.ViewBox
    mask_visible : bool
        Draw the breast-mask outline (off by default: greyscale first).
    gt_visible : bool
        Draw the lesion ground-truth boxes as outlines (the single viewer's
        editable boxes do that job there, so it passes False).
    """

    def __init__(self, view: pg.ViewBox, *, mask_visible: bool = False, gt_visible: bool = True) -> None:
        self.view = view
        self.mask_item = QGraphicsPathItem()
        self.gt_item = QGraphicsPathItem()
        for z, item, rgb in ((5, self.mask_item, MASK_RGB), (6, self.gt_item, GT_RGB)):
            pen = QPen(QColor(*rgb))
            pen.setCosmetic(True)
            pen.setWidthF(1.5)
            item.setPen(pen)
            item.setZValue(z)
            view.addItem(item)
        self.mask_opacity, self.gt_opacity = (1.0 if mask_visible else 0.0), (1.0 if gt_visible else 0.0)
        self.hidden = False
        self.audit_items: list = []
        self.rejected_items: list = []
        self.show_rejected = True
        self.has_mask = False

    def set_image(self, shape, factor: int, mask: np.ndarray | None, boxes: np.ndarray) -> None:
        """Outline the breast mask (reduced by ``factor``) and the boxes of a new image."""
        self.has_mask = mask is not None
        self.mask_item.setPath(mask_outline_path(mask, factor) if mask is not None else QPainterPath())
        self.gt_item.setPath(_box_path(boxes))
        self._apply_opacity()

    def set_mask(self, mask: np.ndarray | None, factor: int) -> None:
        """Replace the breast-mask outline (e.g. after a threshold change)."""
        self.has_mask = mask is not None
        self.mask_item.setPath(mask_outline_path(mask, factor) if mask is not None else QPainterPath())

    def set_opacity(self, *, mask: float | None = None, gt: float | None = None) -> None:
        """Opacity in [0, 1] of the mask / ground-truth outlines (0 = off)."""
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
            item.setVisible(not self.hidden and (self.show_rejected or item not in self.rejected_items))

    def set_show_rejected(self, on: bool) -> None:
        """Show or hide the audit's rejected candidates (red) and their reasons."""
        self.show_rejected = bool(on)
        self.set_hidden(self.hidden)

    def _apply_opacity(self) -> None:
        self.mask_item.setOpacity(0.0 if self.hidden else self.mask_opacity)
        self.gt_item.setOpacity(0.0 if self.hidden else self.gt_opacity)

    # -- extraction audit (Figure 2) ---------------------------------------------
    def clear_audit(self) -> None:
        """Remove the audit drawing."""
        for item in self.audit_items:
            self.view.removeItem(item)
        self.audit_items, self.rejected_items = [], []

    def show_audit(self, audit: pd.DataFrame, boxes: np.ndarray, *, max_labels: int = 40) -> dict:
        """Draw an audit table (row, col, size, accepted, reason) and the lesion boxes.

        Returns counts {'accepted': n, 'rejected': n, reasons...} for the status bar.
        """
        self.clear_audit()
        acc = audit[audit["accepted"].astype(bool)]
        rej = audit[~audit["accepted"].astype(bool)]
        self._add_path(_rect_path(rej[["row", "col", "size"]].to_numpy()), AUDIT_RGB["rejected"], 1, 8)
        self.rejected_items.append(self.audit_items[-1])
        self._add_path(_rect_path(acc[["row", "col", "size"]].to_numpy()), AUDIT_RGB["accepted"], 2, 8)
        self._add_path(_box_path(boxes), AUDIT_RGB["lesion"], 3, 9)
        # One label per distinct reason and place (the first few): the red cloud
        # itself shows where candidates fell, the label says why.
        for _, r in rej.drop_duplicates("reason").head(max_labels).iterrows():
            text = pg.TextItem(str(r["reason"]), color=(255, 120, 120), anchor=(0, 1))
            text.setPos(float(r["col"]), float(r["row"]))
            text.setZValue(10)
            self.view.addItem(text)
            self.audit_items.append(text)
            self.rejected_items.append(text)
        self.set_hidden(self.hidden)
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
