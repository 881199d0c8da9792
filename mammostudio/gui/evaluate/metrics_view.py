"""FID / KID / PRDC of a generator against a patch set, always with its backbone's label."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QFormLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..jobs import JobRunner, fid_job, weights_status

__all__ = ["MetricsView"]

BACKBONES = {"standard": "standard FID (TF Inception weights)", "authors": "authors' backbone (torchvision Inception)",
             "random": "random features (not FID)"}
ROWS = (("fid", "FID"), ("floor", "real-vs-real floor (N/2)"), ("kid", "KID"), ("kid_std", "KID std"),
        ("precision", "precision"), ("recall", "recall"), ("density", "density"), ("coverage", "coverage"),
        ("n_real", "real images"), ("n_fake", "generated images"))


class MetricsView(QWidget):
    """Inputs, the missing-weights guidance, and the result table."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.generated = QLineEdit()
        self.generated.setPlaceholderText("folder of generated PNGs or a generator checkpoint (.pt)")
        self.real = QLineEdit()
        self.real.setPlaceholderText("patch dataset (its lesion patches are the real side)")
        self.backbone = QComboBox()
        for key, text in BACKBONES.items():
            self.backbone.addItem(text, key)
        self.n = QSpinBox(minimum=4, maximum=100000, value=2000)
        self.button = QPushButton("Compute")
        self.button.clicked.connect(self.compute)
        self.guidance = QLabel("")
        self.guidance.setWordWrap(True)
        self.guidance.setStyleSheet("color: #8a5a00;")
        self.label = QLabel("")
        self.label.setStyleSheet("font-weight: bold;")
        self.label.setWordWrap(True)
        self.table = QTableWidget(len(ROWS), 1)
        self.table.setVerticalHeaderLabels([t for _k, t in ROWS])
        self.table.setHorizontalHeaderLabels(["value"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        form = QFormLayout()
        form.addRow("Generated", self.generated)
        form.addRow("Real patches", self.real)
        form.addRow("Backbone", self.backbone)
        form.addRow("Images per side (N)", self.n)
        form.addRow(self.button)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.guidance)
        lay.addWidget(self.label)
        lay.addWidget(self.table, 1)
        self.runner: JobRunner | None = None
        self.result: dict | None = None
        self.backbone.currentIndexChanged.connect(self.check_weights)

    def check_weights(self) -> bool:
        """Show where the chosen backbone's weights are, or the guidance when they are missing."""
        found, text = weights_status(self.backbone.currentData())
        self.guidance.setText(("Weights: " + text) if found else text)
        return found

    def compute(self, *, backbone: str | None = None) -> JobRunner | None:
        """Run the metrics job in a worker (``backbone`` overrides the combo, e.g. 'tiny' in tests)."""
        kind = backbone or self.backbone.currentData()
        if backbone is None and not self.check_weights():
            return None
        gen, real, n = self.generated.text().strip(), self.real.text().strip(), self.n.value()
        self.runner = JobRunner(lambda: fid_job(gen, real, backbone=kind, n=n), self)
        self.runner.progress.connect(lambda item: self.label.setText(item.message))
        self.runner.finished.connect(self.set_result)
        self.runner.failed.connect(lambda msg, _tb: (self.label.setText(""), self.guidance.setText(msg)))
        self.runner.start()
        return self.runner

    def set_result(self, res: dict) -> None:
        """Fill the table; the label names the backbone (and says so when it is not FID)."""
        self.result = res
        self.label.setText(res["label"] + ("" if res.get("is_fid") else "  - NOT FID: not comparable to published numbers"))
        for row, (key, _t) in enumerate(ROWS):
            value = res.get(key)
            text = "" if value is None else (f"{value:d}" if isinstance(value, int) else f"{value:.4g}")
            self.table.setItem(row, 0, QTableWidgetItem(text))
