"""The lesion gallery of Simulate mode: demo, real and generated lesions with thumbnails.

Real lesion patches come from a patch dataset, generated ones from a
``mammostudio generate`` folder or straight from a DCGAN checkpoint (through
``gui.jobs.lesion_generation_job``); the demo's parametric lesions are always
there. Items are :class:`mammostudio.core.simulate.sources.SourceItem`.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from ...core.simulate.sources import SourceItem, parametric_items

__all__ = ["LesionGallery", "thumbnail"]

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB = 72


def thumbnail(item: SourceItem) -> np.ndarray:
    """A uint8 (THUMB, THUMB) picture of ``item`` (demo lesions drawn on grey)."""
    if item.array is not None:
        arr = np.asarray(item.array, dtype=np.float32)
    elif item.kind == "inpaint":  # drawn at placement: a dashed ellipse on tissue grey stands for it
        yy, xx = np.mgrid[0:THUMB, 0:THUMB] - (THUMB - 1) / 2
        ring = np.abs(np.hypot(yy / 0.8, xx) - THUMB * 0.3) < 1.5
        arr = np.where(ring & ((np.arctan2(yy, xx) * 6).astype(int) % 2 == 0), 230.0, 90.0)
    else:
        from ...core.simulate.lesion import parametric_template

        t = parametric_template(item.source.get("name", item.lesion_type), spacing_mm=0.15, seed=0, size_mm=10.0)
        arr = 90.0 + 255.0 * 2.0 * t.signal
    rows, cols = arr.shape
    side = max(rows, cols)
    pad = np.full((side, side), float(np.median(arr[[0, -1]].ravel())), np.float32)
    pad[(side - rows) // 2:(side - rows) // 2 + rows, (side - cols) // 2:(side - cols) // 2 + cols] = arr
    idx = (np.arange(THUMB) * side / THUMB).astype(int)
    small = pad[idx][:, idx]
    return np.clip(small, 0, 255).astype(np.uint8)


def _icon(arr: np.ndarray) -> QIcon:
    arr = np.ascontiguousarray(arr)
    img = QImage(arr.data, arr.shape[1], arr.shape[0], arr.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QIcon(QPixmap.fromImage(img))


class LesionGallery(QListWidget):
    """Icon list of lesion source items; the current one is what a click places.

    Signals
    -------
    itemsChanged()
        Items were added.
    """

    itemsChanged = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setGridSize(QSize(THUMB + 24, THUMB + 30))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.add_items(parametric_items())
        self.setCurrentRow(0)

    def add_items(self, items: list[SourceItem]) -> None:
        """Append ``items`` (each with its thumbnail and its provenance as a tooltip)."""
        for it in items:
            w = QListWidgetItem(_icon(thumbnail(it)), it.label[:18])
            w.setData(ITEM_ROLE, it)
            extra = f", {it.spacing_mm:.3f} mm/px" if it.spacing_mm else ""
            w.setToolTip(f"{it.kind}: {it.label} ({it.lesion_type or 'type unknown'}{extra})")
            self.addItem(w)
        self.itemsChanged.emit()

    def current(self) -> SourceItem | None:
        """The selected item (None when nothing is selected)."""
        w = self.currentItem()
        return None if w is None else w.data(ITEM_ROLE)

    def items(self) -> list[SourceItem]:
        """Every item, in order (the pool of a batch run)."""
        return [self.item(i).data(ITEM_ROLE) for i in range(self.count())]
