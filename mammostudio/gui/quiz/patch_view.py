"""A large patch display with zoom and window/level, identical for every image."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

__all__ = ["PatchView"]


class PatchView(QtWidgets.QWidget):
    """One greyscale patch, nearest-neighbour magnified, with window/level.

    Zoom multiplies the displayed size (1x fits the widget); window/level act
    on the 0..255 display values. The same view class, interpolation and
    defaults show every image, real or generated.
    """

    display_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, accessible_name: str = "Case image") -> None:
        super().__init__(parent)
        self._glw = pg.GraphicsLayoutWidget(self)
        self._glw.setBackground("k")
        self._glw.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self._vb = self._glw.addViewBox(lockAspect=True, enableMenu=False, invertY=True)
        self._vb.setMouseEnabled(x=False, y=False)
        self._item = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._item)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._glw)
        self.setAccessibleName(accessible_name)
        self.setMinimumSize(256, 256)
        self._shape = (1, 1)
        self.zoom, self.window, self.level = 1.0, 256.0, 128.0

    # --- image ---------------------------------------------------------------
    def set_image(self, image: np.ndarray | None) -> None:
        """Show a (rows, cols) uint8 patch, or nothing."""
        if image is None:
            self._item.clear()
            return
        image = np.asarray(image)
        self._shape = image.shape
        self._item.setImage(image, autoLevels=False)
        self._apply()

    def image(self) -> np.ndarray | None:
        """The displayed pixels (for tests)."""
        return self._item.image

    # --- display controls ------------------------------------------------------
    def set_zoom(self, zoom: float) -> None:
        """Magnification relative to fitting the patch in the view (1..8)."""
        self.zoom = float(np.clip(zoom, 1.0, 8.0))
        self._apply()

    def adjust_window(self, delta: float) -> None:
        """Widen (delta > 0) or narrow the grey window (display units 0..255)."""
        self.window = float(np.clip(self.window + delta, 8.0, 512.0))
        self._apply()

    def adjust_level(self, delta: float) -> None:
        """Move the window centre (brighter image for negative delta)."""
        self.level = float(np.clip(self.level + delta, 0.0, 255.0))
        self._apply()

    def reset_display(self) -> None:
        """Zoom 1x, full window (0..255)."""
        self.zoom, self.window, self.level = 1.0, 256.0, 128.0
        self._apply()

    def levels(self) -> tuple[float, float]:
        """Current (black, white) display levels."""
        return self.level - self.window / 2.0, self.level + self.window / 2.0

    def _apply(self) -> None:
        self._item.setLevels(self.levels())
        rows, cols = self._shape
        # Show a centred region 1/zoom of the patch: fit, then magnify about the centre.
        half_r, half_c = rows / (2.0 * self.zoom), cols / (2.0 * self.zoom)
        self._vb.setRange(xRange=(cols / 2 - half_c, cols / 2 + half_c),
                          yRange=(rows / 2 - half_r, rows / 2 + half_r), padding=0.0)
        self.display_changed.emit()
