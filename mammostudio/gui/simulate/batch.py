"""The batch form of Simulate mode: the headless ``mammostudio simulate`` job, with progress."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout,
                               QLineEdit, QProgressBar, QPushButton, QSpinBox)

from ...core.simulate.blend import METHODS
from ...core.simulate.dataset import SimulateParams, simulate_dataset
from ..jobs import JobRunner

__all__ = ["BatchForm"]


def _spin(lo, hi, value, *, step=None, decimals=None):
    if decimals is None:
        w = QSpinBox()
    else:
        w = QDoubleSpinBox()
        w.setDecimals(decimals)
        w.setSingleStep(step or 0.1)
    w.setRange(lo, hi)
    w.setValue(value)
    return w


class BatchForm(QGroupBox):
    """N lesions into M normal images of the open dataset, drawn from the gallery's pool.

    Signals
    -------
    finished(str)
        The output folder, when a run ended.
    message(str)
        Status text.
    """

    finished = Signal(str)
    message = Signal(str)

    def __init__(self, catalog_of, pool_of, parent=None, *, inpainters: dict | None = None) -> None:
        super().__init__("Batch: simulated dataset (headless job)", parent)
        self.catalog_of, self.pool_of = catalog_of, pool_of
        self.inpainters = inpainters if inpainters is not None else {}
        self.runner: JobRunner | None = None
        self.images = _spin(1, 100000, 4)
        self.lesions = _spin(1, 20, 1)
        self.controls = _spin(0, 100000, 0)
        self.method = QComboBox()
        self.method.addItems(list(METHODS))
        self.contrast_lo, self.contrast_hi = _spin(0, 5, 0.8, decimals=2), _spin(0, 5, 1.2, decimals=2)
        self.scale_lo, self.scale_hi = _spin(0.1, 5, 1.0, decimals=2), _spin(0.1, 5, 1.0, decimals=2)
        self.margin = _spin(0, 50, 5.0, decimals=1, step=1.0)
        self.seed = _spin(0, 2**31 - 1, 0)
        self.out = QLineEdit(placeholderText="output folder (new, or a run to resume)")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        self.run_button, self.cancel_button = QPushButton("Run"), QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.bar = QProgressBar()
        form = QFormLayout(self)
        form.addRow("Images (M):", self.images)
        form.addRow("Lesions each (N):", self.lesions)
        form.addRow("Control images:", self.controls)
        form.addRow("Blending:", self.method)
        form.addRow("Contrast range:", self._pair(self.contrast_lo, self.contrast_hi))
        form.addRow("Size factor range:", self._pair(self.scale_lo, self.scale_hi))
        form.addRow("Margin (mm):", self.margin)
        form.addRow("Seed:", self.seed)
        form.addRow("Output:", self._pair(self.out, browse))
        form.addRow(self._pair(self.run_button, self.cancel_button))
        form.addRow(self.bar)

    @staticmethod
    def _pair(a, b):
        lay = QHBoxLayout()
        lay.addWidget(a, 1)
        lay.addWidget(b)
        return lay

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Simulated dataset folder")
        if folder:
            self.out.setText(folder)

    def params(self) -> SimulateParams:
        """The form as :class:`SimulateParams` (ValueError for bad ranges)."""
        return SimulateParams(images=self.images.value(), lesions_per_image=self.lesions.value(),
                              controls=self.controls.value(), method=self.method.currentText(),
                              contrast=(self.contrast_lo.value(), self.contrast_hi.value()),
                              scale=(self.scale_lo.value(), self.scale_hi.value()),
                              margin_mm=self.margin.value(), seed=self.seed.value())

    def run(self) -> None:
        """Start the job (the open dataset's normal images, the gallery's lesions)."""
        catalog = self.catalog_of()
        if catalog is None or not self.out.text().strip():
            self.message.emit("open a dataset and choose an output folder first")
            return
        try:
            params = self.params()
        except ValueError as exc:
            self.message.emit(str(exc))
            return
        out, pool = Path(self.out.text().strip()), self.pool_of()
        inpainters = dict(self.inpainters)
        self.runner = JobRunner(lambda: simulate_dataset(catalog, out, pool, params, inpainters=inpainters), self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(lambda summary: (self.message.emit(
            f"{summary['lesions']} simulated lesions written to {summary['out']}"), self.finished.emit(str(out))))
        self.runner.failed.connect(lambda msg, _tb: self.message.emit(f"Error: {msg}"))
        self.runner.cancelled.connect(lambda: self.message.emit("simulation cancelled; Run again to resume"))
        self.runner.done.connect(lambda: (self.run_button.setEnabled(True), self.cancel_button.setEnabled(False)))
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.runner.start()

    def cancel(self) -> None:
        """Stop the job after the current image (a rerun resumes)."""
        if self.runner is not None:
            self.runner.cancel()

    def _on_progress(self, item) -> None:
        if item.total:
            self.bar.setRange(0, item.total)
            self.bar.setValue(item.done)
        if item.message:
            self.message.emit(item.message)
