"""The t-SNE map of real, generated and tissue patches (paper Figures 10-11); hover shows the patch."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ..jobs import JobRunner, tsne_job
from ..train.images import GridLabel
from .paths import PathField

__all__ = ["TSNEView", "STYLES"]

# Paper Figures 10-11: real = red x, generated = green circle, tissue = purple triangle. The real set
# holds every lesion type of the patch dataset (masses, calcifications, distortions), hence "lesion".
STYLES = {"real": ("x", (214, 39, 40), "real lesion"), "generated": ("o", (44, 160, 44), "generated lesion"),
          "tissue": ("t", (148, 103, 189), "normal tissue")}


class TSNEView(QWidget):
    """Inputs, the scatter (one item per group) and the hovered patch."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.real = PathField("patch dataset (real lesion and tissue patches)", "Real patch dataset")
        self.generated = PathField("folder of generated PNGs or a generator checkpoint (.pt)", "Generated images",
                                   files="Checkpoint (*.pt)")
        self.tissue = QCheckBox("include tissue patches")
        self.tissue.setChecked(True)
        self.n = QSpinBox(minimum=10, maximum=20000, value=500)
        # The lowest value of each box stands for "the preset's" (the paper's unless fast is ticked):
        # the numbers themselves live in one place, trainers.metrics.tsne.TSNE_PRESETS.
        self.fast = QCheckBox("fast preview (not the paper's settings)")
        self.perplexity = QSpinBox(minimum=1, maximum=1000, value=1, specialValueText="preset's")
        self.iterations = QSpinBox(minimum=249, maximum=10000, value=249, specialValueText="preset's")
        for box in (self.perplexity, self.iterations):
            box.setToolTip("'preset's' uses the paper's t-SNE settings (or the fast preview's when ticked); "
                           "any other value overrides it and is named in the result")
        self.run_button = QPushButton("Compute t-SNE")
        self.run_button.clicked.connect(self.compute)
        form = QFormLayout()
        form.addRow("Real patches", self.real)
        form.addRow("Generated", self.generated)
        form.addRow("", self.tissue)
        form.addRow("Patches per group", self.n)
        form.addRow("", self.fast)
        form.addRow("Perplexity", self.perplexity)
        form.addRow("Iterations", self.iterations)
        form.addRow(self.run_button)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w", title="t-SNE of raw patch pixels")
        self.plot.setLabel("bottom", "X1")
        self.plot.setLabel("left", "X2")
        self.legend = self.plot.addLegend(offset=(10, 10), labelTextColor=(40, 40, 40), brush=(255, 255, 255, 170))
        self.hover_view = GridLabel("hover a point")
        self.hover_view.setMinimumSize(200, 200)
        self.hover_label = QLabel("")
        side = QVBoxLayout()
        side.addLayout(form)
        side.addWidget(self.status)
        side.addWidget(self.hover_label)
        side.addWidget(self.hover_view)
        side.addStretch(1)
        lay = QHBoxLayout(self)
        lay.addLayout(side, 1)
        lay.addWidget(self.plot, 3)
        self.runner: JobRunner | None = None
        self.result: dict | None = None
        self.items: dict[str, pg.ScatterPlotItem] = {}

    def compute(self) -> JobRunner | None:
        """Run the t-SNE job in a worker."""
        if self.runner is not None and self.runner.running:
            return None
        real, gen = self.real.text().strip(), self.generated.text().strip() or None
        custom = lambda box: None if box.value() == box.minimum() else box.value()  # noqa: E731
        args = dict(tissue=self.tissue.isChecked(), n=self.n.value(), preset="fast" if self.fast.isChecked() else "paper",
                    perplexity=custom(self.perplexity), max_iter=custom(self.iterations))
        self.runner = JobRunner(lambda: tsne_job(real, gen, **args), self)
        self.runner.progress.connect(lambda item: self.status.setText(item.message))
        self.runner.finished.connect(self.set_result)
        self.runner.failed.connect(lambda msg, _tb: self.status.setText(f"Error: {msg}"))
        self.run_button.setEnabled(False)
        self.runner.done.connect(lambda: self.run_button.setEnabled(True))
        self.runner.start()
        return self.runner

    def set_result(self, res: dict) -> None:
        """Draw a :func:`trainers.jobs.tsne_job` result."""
        self.result = res
        for item in self.items.values():
            self.plot.removeItem(item)
        self.items.clear()
        self.legend.clear()
        labels = np.asarray(res["label"])
        for group, (symbol, colour, name) in STYLES.items():
            idx = np.flatnonzero(labels == group)
            if not len(idx):
                continue
            brush = pg.mkBrush(*colour, 170) if symbol != "x" else pg.mkBrush(*colour)
            item = pg.ScatterPlotItem(res["x"][idx], res["y"][idx], data=idx, symbol=symbol, size=8 if symbol != "x" else 9,
                                      pen=pg.mkPen(colour) if symbol == "x" else pg.mkPen(None), brush=brush,
                                      hoverable=True, hoverSize=13, name=f"{name} ({len(idx)})")
            item.sigHovered.connect(self._hovered)
            self.plot.addItem(item)
            self.items[group] = item
        a = res.get("attrs", {})
        self.status.setText(f"t-SNE of {len(labels)} patches: {a.get('settings', '')}; ran perplexity "
                            f"{a.get('perplexity', '?'):g}, {a.get('n_iter', '?')} iterations, {a.get('seconds', 0):.1f} s"
                            + (f". {a['note']}" if a.get("note") else ""))

    def _hovered(self, _item, points, _ev) -> None:
        if len(points):
            self.show_point(int(points[0].data()))

    def show_point(self, index: int) -> None:
        """Show patch ``index`` (row of the result) beside the map."""
        if self.result is None:
            return
        self.hover_view.set_image(self.result["patches"][index])
        group = self.result["label"][index]
        self.hover_label.setText(f"{STYLES.get(group, ('', '', group))[2]} #{index}")
