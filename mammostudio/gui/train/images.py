"""Grey-level image grids on a QLabel (nearest-neighbour scaling keeps pixels crisp)."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

__all__ = ["GridLabel", "tile", "to_qimage"]


def to_qimage(img: np.ndarray) -> QImage:
    """uint8 (rows, cols) -> a QImage owning a copy of the pixels."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    rows, cols = img.shape
    return QImage(img.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()


def tile(images: np.ndarray, *, pad: int = 2) -> np.ndarray:
    """Show a uint8 stack (n, rows, cols) as one near-square grid for display."""
    n, r, c = images.shape
    per_row = max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / per_row)
    out = np.zeros((pad + rows * (r + pad), pad + per_row * (c + pad)), np.uint8)
    for i, img in enumerate(images):
        y, x = divmod(i, per_row)
        out[pad + y * (r + pad):pad + y * (r + pad) + r, pad + x * (c + pad):pad + x * (c + pad) + c] = img
    return out


class GridLabel(QLabel):
    """Shows one grey image scaled to fit, pixels kept square and sharp."""

    def __init__(self, placeholder: str = "", parent=None) -> None:
        super().__init__(placeholder, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: #202020; color: #aaaaaa;")
        self.image: np.ndarray | None = None
        self._pixmap: QPixmap | None = None

    def set_image(self, img: np.ndarray | None) -> None:
        """Show ``img`` (uint8 (rows, cols)); None clears."""
        self.image = None if img is None else np.asarray(img)
        self._pixmap = None if img is None else QPixmap.fromImage(to_qimage(img))
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None:
            self.setPixmap(QPixmap())
            return
        self.setPixmap(self._pixmap.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._rescale()
