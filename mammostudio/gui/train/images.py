"""Grey-level image grids on a QLabel (nearest-neighbour scaling keeps pixels crisp)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy

__all__ = ["GridLabel", "to_qimage"]


def to_qimage(img: np.ndarray) -> QImage:
    """uint8 (rows, cols) -> a QImage owning a copy of the pixels."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    rows, cols = img.shape
    return QImage(img.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()


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
