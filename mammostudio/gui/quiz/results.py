"""The results view: verdict, per-reader table, plots and the fool-rate gallery."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.quiz import QuizStore, summarise
from ...core.quiz.report import StudyResults

__all__ = ["ResultsView"]

_TABLE_COLUMNS = [("reader", "Reader"), ("n", "n"), ("accuracy", "Accuracy"), ("acc_ci", "95% CI"),
                  ("p_vs_chance", "p vs 50%"), ("sensitivity", "Sens."), ("specificity", "Spec."),
                  ("dprime", "d'"), ("criterion", "c"), ("auc", "AUC"), ("auc_ci", "AUC 95% CI")]
_PENS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75)]


def _fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, float):
        if abs(value) < 1e-12:  # rounding noise of a sum that is 0 (e.g. the criterion c)
            value = 0.0
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"
    return str(value)


def _pixmap(image: np.ndarray, side: int) -> QtGui.QPixmap:
    img = np.ascontiguousarray(image, dtype=np.uint8)
    q = QtGui.QImage(img.data, img.shape[1], img.shape[0], img.strides[0], QtGui.QImage.Format.Format_Grayscale8)
    return QtGui.QPixmap.fromImage(q.copy()).scaled(side, side, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                                                     QtCore.Qt.TransformationMode.FastTransformation)




def results_plot(title: str, x: str, y: str, *, min_height: int = 180) -> pg.PlotWidget:
    """A white, gridded plot with axis labels and no SI prefixes (category ticks and rates: no "(x0.001)")."""
    p = pg.PlotWidget(title=title)
    p.setBackground("w")
    p.setLabel("bottom", x)
    p.setLabel("left", y)
    for side in ("bottom", "left"):
        p.getAxis(side).enableAutoSIPrefix(False)
    p.setMinimumHeight(min_height)
    p.showGrid(x=True, y=True, alpha=0.3)
    return p


def export_report(parent: QtWidgets.QWidget, store: QuizStore | None, write) -> None:
    """Ask where to save a study's report and call ``write(xlsx_path, base)``; a failure is shown, not raised.

    ``base`` is the path without ``.xlsx``, for the files written beside the
    workbook (CSV, iMRMC, RJafroc).
    """
    if store is None:
        return
    path, _ = QtWidgets.QFileDialog.getSaveFileName(parent, "Export report", str(store.path.with_suffix(".xlsx")),
                                                    "Excel workbook (*.xlsx)")
    if not path:
        return
    try:
        write(path, path[:-5] if path.endswith(".xlsx") else path)
    except (OSError, ValueError) as exc:
        QtWidgets.QMessageBox.warning(parent, "Export failed", str(exc))

class ResultsView(QtWidgets.QWidget):
    """Shows a study's results; :meth:`set_store` (re)computes them.

    Signals
    -------
    backRequested()
        The "Back" button: return to the study page.
    """

    backRequested = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.store: QuizStore | None = None
        self.results: StudyResults | None = None
        self.verdict = QtWidgets.QLabel(wordWrap=True)
        self.verdict.setStyleSheet("font-size: 13pt; font-weight: 600; padding: 6px;")
        self.mode = QtWidgets.QComboBox()
        self.mode.addItems(["assessment", "training"])
        self.mode.currentTextChanged.connect(lambda _: self.refresh())
        self.export_button = QtWidgets.QPushButton("Export report…")
        self.export_button.clicked.connect(self._export)
        self.back_button = QtWidgets.QPushButton("← Back")
        self.back_button.setToolTip("Back to the study page (Esc)")
        self.back_button.clicked.connect(self.backRequested)
        bar = QtWidgets.QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addWidget(QtWidgets.QLabel("Pool:"))
        bar.addWidget(self.mode)
        bar.addStretch(1)
        bar.addWidget(self.export_button)
        self.table = QtWidgets.QTableWidget(0, len(_TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels([h for _, h in _TABLE_COLUMNS])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.kappa = QtWidgets.QLabel()
        self.roc_plot = results_plot("ROC from confidence ratings", "1 - specificity", "sensitivity")
        self.learn_plot = results_plot("Learning curve (training)", "case", "accuracy")
        self.gen_plot = results_plot("Fool rate per generator", "generator", "called real")
        self.rt_plot = results_plot("Median response time", "reader", "seconds")
        grid = QtWidgets.QGridLayout()
        for i, p in enumerate((self.roc_plot, self.learn_plot, self.gen_plot, self.rt_plot)):
            grid.addWidget(p, i // 2, i % 2)
        self.most_row, self.least_row = QtWidgets.QHBoxLayout(), QtWidgets.QHBoxLayout()
        gallery = QtWidgets.QFormLayout()
        gallery.addRow("Most convincing generated:", self.most_row)
        gallery.addRow("Least convincing generated:", self.least_row)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.verdict)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.kappa)
        lay.addLayout(grid, 3)
        lay.addLayout(gallery)

    def set_store(self, store: QuizStore | None) -> None:
        """Show the results of ``store`` (None clears the view)."""
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Recompute every table and plot from the database."""
        for p in (self.roc_plot, self.learn_plot, self.gen_plot, self.rt_plot):
            p.clear()
        if self.store is None:
            self.verdict.setText("No study open.")
            self.table.setRowCount(0)
            return
        df = self.store.responses()
        res = summarise(df, margin=self.store.config.equivalence_margin, mode=self.mode.currentText())
        self.results = res
        self.verdict.setText(res.verdict)
        self._fill_table(res.per_reader)
        k = res.kappa
        self.kappa.setText(f"Fleiss' kappa {k['kappa']:.3f} over {k['n_cases']} shared cases x {k['n_readers']} readers"
                           if k["n_cases"] else "Fleiss' kappa: needs two or more readers on the same cases")
        self._plot_roc(res)
        self._plot_learning(res.learning)
        self._plot_generators(res.per_generator)
        self._plot_rt(res.response_times)
        self._fill_gallery(res.per_case)

    def _fill_table(self, per_reader: pd.DataFrame) -> None:
        self.table.setRowCount(len(per_reader))
        for r, row in enumerate(per_reader.to_dict("records")):
            row["acc_ci"] = f"{_fmt(row.get('acc_lo'))} – {_fmt(row.get('acc_hi'))}"
            row["auc_ci"] = f"{_fmt(row.get('auc_lo'))} – {_fmt(row.get('auc_hi'))}"
            for c, (key, _) in enumerate(_TABLE_COLUMNS):
                item = QtWidgets.QTableWidgetItem(_fmt(row.get(key)))
                if row["reader"] == "ALL":
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.table.setItem(r, c, item)
        # as tall as its rows (up to 8), so the plots below get the room at 1366 x 768
        rows = min(max(len(per_reader), 1), 8)
        self.table.setMaximumHeight(self.table.horizontalHeader().height() + rows * self.table.verticalHeader()
                                    .defaultSectionSize() + 2 * self.table.frameWidth() + 18)

    def _plot_roc(self, res: StudyResults) -> None:
        self.roc_plot.addLegend(offset=(-10, -10))
        self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen((150, 150, 150), style=QtCore.Qt.PenStyle.DashLine))
        for i, (reader, (fpr, tpr)) in enumerate(sorted(res.roc.items())):
            self.roc_plot.plot(fpr, tpr, pen=pg.mkPen(_PENS[i % len(_PENS)], width=2), symbol="o", symbolSize=5,
                               symbolBrush=_PENS[i % len(_PENS)], name=str(reader))
        self.roc_plot.setRange(xRange=(0, 1), yRange=(0, 1))

    def _plot_learning(self, learning: pd.DataFrame) -> None:
        self.learn_plot.addItem(pg.InfiniteLine(0.5, angle=0, pen=pg.mkPen((150, 150, 150), style=QtCore.Qt.PenStyle.DashLine)))
        for i, (reader, g) in enumerate(learning.groupby("reader")):
            x = (g["first_position"] + g["n"] / 2.0).to_numpy(float)
            self.learn_plot.plot(x, g["accuracy"].to_numpy(float), pen=pg.mkPen(_PENS[i % len(_PENS)], width=2),
                                 symbol="o", symbolBrush=_PENS[i % len(_PENS)])
        self.learn_plot.setYRange(0, 1)

    def _plot_generators(self, per_gen: pd.DataFrame) -> None:
        if per_gen.empty:
            return
        x = np.arange(len(per_gen))
        self.gen_plot.addItem(pg.BarGraphItem(x=x, height=per_gen["fool_rate"].to_numpy(float), width=0.6,
                                              brush=(31, 119, 180, 180)))
        err = pg.ErrorBarItem(x=x, y=per_gen["fool_rate"].to_numpy(float),
                              top=(per_gen["fool_hi"] - per_gen["fool_rate"]).to_numpy(float),
                              bottom=(per_gen["fool_rate"] - per_gen["fool_lo"]).to_numpy(float), beam=0.2)
        self.gen_plot.addItem(err)
        self.gen_plot.getAxis("bottom").setTicks([list(zip(x, per_gen["generator"].astype(str)))])
        self.gen_plot.setYRange(0, 1)

    def _plot_rt(self, rt: pd.DataFrame) -> None:
        readers = sorted(rt["reader"].unique()) if len(rt) else []
        for offset, correct, color in ((-0.18, True, (44, 160, 44, 200)), (0.18, False, (214, 39, 40, 200))):
            sub = rt[rt["correct"] == correct].set_index("reader")
            xs = [i + offset for i, r in enumerate(readers) if r in sub.index]
            hs = [sub.loc[r, "median_ms"] / 1000.0 for r in readers if r in sub.index]
            if xs:
                self.rt_plot.addItem(pg.BarGraphItem(x=xs, height=hs, width=0.34, brush=color))
        self.rt_plot.getAxis("bottom").setTicks([list(enumerate(map(str, readers)))])
        self.rt_plot.setTitle("Median response time (green = correct, red = wrong)")

    def _fill_gallery(self, per_case: pd.DataFrame, n: int = 6) -> None:
        n_most = min(n, (len(per_case) + 1) // 2)
        n_least = min(n, len(per_case) - n_most)
        least = per_case.tail(n_least).iloc[::-1] if n_least else per_case.iloc[0:0]
        for row_layout, part in ((self.most_row, per_case.head(n_most)), (self.least_row, least)):
            while row_layout.count():
                w = row_layout.takeAt(0).widget()
                if w is not None:
                    w.deleteLater()
            for rec in part.to_dict("records"):
                label = QtWidgets.QLabel()
                label.setPixmap(_pixmap(self.store.item_pixels(rec["item_id"]), 72))
                label.setToolTip(f"{rec['source']}: called real by {rec['fooled']} of {rec['n']} readings")
                row_layout.addWidget(label)
                row_layout.addWidget(QtWidgets.QLabel(f"{rec['fool_rate']:.0%}"))
            row_layout.addStretch(1)

    def _export(self) -> None:
        from ...core.quiz import export

        def write(path: str, base: str) -> None:
            export.write_excel(self.store, path)
            export.write_csv(self.store, base + "_responses.csv")
            if self.store.config.task == "single":
                export.write_imrmc(self.store, base + ".imrmc")
                export.write_mrmcaov(self.store, base + "_mrmcaov.csv")

        export_report(self, self.store, write)
