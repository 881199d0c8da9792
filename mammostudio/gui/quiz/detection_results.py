"""Results of a detection study: wAFROC per reader and pooled, FROC / AFROC curves,
detection rate of simulated vs real lesions, and the RJafroc export."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from ...core.quiz import QuizStore
from ...core.quiz.detect_report import DetectionResults, summarise_detection
from .results import _PENS, _fmt, export_report, results_plot

__all__ = ["DetectionResultsView"]

_COLUMNS = [("reader", "Reader"), ("cases", "Cases"), ("lesions", "Lesions"), ("LLF", "LLF"), ("NLF", "NLF"),
            ("wAFROC", "wAFROC"), ("ci", "95% CI (jackknife)"), ("AFROC", "AFROC")]


class DetectionResultsView(QtWidgets.QWidget):
    """Shows a detection study's results; :meth:`set_store` (re)computes them."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: QuizStore | None = None
        self.results: DetectionResults | None = None
        self.mode = QtWidgets.QComboBox()
        self.mode.addItems(["assessment", "training"])
        self.mode.currentTextChanged.connect(lambda _: self.refresh())
        self.export_button = QtWidgets.QPushButton("Export report…")
        self.export_button.clicked.connect(self._export)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(QtWidgets.QLabel("Pool:"))
        bar.addWidget(self.mode)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        self.summary = QtWidgets.QLabel(wordWrap=True)
        self.summary.setStyleSheet("font-size: 12pt; font-weight: 600; padding: 6px;")
        self.table = QtWidgets.QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels([h for _, h in _COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.froc_plot = results_plot("FROC", "non-lesion marks per image (NLF)", "lesion localisation fraction",
                                      min_height=200)
        self.afroc_plot = results_plot("AFROC", "FPF (normal cases)", "lesion localisation fraction", min_height=200)
        self.source_plot = results_plot("Lesions found: simulated vs real", "", "fraction found", min_height=200)
        grid = QtWidgets.QHBoxLayout()
        for p in (self.froc_plot, self.afroc_plot, self.source_plot):
            grid.addWidget(p)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)
        lay.addLayout(grid, 2)

    def set_store(self, store: QuizStore | None) -> None:
        """Show the results of ``store`` (None clears the view)."""
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Recompute the tables and plots from the database."""
        for p in (self.froc_plot, self.afroc_plot, self.source_plot):
            p.clear()
        self.table.setRowCount(0)
        if self.store is None:
            self.summary.setText("No study open.")
            return
        res = summarise_detection(self.store, self.mode.currentText())
        self.results = res
        pooled = res.per_reader[res.per_reader["reader"] == "ALL"] if len(res.per_reader) else res.per_reader
        if not pooled.empty and math.isnan(pooled["wAFROC"].iloc[0]):
            text = ("wAFROC needs finished normal and abnormal cases read by every reader "
                    "(two of each for a confidence interval).")
        else:
            text = "No finished cases yet." if pooled.empty else (
                f"wAFROC (all readers) {_fmt(pooled['wAFROC'].iloc[0])}, 95% CI {_fmt(pooled['wAFROC_lo'].iloc[0])} – "
                f"{_fmt(pooled['wAFROC_hi'].iloc[0])} (cases random, readers fixed; export to RJafroc for DBM / ORH).")
        p = res.source_test["p_fisher"]
        if not math.isnan(p):
            text += f"  Simulated vs real lesions found: Fisher p = {p:.3g} (pooled readings)."
        for w in res.warnings:
            text += f"  Warning: {w}"
        self.summary.setText(text)
        self.table.setRowCount(len(res.per_reader))
        for r, row in enumerate(res.per_reader.to_dict("records")):
            row["ci"] = f"{_fmt(row.get('wAFROC_lo'))} – {_fmt(row.get('wAFROC_hi'))}"
            for c, (key, _) in enumerate(_COLUMNS):
                self.table.setItem(r, c, QtWidgets.QTableWidgetItem(_fmt(row.get(key))))
        self.froc_plot.addLegend(offset=(-10, 10))
        for i, (reader, curves) in enumerate(sorted(res.curves.items())):
            pen = pg.mkPen(_PENS[i % len(_PENS)], width=2)
            self.froc_plot.plot(*curves["froc"], pen=pen, symbol="o", symbolSize=5, name=str(reader))
            self.afroc_plot.plot(*curves["afroc"], pen=pen, symbol="o", symbolSize=5, name=str(reader))
        self.afroc_plot.plot([0, 1], [0, 1], pen=pg.mkPen((150, 150, 150), style=QtCore.Qt.PenStyle.DashLine))
        allrows = res.by_source[(res.by_source["reader"] == "ALL") & (res.by_source["lesions"] > 0)]
        if len(allrows):
            x = np.arange(len(allrows), dtype=float)
            rate = allrows["rate"].fillna(0).to_numpy(float)
            self.source_plot.addItem(pg.BarGraphItem(x=x, height=rate, width=0.6, brush=(31, 119, 180, 180)))
            self.source_plot.addItem(pg.ErrorBarItem(
                x=x, y=rate, top=(allrows["rate_hi"] - allrows["rate"]).fillna(0).to_numpy(float),
                bottom=(allrows["rate"] - allrows["rate_lo"]).fillna(0).to_numpy(float), beam=0.2))
            labels = [f"{s} ({n} readings)" for s, n in zip(allrows["source"], allrows["lesions"])]
            self.source_plot.getAxis("bottom").setTicks([list(zip(x, labels))])
            self.source_plot.setYRange(0, 1)

    def _export(self) -> None:
        from ...core.quiz import export_detection as ed

        def write(path: str, base: str) -> None:
            ed.write_detection_excel(self.store, path)
            ed.write_detection_csv(self.store, base + "_marks.csv")
            ed.write_rjafroc(self.store, base + "_rjafroc.xlsx")

        export_report(self, self.store, write)
