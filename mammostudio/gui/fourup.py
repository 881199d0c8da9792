"""The four-up study view: RCC, LCC above, RMLO, LMLO below, mirrored back to back.

Radiologists compare the two breasts as mirror images: the right breast hangs on
the left of the screen with its chest wall towards the middle, the left breast on
the right. Files do not always say which side the chest wall is on, so each
pane looks: the chest wall is the side where the breast is widest (brightest
column band); the pane's x axis is inverted when it is on the wrong side.
Zoom and pan are linked (as in OHIF's and Weasis's synchronised viewports):
the same region, measured from the chest wall, shows in all four panes.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QToolBar, QVBoxLayout, QWidget

from .canvas import ImageCanvas
from .loader import ImageLoader
from ..core.navigation import HANGING, chest_wall_side, image_annotation
from .overlays import OverlayLayer
from ..core.pyramid import DisplayImage
from .state import AppState
from .tags import with_header_fields

__all__ = ["FourUpView", "SLOTS"]

SLOTS = HANGING  # RCC, LCC / RMLO, LMLO: row by row


class _Pane(QWidget):
    ready = Signal(object)  # this pane, once its image is shown
    opened = Signal(str)  # double-click: show this image alone

    def __init__(self, state: AppState, side: str, view: str) -> None:
        super().__init__()
        self.state, self.side, self.view_name = state, side, view
        self.image_id = ""
        self.chest_wall = "left"
        self.canvas = ImageCanvas(self)
        self.overlays = OverlayLayer(self.canvas.view, mask_visible=False, gt_visible=True)
        self.loader = ImageLoader(self, cache_size=2)
        self.loader.ready.connect(self._on_ready)
        self.loader.failed.connect(lambda iid, msg: state.message.emit(f"{side} {view}: cannot read {iid} ({msg})"))
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.addWidget(self.canvas, 1)

    def show(self, image_id: str) -> None:  # noqa: A003 - a pane shows an image
        self.image_id = image_id
        if not image_id:
            self.canvas.set_display(None)
            self.overlays.set_image((1, 1), 1, None, np.zeros((0, 4)))
            self.canvas.set_annotation_text({"tl": ["no image in this study"]}, f"{self.side} {self.view_name}")
            return
        self.loader.request(image_id, self.state.image_row(image_id))

    def _on_ready(self, d: DisplayImage) -> None:
        if d.image_id != self.image_id:
            return
        self.chest_wall = chest_wall_side(d.fit_max, d.header.get("patient_orientation"))
        want = "right" if self.side == "R" else "left"  # chest walls meet in the middle
        self.canvas.view.invertX(self.chest_wall != want)
        self.canvas.set_display(d)
        les = self.state.lesions_of(d.image_id)
        self.overlays.set_image(d.shape, d.factor, None, les[["row_min", "col_min", "row_max", "col_max"]].to_numpy())
        row = self.state.image_row(d.image_id)
        imgs = self.state.catalog.images
        study = imgs[(imgs["patient_id"] == row.get("patient_id")) & (imgs["study_id"] == row.get("study_id"))]
        corners, marker, orientation = image_annotation(with_header_fields(row, d.header), study, self.chest_wall)
        corners["tr"] = [*corners.get("tr", [])[:1], f"{len(les)} box(es)"] if len(les) else corners.get("tr", [])[:1]
        corners.pop("br", None)
        self.canvas.set_annotation_text(corners, marker, orientation)
        self.ready.emit(self)

    def _on_click(self, ev) -> None:
        if ev.double() and self.image_id:
            self.state.select(self.image_id)
            self.opened.emit(self.image_id)

    # -- linked zoom / pan, in chest-wall coordinates -----------------------------
    def normalised_view(self) -> tuple[float, float, float, float] | None:
        """(s0, s1, v0, v1): the visible part as fractions, s from the chest wall, v from the top."""
        d = self.canvas.display
        if d is None:
            return None
        rows, cols = d.shape
        r = self.canvas.view.viewRect()
        s = sorted(x / cols if self.chest_wall == "left" else 1 - x / cols for x in (r.left(), r.right()))
        return s[0], s[1], r.top() / rows, r.bottom() / rows

    def show_normalised(self, s0: float, s1: float, v0: float, v1: float) -> None:
        """Show the part given by :meth:`normalised_view` fractions."""
        d = self.canvas.display
        if d is None:
            return
        rows, cols = d.shape
        xs = [s * cols if self.chest_wall == "left" else (1 - s) * cols for s in (s0, s1)]
        self.canvas.view.setRange(QRectF(min(xs), v0 * rows, abs(xs[1] - xs[0]), (v1 - v0) * rows), padding=0)


class FourUpView(QWidget):
    """The four standard views of the current image's study, in the hanging order.

    Signals
    -------
    imageOpened(str)
        A pane was double-clicked: show that image alone (as OHIF's 1-up toggle).
    """

    imageOpened = Signal(str)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.study = None
        self._syncing = False
        self.toolbar = QToolBar("Study")
        self.act_link = QAction("Link zoom/pan", self)
        self.act_link.setCheckable(True)
        self.act_link.setChecked(True)
        self.act_link.setToolTip("Zoom and pan all four views together (mirrored: the same region from the chest wall)")
        self.toolbar.addAction(self.act_link)
        fit = self.toolbar.addAction("Fit all")
        fit.triggered.connect(self.fit_all)
        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        self.panes = {}
        for i, slot in enumerate(SLOTS):
            pane = self.panes[slot] = _Pane(state, *slot)
            grid.addWidget(pane, i // 2, i % 2)
            pane.ready.connect(self.pane_ready)
            pane.opened.connect(self.imageOpened)
            pane.canvas.view.sigRangeChanged.connect(lambda *_a, p=pane: self._sync(p))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(grid_holder, 1)
        state.currentImageChanged.connect(self._on_image)
        state.catalogChanged.connect(lambda: setattr(self, "study", None))

    def pane_ready(self, pane: _Pane) -> None:
        """A pane has its image: match the others' zoom when linked."""
        others = [p for p in self.panes.values() if p is not pane and p.canvas.display is not None]
        if self.act_link.isChecked() and others:
            self._sync(others[0])

    def _sync(self, source: _Pane) -> None:
        if self._syncing or not self.act_link.isChecked():
            return
        view = source.normalised_view()
        if view is None:
            return
        self._syncing = True
        try:
            for pane in self.panes.values():
                if pane is not source:
                    pane.show_normalised(*view)
        finally:
            self._syncing = False

    def fit_all(self) -> None:
        """Fit every pane (the whole breast in each)."""
        self._syncing = True
        try:
            for pane in self.panes.values():
                pane.canvas.fit()
        finally:
            self._syncing = False

    def _on_image(self, image_id: str) -> None:
        if not image_id or not self.isVisible():
            return
        row = self.state.image_row(image_id)
        if (row["patient_id"], row["study_id"]) != self.study:
            self.show_study(row["patient_id"], row["study_id"])

    def showEvent(self, event) -> None:  # noqa: D102 - Qt API
        super().showEvent(event)
        if self.state.current_image:
            self._on_image(self.state.current_image)

    def show_study(self, patient_id: str, study_id: str) -> None:
        """Fill the four panes from one study (first image of each side/view)."""
        self.study = (patient_id, study_id)
        imgs = self.state.catalog.images
        study = imgs[(imgs["patient_id"] == patient_id) & (imgs["study_id"] == study_id)]
        for (side, view), pane in self.panes.items():
            hit = study[(study["laterality"] == side) & (study["view"].str.upper().str.startswith(view))]
            pane.show(str(hit["image_id"].iloc[0]) if len(hit) else "")

    def assignments(self) -> dict[tuple[str, str], str]:
        """Which image each pane shows (for tests and the status bar)."""
        return {slot: pane.image_id for slot, pane in self.panes.items()}
