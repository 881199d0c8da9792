"""The augmentation experiment (paper Figure 7-9, Table 3): per-cell progress, F1/AUC table, F1 vs k."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..jobs import experiment_job
from ..train.session import RunSession
from .paths import PathField

__all__ = ["ExperimentView", "MODE_COLOURS"]

MODE_COLOURS = {"ORG": (31, 119, 180), "Aug ORG": (44, 160, 44), "GAN": (255, 127, 14), "Aug GAN": (214, 39, 40)}


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~item.flags().ItemIsEditable)
    return item


class ExperimentView(QWidget):
    """Start (or resume) an experiment folder and watch its grid fill in."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.presets: dict = {}
        self.patches = PathField("patch dataset", "Patch dataset")
        self.out = PathField("experiment folder (an existing one resumes)", "Experiment folder")
        self.preset = QComboBox()
        self.cells_edit = QLineEdit()
        self.cells_edit.setPlaceholderText("optional cell patterns, e.g. *_f0 (default: all)")
        self.start_button, self.stop_button = QPushButton("Run experiment"), QPushButton("Stop")
        self.start_button.clicked.connect(self.start_from_form)
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Patches", self.patches)
        form.addRow("Folder", self.out)
        form.addRow("Preset", self.preset)
        form.addRow("Cells", self.cells_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        self.grid = QTableWidget(0, 3)
        self.grid.setHorizontalHeaderLabels(["cell", "status", "progress"])
        self.grid.horizontalHeader().setStretchLastSection(True)
        self.table = QTableWidget(0, 0)
        self.plot = pg.PlotWidget(background="w", title="F1 of the lesion class vs k (mean over folds)")
        self.plot.setLabel("bottom", "k (real lesion patches)")
        self.plot.setLabel("left", "F1")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # F1 is 0..1, never 'F1 (x0.001)'
        self.plot.setYRange(0, 1, padding=0.02)
        self.plot.addLegend(offset=(-5, -5), labelTextColor=(40, 40, 40), brush=(255, 255, 255, 170))  # see-through
        self.curves: dict[str, pg.PlotDataItem] = {}
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addLayout(form)
        lv.addLayout(buttons)
        lv.addWidget(self.status)
        lv.addWidget(self.grid, 1)
        right = QSplitter()
        right.setOrientation(pg.QtCore.Qt.Orientation.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.plot)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        QVBoxLayout(self).addWidget(split)
        self.session: RunSession | None = None
        self.rows: dict[str, int] = {}
        self.results: list[dict] = []
        self.modes: list[str] = list(MODE_COLOURS)

    def set_presets(self, presets: dict) -> None:
        """Experiment presets (``{'paper': ExperimentConfig, 'tiny': ...}``)."""
        self.presets = presets
        self.preset.clear()
        self.preset.addItems(list(presets))

    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def start_from_form(self) -> None:
        config = self.presets.get(self.preset.currentText())
        cells = [c.strip() for c in self.cells_edit.text().split(",") if c.strip()] or None
        if config is not None:
            self.start(self.patches.text().strip(), self.out.text().strip(), config, cells=cells)

    def start(self, patches: str, out: str, config, *, cells=None) -> RunSession | None:
        """Run the experiment in a worker."""
        if self.running:
            return None
        self.grid.setRowCount(0)
        self.rows.clear()
        self.results.clear()
        self.session = RunSession(lambda control: experiment_job(patches, out, config, cells=cells, control=control),
                                  self)
        self.session.events.connect(self.add_events)
        self.session.message.connect(self.status.setText)
        self.session.failed.connect(lambda msg, _tb: self.status.setText(f"Error: {msg}"))
        self.session.start()
        return self.session

    def stop(self) -> None:
        if self.running:
            self.session.stop()

    def add_events(self, events: list[dict]) -> None:
        """Grid rows from the 'grid' event; per-cell progress; results into the table and plot."""
        changed = False
        for e in events:
            if e.get("kind") == "grid":
                self.modes = list(e["modes"])
                self.grid.setRowCount(len(e["cells"]))
                for i, cid in enumerate(e["cells"]):
                    self.rows[cid] = i
                    for col, text in enumerate((cid, "pending", "")):
                        self.grid.setItem(i, col, _item(text))
            elif e.get("kind") == "cell" and e.get("cell") in self.rows:
                row = self.rows[e["cell"]]
                res = e.get("result")
                if res is not None:
                    status = "done" + (f": F1 {res['f1']:.3f}, AUC {res['auc']:.3f}" if res.get("kind") == "clf" else "")
                    if res.get("kind") == "clf":
                        self.results.append(res)
                        changed = True
                else:
                    status = "skipped" if "skipped" in e.get("message", "") or "already" in e.get("message", "") \
                        else "running"
                self.grid.item(row, 1).setText(status)
                self.grid.item(row, 2).setText(str(e.get("message", "")))
        if changed:
            self._refresh_results()

    def summary(self) -> dict[tuple[str, int], tuple[float, float, float, int]]:
        """(mode, k) -> (F1 mean, F1 std, AUC mean, folds) over the finished cells."""
        out = {}
        for mode in self.modes:
            for k in sorted({r["k"] for r in self.results}):
                rs = [r for r in self.results if r["mode"] == mode and r["k"] == k]
                if rs:
                    f1 = np.array([r["f1"] for r in rs], float)
                    auc = np.array([r["auc"] for r in rs], float)
                    out[(mode, k)] = (f1.mean(), f1.std(ddof=1) if len(f1) > 1 else 0.0, np.nanmean(auc), len(rs))
        return out

    def _refresh_results(self) -> None:
        summ = self.summary()
        ks = sorted({k for _m, k in summ})
        self.table.setRowCount(len(self.modes))
        self.table.setColumnCount(len(ks))
        self.table.setVerticalHeaderLabels(self.modes)
        self.table.setHorizontalHeaderLabels([f"k={k}" for k in ks])
        for i, mode in enumerate(self.modes):
            for j, k in enumerate(ks):
                v = summ.get((mode, k))
                text = "" if v is None else f"F1 {v[0]:.3f} ± {v[1]:.3f}\nAUC {v[2]:.3f} ({v[3]} folds)"
                self.table.setItem(i, j, _item(text))
        self.table.resizeRowsToContents()
        for mode in self.modes:
            pts = sorted((k, v[0]) for (m, k), v in summ.items() if m == mode)
            if not pts:
                continue
            if mode not in self.curves:
                colour = MODE_COLOURS.get(mode, (0, 0, 0))
                self.curves[mode] = self.plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour,
                                                   name=mode)
            self.curves[mode].setData(*np.array(pts, float).T)
