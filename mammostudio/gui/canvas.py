"""The image canvas: one mammogram, window/level, invert, zoom, pan, pixel readout,
and the corner text and orientation letters a radiology viewer draws on the image.

x/y exist only here, at the pyqtgraph edge: the image item shows (rows, cols)
arrays row-major (set once at app start), x = column, y = row, y pointing down.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from .canvas_text import paint_annotation_text
from ..core.pyramid import DisplayImage

__all__ = ["ImageCanvas", "WLViewBox"]

_GREY = np.arange(256, dtype=np.uint8)


class WLViewBox(pg.ViewBox):
    """A view box where the right mouse button drags window/level (left pans, wheel zooms).

    With a drawing tool (``tool``: 'box', 'ruler' or 'ellipse') a left drag
    draws instead of panning: ``boxDrawn`` gives a box's rectangle,
    ``shapeDrawn`` a ruler's or ellipse's (tool, start, end), all in view
    coordinates (x = column, y = row).
    """

    windowDrag = Signal(float, float)
    boxDrawn = Signal(QRectF)
    shapeDrawn = Signal(str, QPointF, QPointF)

    def __init__(self) -> None:
        super().__init__(invertY=True, lockAspect=True, enableMenu=False)
        self.tool = ""  # '' pans
        self._rubber = QGraphicsRectItem()
        pen = QPen(QColor(255, 255, 255))
        pen.setCosmetic(True)
        pen.setStyle(Qt.PenStyle.DashLine)
        self._rubber.setPen(pen)
        self._rubber.setZValue(20)
        self._rubber.hide()
        self.addItem(self._rubber, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):  # noqa: D102 - pyqtgraph API
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self.windowDrag.emit(float(delta.x()), float(delta.y()))
            return
        if self.tool and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            a, b = self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())
            rect = QRectF(a, b).normalized()
            if ev.isFinish():
                self._rubber.hide()
                if self.tool == "box":
                    self.boxDrawn.emit(rect)
                else:
                    self.shapeDrawn.emit(self.tool, a, b)
            else:
                self._rubber.setRect(rect)
                self._rubber.show()
            return
        super().mouseDragEvent(ev, axis)

    @property
    def draw_mode(self) -> bool:
        """A left drag draws a lesion box (the 'box' tool)."""
        return self.tool == "box"

    @draw_mode.setter
    def draw_mode(self, on: bool) -> None:
        self.tool = "box" if on else ("" if self.tool == "box" else self.tool)


class ImageCanvas(pg.GraphicsView):
    """Shows a :class:`DisplayImage`: fit copy when zoomed out, full resolution at 1:1.

    Signals
    -------
    levelsChanged(float, float)
        (center, width) of the window after any change.
    hovered(int, int, float)
        (row, col, value) under the mouse; row = -1 when outside the image.
    """

    levelsChanged = Signal(float, float)
    hovered = Signal(int, int, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="k")
        self.view = WLViewBox()
        self.setCentralItem(self.view)
        self.image_item = pg.ImageItem()
        self.view.addItem(self.image_item)
        self.display: DisplayImage | None = None
        self.window_center, self.window_width = 0.5, 1.0
        self.inverted = False
        self.max_pool = True
        self.level = "none"  # which copy is shown: 'fit' or 'full'
        self._crop: tuple[int, int, int, int] | None = None  # full-resolution part shown
        # Corner text (lines per corner: 'tl', 'tr', 'bl', 'br'), the laterality
        # marker, and orientation letters of the image's left, right, top, bottom.
        self.corners: dict[str, list[str]] = {}
        self.marker = ""
        self.orientation = ("", "", "", "")
        self.show_text = True
        self.view.windowDrag.connect(self._on_window_drag)
        self.view.sigRangeChanged.connect(self._choose_level)
        self.scene().sigMouseMoved.connect(self._on_mouse)

    # -- content ---------------------------------------------------------------
    def set_display(self, display: DisplayImage | None, *, keep_view: bool = False) -> None:
        """Show ``display`` (None clears), window = its full data range unless kept."""
        self.display = display
        self.level = "none"
        if display is None:
            self.image_item.clear()
            self.corners, self.marker, self.orientation = {}, "", ("", "", "", "")
            self.viewport().update()
            return
        lo, hi = display.data_range
        self.window_center, self.window_width = (lo + hi) / 2, hi - lo
        self._show_level("fit")
        if not keep_view:
            self.fit()
        self.levelsChanged.emit(self.window_center, self.window_width)

    def _fit_array(self) -> np.ndarray:
        return self.display.fit_max if self.max_pool else self.display.fit_mean

    def _show_level(self, level: str) -> None:
        rows, cols = self.display.shape
        if level == "full":
            # Full resolution, but only the visible part plus a margin: a
            # window/level drag then re-maps ~2 M pixels, not 13 M.
            r0, r1, c0, c1 = self._crop = self._visible_crop()
            arr, rect = self.display.full[r0:r1, c0:c1], QRectF(c0, r0, c1 - c0, r1 - r0)
        else:
            self._crop = None
            arr, rect = self._fit_array(), QRectF(0, 0, cols, rows)
        self.image_item.setImage(arr, autoLevels=False, levels=self._levels(), lut=self._lut())
        self.image_item.setRect(rect)
        self.level = level

    def _visible_crop(self, margin: float = 0.25) -> tuple[int, int, int, int]:
        """(r0, r1, c0, c1): the visible image part grown by ``margin`` of its size per side."""
        rows, cols = self.display.shape
        v = self.view.viewRect()
        dr, dc = v.height() * margin, v.width() * margin
        r0, r1 = max(0, int(v.top() - dr)), min(rows, int(np.ceil(v.bottom() + dr)))
        c0, c1 = max(0, int(v.left() - dc)), min(cols, int(np.ceil(v.right() + dc)))
        return (r0, max(r1, r0 + 1), c0, max(c1, c0 + 1))

    def _crop_covers_view(self) -> bool:
        if self._crop is None:
            return False
        r0, r1, c0, c1 = self._crop
        rows, cols = self.display.shape
        v = self.view.viewRect()
        return (v.top() >= r0 or r0 == 0) and (v.bottom() <= r1 or r1 == rows) and \
            (v.left() >= c0 or c0 == 0) and (v.right() <= c1 or c1 == cols)

    def set_max_pool(self, on: bool) -> None:
        """Use the block-max (True) or block-mean fit copy."""
        self.max_pool = bool(on)
        if self.display is not None and self.level == "fit":
            self._show_level("fit")

    # -- window / level / invert -----------------------------------------------
    def _levels(self) -> tuple[float, float]:
        half = max(self.window_width, 1e-6) / 2
        return (self.window_center - half, self.window_center + half)

    def _lut(self) -> np.ndarray:
        return _GREY[::-1].copy() if self.inverted else _GREY

    def set_window(self, center: float, width: float) -> None:
        """Set window centre and width in pixel units; redraws at once."""
        self.window_center, self.window_width = float(center), max(float(width), 1.0)
        if self.display is not None:
            self.image_item.setLevels(self._levels())
            self.viewport().update()  # the W / L corner text
        self.levelsChanged.emit(self.window_center, self.window_width)

    def set_inverted(self, on: bool) -> None:
        """Show dense tissue dark (True) or bright (False)."""
        self.inverted = bool(on)
        if self.display is not None:
            self.image_item.setLookupTable(self._lut())

    def _on_window_drag(self, dx: float, dy: float) -> None:
        if self.display is None:
            return
        lo, hi = self.display.data_range
        step = (hi - lo) / 400.0  # full range across 400 screen pixels
        self.set_window(self.window_center - dy * step, self.window_width + dx * step)

    # -- zoom ------------------------------------------------------------------
    def fit(self) -> None:
        """Zoom so the whole image fits the view."""
        if self.display is not None:
            rows, cols = self.display.shape
            self.view.setRange(QRectF(0, 0, cols, rows), padding=0.01)

    def one_to_one(self) -> None:
        """One image pixel per screen pixel, around the current centre."""
        if self.display is None:
            return
        centre = self.view.viewRect().center()
        w, h = max(self.view.width(), 1), max(self.view.height(), 1)
        self.view.setRange(QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h), padding=0)

    def image_pixels_per_screen_pixel(self) -> float:
        """How many image pixels one screen pixel covers now."""
        return self.view.viewRect().width() / max(self.view.width(), 1.0)

    def _choose_level(self, *_) -> None:
        if self.display is None or self.display.factor == 1:
            return  # small images: the fit copy is the full image
        # Reduced copy only while it is not magnified on screen.
        want = "fit" if self.image_pixels_per_screen_pixel() >= self.display.factor * 0.75 else "full"
        if want != self.level or (want == "full" and not self._crop_covers_view()):
            self._show_level(want)

    # -- corner text (OHIF / Weasis style) ---------------------------------------
    def set_annotation_text(self, corners: dict[str, list[str]], marker: str = "",
                            orientation: tuple[str, str, str, str] = ("", "", "", "")) -> None:
        """Set the corner text, the laterality marker and the orientation letters.

        Parameters
        ----------
        corners : dict
            Lines per corner: 'tl', 'tr', 'bl', 'br'. Window/level and zoom are
            added to 'bl' live.
        marker : str
            Laterality and view (e.g. 'R CC'), drawn large at the top of the
            side named by ``orientation`` as anterior ('A'), else at the left.
        orientation : (left, right, top, bottom)
            Patient-direction letters of the image's edges as stored; they swap
            when the view is mirrored.
        """
        self.corners, self.marker, self.orientation = dict(corners), marker, tuple(orientation)
        self.viewport().update()

    def set_text_visible(self, on: bool) -> None:
        """Show or hide the corner text, marker and orientation letters."""
        self.show_text = bool(on)
        self.viewport().update()

    def zoom_percent(self) -> float:
        """Screen pixels per image pixel, in percent."""
        return 100.0 / max(self.image_pixels_per_screen_pixel(), 1e-9)

    def shown_orientation(self) -> tuple[str, str, str, str]:
        """(left, right, top, bottom) letters as on screen (mirroring applied)."""
        left, right, top, bottom = self.orientation
        return (right, left, top, bottom) if self.view.state.get("xInverted") else (left, right, top, bottom)

    def drawForeground(self, painter, rect) -> None:  # noqa: D102 - Qt API
        super().drawForeground(painter, rect)
        if self.show_text and (self.display is not None or self.corners):
            paint_annotation_text(self, painter)

    # -- readout ---------------------------------------------------------------
    def pixel_at(self, row: int, col: int) -> float | None:
        """Full-resolution value at (row, col), None outside the image."""
        if self.display is None:
            return None
        rows, cols = self.display.shape
        if 0 <= row < rows and 0 <= col < cols:
            return float(self.display.full[row, col])
        return None

    def _on_mouse(self, scene_pos) -> None:
        if self.display is None:
            return
        p = self.view.mapSceneToView(scene_pos)
        row, col = int(np.floor(p.y())), int(np.floor(p.x()))
        value = self.pixel_at(row, col)
        self.hovered.emit(row if value is not None else -1, col, value if value is not None else 0.0)
