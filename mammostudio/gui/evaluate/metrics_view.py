"""FID / KID / PRDC of a generator against a patch set, always with its backbone's label."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..jobs import JobRunner, fid_job, weights_status
from .paths import PathField

__all__ = ["MetricsView", "small_sample_warning", "gui_guidance"]

BACKBONES = {"standard": "standard FID (TF Inception weights)", "authors": "authors' backbone (torchvision Inception)",
             "random": "random features (not FID)"}
ROWS = (("fid", "FID"), ("floor", "real-vs-real floor (N/2)"), ("kid", "KID"), ("kid_std", "KID std"),
        ("precision", "precision"), ("recall", "recall"), ("density", "density"), ("coverage", "coverage"),
        ("n_real", "real images"), ("n_fake", "generated images"))
FEATURE_DIMS = 2048  # Inception pool features: fewer images than this leave the covariance rank-deficient


def small_sample_warning(n_real: int, n_fake: int) -> str:
    """A warning when N is too small for a Fréchet distance to mean much ('' when N is fine)."""
    n = min(n_real, n_fake)
    if n >= FEATURE_DIMS:
        return ""
    severity = "meaningless as an absolute number" if n < 50 else "biased upwards"
    return (f"Only {n} images per side (FID is defined for N >= {FEATURE_DIMS}, the paper used 2000): the value is "
            f"{severity}. Compare it only with runs at the same N and with the real-vs-real floor.")


def gui_guidance(text: str) -> str:
    """The missing-weights message in the app's terms (the command line's flag has no meaning here)."""
    return text.replace("or pass its path with --weights FILE", "or choose the file with 'Weights file…'") \
        .replace("--backbone random", "the 'random features' backbone")


class MetricsView(QWidget):
    """Inputs, the missing-weights guidance, progress with Cancel, and the result table."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.generated = PathField("folder of generated PNGs or a generator checkpoint (.pt)", "Generated images",
                                   files="Checkpoint (*.pt)")
        self.real = PathField("patch dataset (its lesion patches are the real side)", "Real patch dataset")
        self.weights = PathField("Inception weight file (default: searched for)", "Inception weights",
                                 files="Weights (*.pth *.pt)")
        self.backbone = QComboBox()
        for key, text in BACKBONES.items():
            self.backbone.addItem(text, key)
        self.n = QSpinBox(minimum=4, maximum=100000, value=2000)
        self.button = QPushButton("Compute")
        self.button.clicked.connect(lambda: self.compute())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.bar = QProgressBar()
        self.bar.hide()
        self.guidance = QLabel("")
        self.guidance.setWordWrap(True)
        self.guidance.setStyleSheet("color: #8a5a00;")
        self.label = QLabel("")
        self.label.setStyleSheet("font-weight: bold;")
        self.label.setWordWrap(True)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background:#ff8f00; color:black; padding:4px;")
        self.warning.hide()
        self.table = QTableWidget(len(ROWS), 1)
        self.table.setVerticalHeaderLabels([t for _k, t in ROWS])
        self.table.setHorizontalHeaderLabels(["value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        form = QFormLayout()
        form.addRow("Generated", self.generated)
        form.addRow("Real patches", self.real)
        form.addRow("Backbone", self.backbone)
        form.addRow("Weights file", self.weights)
        form.addRow("Images per side (N)", self.n)
        buttons = QHBoxLayout()
        buttons.addWidget(self.button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.bar, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.guidance)
        lay.addWidget(self.label)
        lay.addWidget(self.warning)
        lay.addWidget(self.table, 1)
        self.runner: JobRunner | None = None
        self.result: dict | None = None
        self.backbone.currentIndexChanged.connect(self.check_weights)
        self.weights.edit.editingFinished.connect(self.check_weights)

    @property
    def running(self) -> bool:
        return self.runner is not None and self.runner.running

    def _weights(self):
        return self.weights.text().strip() or None

    def check_weights(self) -> bool:
        """Show where the chosen backbone's weights are, or the guidance when they are missing."""
        found, text = weights_status(self.backbone.currentData(), self._weights())
        self.guidance.setText(("Weights: " + text) if found else gui_guidance(text))
        return found

    def compute(self, *, backbone: str | None = None) -> JobRunner | None:
        """Run the metrics job in a worker (``backbone`` overrides the combo, e.g. 'tiny' in tests)."""
        if self.running:
            return None
        kind = backbone or self.backbone.currentData()
        if backbone is None and not self.check_weights():
            return None
        gen, real, n, weights = self.generated.text().strip(), self.real.text().strip(), self.n.value(), self._weights()
        self.runner = JobRunner(lambda: fid_job(gen, real, backbone=kind, n=n, weights=weights), self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self.set_result)
        self.runner.failed.connect(lambda msg, _tb: (self.label.setText(""), self.guidance.setText(gui_guidance(msg))))
        self.runner.cancelled.connect(lambda: self.label.setText("cancelled"))
        self.runner.done.connect(self._ended)
        self.button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.warning.hide()
        self.runner.start()
        return self.runner

    def cancel(self) -> None:
        """Stop the computation (between batches)."""
        if self.running:
            self.runner.cancel()
            self.label.setText("cancelling ...")

    def _on_progress(self, item) -> None:
        self.label.setText(item.message)
        if item.total:
            self.bar.setRange(0, item.total)
            self.bar.setValue(item.done)
        else:
            self.bar.setRange(0, 0)

    def _ended(self) -> None:
        self.button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.bar.hide()

    def set_result(self, res: dict) -> None:
        """Fill the table; the label names the backbone, the distance row says FID only when it is."""
        self.result = res
        is_fid = bool(res.get("is_fid"))
        self.label.setText(res["label"] if is_fid or "not fid" in res["label"].lower()
                           else f"{res['label']} (not FID: not comparable to published numbers)")
        names = [t for _k, t in ROWS]
        names[0] = "FID" if is_fid else "Fréchet distance (random features)"
        self.table.setVerticalHeaderLabels(names)
        for row, (key, _t) in enumerate(ROWS):
            value = res.get(key)
            text = "" if value is None else (f"{value:d}" if isinstance(value, int) else f"{value:.4g}")
            self.table.setItem(row, 0, QTableWidgetItem(text))
        warning = small_sample_warning(int(res.get("n_real", 0)), int(res.get("n_fake", 0)))
        self.warning.setText("⚠ " + warning)
        self.warning.setVisible(bool(warning))
