"""Live monitor of a classifier run: loss, validation F1 / AUC with the best epoch, then ROC and confusion."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

__all__ = ["ClassifierMonitor"]


class ClassifierMonitor(QWidget):
    """Per-epoch curves while training; the test set's ROC curve and confusion matrix at the end."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.header = QLabel("No run yet.")
        self.header.setStyleSheet("font-size: 13px; font-weight: bold;")
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        self.p_loss = self.plots.addPlot(row=0, col=0, title="Training loss")
        self.p_val = self.plots.addPlot(row=0, col=1, title="Validation F1 / AUC")
        self.p_roc = self.plots.addPlot(row=1, col=0, title="Test ROC curve")
        for p in (self.p_loss, self.p_val):
            p.setLabel("bottom", "epoch")
            p.showGrid(x=True, y=True, alpha=0.2)
        self.p_val.setYRange(0, 1)
        self.p_val.addLegend(offset=(-5, -5), labelTextColor=(40, 40, 40), brush=(255, 255, 255, 170))  # see-through
        self.c_loss = self.p_loss.plot(pen=pg.mkPen((31, 119, 180), width=2), symbol="o", symbolSize=5,
                                      symbolBrush=(31, 119, 180))
        self.c_f1 = self.p_val.plot(pen=pg.mkPen((214, 39, 40), width=2), symbol="o", symbolSize=6,
                                   symbolBrush=(214, 39, 40), name="F1 (lesion)")
        self.c_auc = self.p_val.plot(pen=pg.mkPen((44, 160, 44), width=2), symbol="t", symbolSize=7,
                                    symbolBrush=(44, 160, 44), name="AUC")
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((120, 120, 120), width=2, style=Qt.PenStyle.DashLine),
                                         label="best", labelOpts={"position": 0.1, "color": (80, 80, 80)})
        self.p_roc.setLabel("bottom", "false positive rate")
        self.p_roc.setLabel("left", "true positive rate")
        self.p_roc.setXRange(0, 1)
        self.p_roc.setYRange(0, 1)
        self.p_roc.setAspectLocked(True)
        self.p_roc.plot([0, 1], [0, 1], pen=pg.mkPen((170, 170, 170), style=Qt.PenStyle.DotLine))
        self.c_roc = self.p_roc.plot(pen=pg.mkPen((214, 39, 40), width=2))
        self.confusion = QTableWidget(2, 2)
        self.confusion.setHorizontalHeaderLabels(["called tissue", "called lesion"])
        self.confusion.setVerticalHeaderLabels(["tissue", "lesion"])
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.setMaximumHeight(110)
        self.confusion.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.test_label = QLabel("Test set: scored when training ends.")
        self.test_label.setWordWrap(True)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Confusion matrix (test set)</b>"))
        side.addWidget(self.confusion)
        side.addWidget(self.test_label)
        side.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.plots, 3)
        body.addLayout(side, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addLayout(body, 1)
        self.reset()

    def reset(self, title: str = "") -> None:
        """Forget every point."""
        self.rows: list[dict] = []
        self.test: dict | None = None
        self.epochs_total = None
        self.title = title
        if self.best_line.scene() is not None:
            self.p_val.removeItem(self.best_line)
        self.c_roc.setData([], [])
        for r in range(2):
            for c in range(2):
                self.confusion.setItem(r, c, QTableWidgetItem(""))
        self.test_label.setText("Test set: scored when training ends.")
        self._refresh()

    def add_events(self, events: list[dict]) -> None:
        """Take the job's events: 'start', 'epoch' rows, then 'test'."""
        for e in events:
            if e.get("kind") == "start":
                self.epochs_total = e.get("epochs")
            elif e.get("kind") == "epoch" and "val_f1" in e:
                self.rows.append(e)
            elif e.get("kind") == "test":
                self.set_test(e)
        self._refresh()

    def load_result(self, history: list[dict], result: dict, *, epochs_total=None, title: str = "") -> None:
        """Show a past classifier run from its result.json."""
        self.reset(title)
        self.epochs_total = epochs_total
        self.rows = list(history)
        if result.get("test"):
            self.set_test(result["test"])
        self._refresh()

    def set_test(self, test: dict) -> None:
        """The ROC curve and confusion matrix of the test set."""
        self.test = test
        self.c_roc.setData(test["roc"]["fpr"], test["roc"]["tpr"])
        cm = np.asarray(test["confusion"])
        top = max(int(cm.max()), 1)
        for r in range(2):
            for c in range(2):
                item = QTableWidgetItem(str(int(cm[r, c])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                shade = int(255 - 150 * cm[r, c] / top)
                item.setBackground(QColor(shade, shade, 255) if r == c else QColor(255, shade, shade))
                self.confusion.setItem(r, c, item)
        self.test_label.setText(f"Test set: F1 {test['f1']:.3f}, AUC {test['auc']:.3f}, precision "
                                f"{test['precision']:.3f}, recall {test['recall']:.3f}")
        self.p_roc.setTitle(f"Test ROC curve (AUC {test['auc']:.3f})")

    def _refresh(self) -> None:
        ep = np.array([r["epoch"] for r in self.rows], float)
        col = lambda k: np.array([r.get(k, np.nan) for r in self.rows], float)  # noqa: E731
        self.c_loss.setData(ep, col("loss"))
        self.c_f1.setData(ep, col("val_f1"))
        auc = col("val_auc")
        self.c_auc.setData(ep[np.isfinite(auc)], auc[np.isfinite(auc)])
        best = int(self.rows[-1]["best_epoch"]) if self.rows and self.rows[-1].get("best_epoch") else None
        if best:
            self.best_line.setValue(best)
            self.best_line.label.setFormat(f"best epoch {best}")
            if self.best_line.scene() is None:
                self.p_val.addItem(self.best_line)
        parts = [self.title] if self.title else []
        parts.append(f"epoch {len(self.rows)}/{self.epochs_total or '?'}")
        if self.rows:
            parts.append(f"val F1 {self.rows[-1]['val_f1']:.3f}")
        if best:
            parts.append(f"best epoch {best}")
        self.header.setText(" · ".join(parts))
