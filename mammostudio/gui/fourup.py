"""The four-up study view: R/L CC above, R/L MLO below, mirrored back to back.

Radiologists compare the two breasts as mirror images: the right breast hangs on
the left of the screen with its chest wall towards the middle, the left breast on
the right. Files do not always say which side the chest wall is on, so each
pane looks: the chest wall is the side where the breast is widest (brightest
column band); the pane's x axis is inverted when it is on the wrong side.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from .canvas import ImageCanvas
from .loader import ImageLoader
from .overlays import OverlayLayer
from .pyramid import DisplayImage
from .state import AppState

__all__ = ["FourUpView", "chest_wall_side", "SLOTS"]

SLOTS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))


def chest_wall_side(image: np.ndarray) -> str:
    """'left' or 'right': the image side where the breast touches the edge (more signal)."""
    cols = image.shape[1]
    band = max(1, cols // 8)
    col_mean = np.asarray(image, np.float64).mean(axis=0)
    return "left" if col_mean[:band].mean() >= col_mean[-band:].mean() else "right"


class _Pane(QWidget):
    def __init__(self, state: AppState, side: str, view: str) -> None:
        super().__init__()
        self.state, self.side, self.view_name = state, side, view
        self.image_id = ""
        self.title = QLabel(f"{side} {view}: no image")
        self.canvas = ImageCanvas(self)
        self.overlays = OverlayLayer(self.canvas.view)
        self.loader = ImageLoader(self, cache_size=2)
        self.loader.ready.connect(self._on_ready)
        self.loader.failed.connect(lambda iid, msg: self.title.setText(f"{side} {view}: cannot read ({msg})"))
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.addWidget(self.title)
        layout.addWidget(self.canvas, 1)

    def show(self, image_id: str) -> None:  # noqa: A003 - a pane shows an image
        self.image_id = image_id
        if not image_id:
            self.canvas.set_display(None)
            self.overlays.set_image((1, 1), 1, None, np.zeros((0, 4)))
            self.title.setText(f"{self.side} {self.view_name}: no image in this study")
            return
        self.title.setText(f"{self.side} {self.view_name}: {image_id} (loading)")
        self.loader.request(image_id, self.state.image_row(image_id))

    def _on_ready(self, d: DisplayImage) -> None:
        if d.image_id != self.image_id:
            return
        want = "right" if self.side == "R" else "left"  # chest walls meet in the middle
        self.canvas.view.invertX(chest_wall_side(d.fit_max) != want)
        self.canvas.set_display(d)
        les = self.state.lesions_of(d.image_id)
        self.overlays.set_image(d.shape, d.factor, None, les[["row_min", "col_min", "row_max", "col_max"]].to_numpy())
        self.overlays.set_opacity(gt=0.5)
        self.title.setText(f"{self.side} {self.view_name}: {d.image_id}  ({len(les)} boxes)")

    def _on_click(self, ev) -> None:
        if ev.double() and self.image_id:
            self.state.select(self.image_id)


class FourUpView(QWidget):
    """The four standard views of the current image's study."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.study = None
        self.panes = {slot: _Pane(state, *slot) for slot in SLOTS}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, slot in enumerate(SLOTS):
            grid.addWidget(self.panes[slot], i // 2, i % 2)
        state.currentImageChanged.connect(self._on_image)
        state.catalogChanged.connect(lambda: setattr(self, "study", None))

    def _on_image(self, image_id: str) -> None:
        if not image_id or not self.isVisible():
            self._pending = image_id
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
