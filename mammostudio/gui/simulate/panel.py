"""Simulate mode: put lesions into a normal mammogram by hand, with a live full-resolution preview.

Pick a normal image of the open dataset, pick a lesion in the gallery,
click on the image to place it (Shift+click moves the last one), change its
size and contrast with the sliders (each change re-blends the lesion's window
only, :class:`~mammostudio.core.simulate.session.SimulationSession`), undo,
and save into a simulated dataset folder. The image shown underneath is the
untouched original (the viewer's own canvas, not modified); each placed
lesion is a full-resolution image item over its window, drawn with the
canvas's window/level.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSlider, QSpinBox, QSplitter, QVBoxLayout, QWidget)

from ...core.boxes import box_size
from ...core.simulate.blend import METHODS
from ...core.simulate.session import SimulationSession
from ..canvas import ImageCanvas
from ..image_list import ImageListModel
from ..jobs import JobRunner, function_job
from .batch import BatchForm
from .gallery import LesionGallery
from .overlay import LesionOverlays
from .sources import SourceButtons

__all__ = ["SimulatePanel", "load_for_simulation"]


def load_for_simulation(row: dict):
    """(pixels, display) of one image, for a worker thread."""
    from ...core.images import load_pixels
    from ...core.pyramid import build_display

    pixels = load_pixels(row)
    return pixels, build_display(str(row["image_id"]), pixels)


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class SimulatePanel(QWidget):
    """The Simulate mode page (see the module docstring).

    Signals
    -------
    message(str)
        Status text for the main window.
    openRequested(str)
        A simulated dataset folder to open (after a batch run).
    """

    message = Signal(str)
    openRequested = Signal(str)

    def __init__(self, state, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.session: SimulationSession | None = None
        self.canvas = ImageCanvas()
        self.overlays = LesionOverlays(self.canvas)
        self.out_dir: str = ""
        self.runner: JobRunner | None = None
        self.last_preview_ms = float("nan")
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        self.gallery = LesionGallery()
        self.sources = SourceButtons(self.gallery, self, roots_of=lambda: [self.state.catalog.root]
                                     if self.state.catalog is not None else [])
        self.sources.message.connect(self.message)
        self.batch = BatchForm(lambda: self.state.catalog, self.gallery.items, inpainters=self.sources.inpainters)
        self.batch.message.connect(self.message)
        self.batch.finished.connect(self.openRequested)
        splitter = QSplitter()
        splitter.addWidget(self._controls())
        splitter.addWidget(self.canvas)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 1000])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(splitter)
        undo = QShortcut(QKeySequence(Qt.Key.Key_Backspace), self)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        undo.activated.connect(self.undo)
        self._stale = True  # the image list is filled when the page is first shown after a new dataset
        state.catalogChanged.connect(self._on_catalog)
        self._on_catalog()

    # -- construction --------------------------------------------------------------
    def _controls(self) -> QWidget:
        self.image_box = QComboBox()
        # 100,000+ normal images: a model that formats rows when painted, and no width from every row
        self.image_list = ImageListModel(self.image_box)
        self.image_box.setModel(self.image_list)
        self.image_list.rowsInserted.connect(self._on_listed)
        self.image_list.rowsRemoved.connect(self._on_listed)
        self.image_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.image_box.setMinimumContentsLength(32)
        self.image_box.currentIndexChanged.connect(self._on_image_chosen)
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.method.currentTextChanged.connect(lambda m: self._adjust(method=m))
        self.scale = _slider(25, 300, 100)
        self.contrast = _slider(0, 300, 100)
        self.scale.valueChanged.connect(lambda v: self._adjust(scale=v / 100))
        self.contrast.valueChanged.connect(lambda v: self._adjust(contrast=v / 100))
        self.size_label, self.contrast_label = QLabel("1.00 x"), QLabel("1.00 x")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.info = QLabel("Click on the breast to place the selected lesion.", wordWrap=True)
        self.timing = QLabel("")
        auto, undo, save = QPushButton("Auto place"), QPushButton("Undo last"), QPushButton("Save to dataset…")
        auto.clicked.connect(self.auto_place)
        undo.clicked.connect(self.undo)
        save.clicked.connect(self.save)
        undo.setToolTip("Remove the last lesion (Backspace)")
        lesion = QGroupBox("Lesion")
        form = QFormLayout(lesion)
        form.addRow("Blending:", self.method)
        form.addRow("Size:", self._row(self.scale, self.size_label))
        form.addRow("Contrast:", self._row(self.contrast, self.contrast_label))
        form.addRow("Demo seed:", self.seed)
        form.addRow(self._row(auto, undo, save))
        form.addRow(self.info)
        form.addRow(self.timing)
        gal = QGroupBox("Lesion source")
        gl = QVBoxLayout(gal)
        gl.addWidget(self.gallery)
        gl.addWidget(self.sources)
        box = QWidget()
        v = QVBoxLayout(box)
        v.addWidget(QLabel("Normal image:"))
        v.addWidget(self.image_box)
        v.addWidget(gal, 1)
        v.addWidget(lesion)
        v.addWidget(self.batch)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(box)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(box.sizeHint().width() + 24)
        return scroll

    @staticmethod
    def _row(*widgets) -> QHBoxLayout:
        lay = QHBoxLayout()
        for w in widgets:
            lay.addWidget(w)
        return lay

    # -- image ---------------------------------------------------------------------
    def _on_catalog(self) -> None:
        """A new dataset: the old image and its lesions go now; the list of normal images
        is made when the page is shown (at 200,000 images it is work no one may need)."""
        self._stale = True
        if self.isVisible():
            self._fill_images()
        else:
            self.overlays.clear()
            self.session = None
            self.canvas.set_display(None)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if self._stale:
            self._fill_images()

    def _fill_images(self) -> None:
        self._stale = False
        self.overlays.clear()  # a new dataset: the old image and its lesions go
        self.session = None
        self.canvas.set_display(None)
        self.image_box.blockSignals(True)
        self.image_list.list_normal(self.state.catalog)  # big catalogs: on a pool thread, then _on_listed
        self.image_box.setCurrentIndex(-1)
        self.image_box.blockSignals(False)
        self._on_listed()

    def _on_listed(self) -> None:
        self.image_box.setPlaceholderText("no normal image" if self.image_box.count() == 0 else "choose an image")

    def _on_image_chosen(self, index: int) -> None:
        if index >= 0:
            self.open_image(self.image_box.itemData(index))

    def open_image(self, image_id: str) -> None:
        """Load ``image_id`` (a worker reads it) and start a fresh session on it."""
        row = dict(self.state.catalog.image(image_id))
        self.runner = JobRunner(lambda: function_job(load_for_simulation, row, message=f"reading {image_id}"), self)
        self.runner.finished.connect(lambda res: self.set_image(row, *res))
        self.runner.failed.connect(lambda msg, _tb: self.message.emit(f"Error: {msg}"))
        self.runner.start()

    def set_image(self, row: dict, pixels: np.ndarray, display) -> None:
        """Show ``display`` and start a session on ``pixels`` (no lesion yet)."""
        self.overlays.clear()
        self.session = SimulationSession(row, pixels, inpainters=self.sources.inpainters)
        self.canvas.set_display(display)
        self.info.setText(f"{row['image_id']}: {pixels.shape[0]} x {pixels.shape[1]} px, "
                          f"{self.session.spacing:.3f} mm/px. Click to place the selected lesion.")

    # -- placing -------------------------------------------------------------------
    def _on_click(self, ev) -> None:
        if self.session is None or ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        p = self.canvas.view.mapSceneToView(ev.scenePos())
        row, col = int(p.y()), int(p.x())
        rows, cols = self.session.image.shape
        if not (0 <= row < rows and 0 <= col < cols):
            return
        if not self.session.mask[row, col]:
            self.message.emit("that point is outside the breast: click on breast tissue")
            return
        if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier and self.session.active is not None:
            self._adjust(centre=(row, col))
        else:
            self.place((row, col))

    def _settings(self) -> dict:
        return {"scale": self.scale.value() / 100, "contrast": self.contrast.value() / 100,
                "method": self.method.currentText(), "seed": self.seed.value()}

    def place(self, centre) -> None:
        """Insert the gallery's current lesion at ``centre`` (row, col)."""
        item = self.gallery.current()
        if self.session is None or item is None:
            self.message.emit("choose a normal image and a lesion first")
            return
        try:
            lesion = self.session.place(item, centre, **self._settings())
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        self._add_item(lesion)

    def auto_place(self) -> None:
        """Place the current lesion at a random valid spot (seeded by the demo seed)."""
        item = self.gallery.current()
        if self.session is None or item is None:
            return
        rng = np.random.default_rng([self.seed.value(), len(self.session.lesions)])
        lesion = self.session.auto_place(item, rng, **self._settings())
        if lesion is None:
            self.message.emit("no room for this lesion inside the breast")
            return
        self._add_item(lesion)

    def _add_item(self, lesion) -> None:
        self.overlays.add(lesion.insertion)
        self._describe(lesion)

    def _adjust(self, **change) -> None:
        if "scale" in change:
            self.size_label.setText(f"{change['scale']:.2f} x")
        if "contrast" in change:
            self.contrast_label.setText(f"{change['contrast']:.2f} x")
        if self.session is None or self.session.active is None:
            return
        t0 = time.perf_counter()
        lesion = self.session.adjust(**change)
        self.overlays.show(lesion.insertion)
        self._describe(lesion)
        self.last_preview_ms = (time.perf_counter() - t0) * 1000
        self.timing.setText(f"preview update {self.last_preview_ms:.1f} ms")

    def _describe(self, lesion) -> None:
        b = lesion.insertion.box
        mm = self.session.spacing
        self.info.setText(f"lesion {len(self.session.lesions)}: {lesion.item.label} at row {lesion.centre[0]}, "
                          f"col {lesion.centre[1]}; box {box_size(b)[0] * mm:.1f} x {box_size(b)[1] * mm:.1f} mm, "
                          f"contrast {lesion.contrast:.2f}, {lesion.method}")

    def undo(self) -> None:
        """Remove the last lesion."""
        if self.session is None or self.session.undo() is None:
            return
        self.overlays.pop()
        self.info.setText(f"{len(self.session.lesions)} lesion(s) on this image")

    def save(self, out: str | None = None) -> Path | None:
        """Write the image with its lesions into a simulated dataset folder (asked once)."""
        if self.session is None or not self.session.lesions:
            self.message.emit("place at least one lesion before saving")
            return None
        if out is None and not self.out_dir:
            out = QFileDialog.getExistingDirectory(self, "Simulated dataset folder (new or existing)")
            if not out:
                return None
        self.out_dir = out or self.out_dir
        try:
            path = self.session.save(self.out_dir, seed=self.seed.value(), dataset_root=self.state.catalog.root)
        except (OSError, ValueError) as exc:
            self.message.emit(f"Error: cannot save into {self.out_dir}: {exc}")
            return None
        self.message.emit(f"saved {len(self.session.lesions)} simulated lesion(s) into {self.out_dir}")
        return path
