"""A patch display at a physical size (mm on screen), with smooth zoom, pan and window/level."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["PatchView", "ZOOM_RANGE"]

ZOOM_RANGE = (1.0, 8.0)


class PatchView(QtWidgets.QWidget):
    """One greyscale patch shown ``display_mm`` millimetres wide, whatever the monitor.

    At zoom 1 the patch's side is ``display_mm * px_per_mm`` logical pixels
    (``px_per_mm`` from the screen calibration, see :mod:`.calibration`); when
    the view is smaller than that the patch is reduced to fit and
    :attr:`reduced` says so. Zoom (1..8, continuous) is about the cursor or the
    centre, drawn with bilinear interpolation; dragging pans. Window/level act
    on the 0..255 display values. The same view class, interpolation and
    defaults show every image, real or generated.
    """

    display_changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, accessible_name: str = "Case image",
                 display_mm: float = 50.0, px_per_mm: float | None = None) -> None:
        super().__init__(parent)
        self._glw = pg.GraphicsLayoutWidget(self)
        self._glw.setBackground("k")
        self._glw.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        # bilinear magnification instead of nearest-neighbour blocks
        self._glw.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        self._glw.ci.layout.setContentsMargins(0, 0, 0, 0)
        self._vb = self._glw.addViewBox(lockAspect=True, enableMenu=False, invertY=True)
        self._vb.setMouseEnabled(x=False, y=False)
        self._vb.setDefaultPadding(0.0)
        self._item = pg.ImageItem(axisOrder="row-major")
        self._vb.addItem(self._item)
        self._glw.viewport().installEventFilter(self)
        self._glw.viewport().setCursor(QtCore.Qt.CursorShape.OpenHandCursor)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._glw)
        self.setAccessibleName(accessible_name)
        self.setMinimumSize(200, 200)
        self._shape = (1, 1)
        self._drag: QtCore.QPointF | None = None
        if px_per_mm is None:
            from .calibration import px_per_mm as calibrated

            px_per_mm = calibrated(self.screen())[0]
        self.display_mm, self.px_per_mm = float(display_mm), float(px_per_mm)
        self.zoom, self.window_width, self.window_level = 1.0, 256.0, 128.0
        self.center: tuple[float, float] | None = None  # (row, col) in image pixels; None = the patch centre
        self.reduced = False

    # --- image ---------------------------------------------------------------
    def set_image(self, image: np.ndarray | None) -> None:
        """Show a (rows, cols) uint8 patch, or nothing (the view keeps zoom and window)."""
        if image is None:
            self._item.clear()
            return
        image = np.asarray(image)
        self._shape = image.shape
        self._item.setImage(image, autoLevels=False)
        self.center = None
        self._apply()

    def image(self) -> np.ndarray | None:
        """The displayed pixels (for tests)."""
        return self._item.image

    # --- physical size ---------------------------------------------------------
    def set_physical(self, display_mm: float, px_per_mm: float | None = None) -> None:
        """Show the patch ``display_mm`` wide at zoom 1 (``px_per_mm``: a new screen calibration)."""
        self.display_mm = float(display_mm)
        if px_per_mm is not None:
            self.px_per_mm = float(px_per_mm)
        self._apply()

    def screen_scale(self) -> float:
        """Logical screen pixels per image pixel right now."""
        rows, cols = self._shape
        side = self.display_mm * self.px_per_mm
        w, h = max(self._glw.width(), 1), max(self._glw.height(), 1)
        fit = min(w / cols, h / rows)
        base = side / max(rows, cols)
        self.reduced = base > fit + 1e-9
        return min(base, fit) * self.zoom

    def shown_mm(self) -> float:
        """The patch's side on screen in mm at the current zoom."""
        return self.screen_scale() * max(self._shape) / self.px_per_mm

    # --- display controls ------------------------------------------------------
    def set_zoom(self, zoom: float, *, about: tuple[float, float] | None = None) -> None:
        """Magnification relative to the physical size (1..8), keeping image point ``about`` (row, col) still."""
        old = self.zoom
        self.zoom = float(np.clip(zoom, *ZOOM_RANGE))
        if about is not None and self.zoom != old:
            cr, cc = self._centre()
            f = old / self.zoom
            self.center = (about[0] + (cr - about[0]) * f, about[1] + (cc - about[1]) * f)
        self._apply()

    def pan(self, d_rows: float, d_cols: float) -> None:
        """Move the view by (rows, cols) image pixels (clamped to the patch)."""
        cr, cc = self._centre()
        self.center = (cr + d_rows, cc + d_cols)
        self._apply()

    def adjust_window(self, delta: float) -> None:
        """Widen (delta > 0) or narrow the grey window (display units 0..255)."""
        self.window_width = float(np.clip(self.window_width + delta, 8.0, 512.0))
        self._apply()

    def adjust_level(self, delta: float) -> None:
        """Move the window centre (brighter image for negative delta)."""
        self.window_level = float(np.clip(self.window_level + delta, 0.0, 255.0))
        self._apply()

    def reset_display(self) -> None:
        """Physical size (zoom 1), centred, full window (0..255)."""
        self.zoom, self.window_width, self.window_level, self.center = 1.0, 256.0, 128.0, None
        self._apply()

    def levels(self) -> tuple[float, float]:
        """Current (black, white) display levels."""
        return self.window_level - self.window_width / 2.0, self.window_level + self.window_width / 2.0

    def _centre(self) -> tuple[float, float]:
        rows, cols = self._shape
        return self.center if self.center is not None else (rows / 2.0, cols / 2.0)

    def _apply(self) -> None:
        self._item.setLevels(self.levels())
        rows, cols = self._shape
        s = self.screen_scale()
        w, h = max(self._glw.width(), 1), max(self._glw.height(), 1)
        half_c, half_r = w / (2.0 * s), h / (2.0 * s)
        cr, cc = self._centre()
        # keep the patch on screen: the centre may move only as far as the magnified patch reaches
        cr = float(np.clip(cr, min(rows / 2, half_r), max(rows / 2, rows - half_r)))
        cc = float(np.clip(cc, min(cols / 2, half_c), max(cols / 2, cols - half_c)))
        if self.center is not None:
            self.center = (cr, cc)
        self._vb.setRange(xRange=(cc - half_c, cc + half_c), yRange=(cr - half_r, cr + half_r), padding=0.0)
        self.display_changed.emit()

    # --- mouse: drag pans, wheel zooms about the cursor ------------------------------
    def _image_point(self, pos: QtCore.QPointF) -> tuple[float, float]:
        p = self._vb.mapSceneToView(self._glw.mapToScene(pos.toPoint()))
        return float(p.y()), float(p.x())

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        t = event.type()
        if t == QtCore.QEvent.Type.Wheel:
            steps = event.angleDelta().y() / 120.0
            if steps:
                self.set_zoom(self.zoom * 1.15 ** steps, about=self._image_point(event.position()))
            return True
        if t == QtCore.QEvent.Type.MouseButtonPress and event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._drag = event.position()
            return True
        if t == QtCore.QEvent.Type.MouseMove and self._drag is not None:
            d = event.position() - self._drag
            self._drag = event.position()
            s = self.screen_scale()
            self.pan(-d.y() / s, -d.x() / s)
            return True
        if t == QtCore.QEvent.Type.MouseButtonRelease:
            self._drag = None
            return True
        return super().eventFilter(obj, event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._apply()
