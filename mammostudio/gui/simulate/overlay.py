"""The inserted lesions drawn over the viewer's canvas, one full-resolution image item each.

The canvas keeps showing the untouched image (it is not modified); each
lesion's blended window is an image item placed over it and drawn with the
canvas's window/level and inversion, so a size or contrast change redraws
only that window.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

__all__ = ["LesionOverlays"]

_GREY = np.arange(256, dtype=np.uint8)


class LesionOverlays:
    """Image items over an :class:`~mammostudio.gui.canvas.ImageCanvas`, last one = the active lesion."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas
        self.items: list[pg.ImageItem] = []
        canvas.levelsChanged.connect(lambda *_: self.restyle())

    def __len__(self) -> int:
        return len(self.items)

    def levels(self) -> tuple[float, float]:
        """The canvas's window as (low, high), as its own image item uses it."""
        half = max(self.canvas.window_width, 1e-6) / 2
        return self.canvas.window_center - half, self.canvas.window_center + half

    def lut(self) -> np.ndarray:
        return _GREY[::-1].copy() if self.canvas.inverted else _GREY

    def add(self, insertion) -> pg.ImageItem:
        """A new item showing ``insertion`` (it becomes the last)."""
        item = pg.ImageItem()
        item.setZValue(5)
        self.canvas.view.addItem(item)
        self.items.append(item)
        self.show(insertion)
        return item

    def show(self, insertion, item: pg.ImageItem | None = None) -> None:
        """Draw ``insertion.after`` over its window (on the last item by default)."""
        item = item or self.items[-1]
        r0, c0, r1, c1 = insertion.window
        item.setImage(insertion.after, autoLevels=False, levels=self.levels(), lut=self.lut())
        item.setRect(QRectF(c0, r0, c1 - c0, r1 - r0))

    def pop(self) -> None:
        """Remove the last item."""
        self.canvas.view.removeItem(self.items.pop())

    def clear(self) -> None:
        """Remove every item."""
        while self.items:
            self.pop()

    def restyle(self) -> None:
        """Follow the canvas's window/level and inversion."""
        for item in self.items:
            item.setLevels(self.levels())
            item.setLookupTable(self.lut())
