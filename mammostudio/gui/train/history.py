"""The runs of a workspace folder as a table: open, compare, resume, generate, send to quiz."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from ..jobs import JobRunner, generate_job, list_runs
from .compare import CompareDialog

__all__ = ["RunHistory", "RunTableModel"]

COLUMNS = ("run", "kind", "status", "epochs", "best FID", "device", "duration")


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class RunTableModel(QAbstractTableModel):
    """One row per run dict of :func:`list_runs`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.runs: list[dict] = []

    def set_runs(self, runs: list[dict]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt API
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        run = self.runs[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return run["error"] or run["path"]
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = COLUMNS[index.column()]
        if col == "run":
            return run["name"]
        if col == "epochs":
            return f"{run['epochs']}/{run['epochs_total'] or '?'}"
        if col == "best FID":
            return "" if run["best_fid"] is None else f"{run['best_fid']:.2f}"
        if col == "duration":
            return _duration(run["seconds"])
        return str(run[col])


class RunHistory(QWidget):
    """Table of past runs with their actions.

    Signals
    -------
    openRequested(object)
        Show this run (a :func:`read_run` dict) in the monitor.
    resumeRequested(str)
        Continue this GAN run folder.
    sendToQuiz(str)
        A folder of generated images for the Quiz mode.
    message(str)
    failed(str)
    """

    openRequested = Signal(object)
    resumeRequested = Signal(str)
    sendToQuiz = Signal(str)
    message = Signal(str)
    failed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.workspace: Path | None = None
        self.last_generated: str | None = None
        self.runner: JobRunner | None = None
        self.dialogs: list[CompareDialog] = []
        self.model = RunTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        self.buttons = {}
        row = QHBoxLayout()
        for name, slot in (("Refresh", self.refresh), ("Open", self.open_selected), ("Compare two", self.compare_selected),
                           ("Resume", self.resume_selected), ("Generate images...", self.generate_selected),
                           ("Send to quiz", self.send_last)):
            b = QPushButton(name)
            b.clicked.connect(slot)
            row.addWidget(b)
            self.buttons[name] = b
        self.buttons["Send to quiz"].setEnabled(False)
        row.addStretch(1)
        self.info = QLabel("")
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.info)

    def set_workspace(self, folder) -> None:
        self.workspace = Path(folder)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the workspace's run folders."""
        if self.workspace is not None:
            self.model.set_runs(list_runs(self.workspace))
            self.info.setText(f"{len(self.model.runs)} runs in {self.workspace}")

    def selected(self) -> list[dict]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r] for r in rows]

    def open_selected(self) -> None:
        for run in self.selected()[:1]:
            self.openRequested.emit(run)

    def compare_selected(self) -> CompareDialog | None:
        runs = self.selected()
        if len(runs) != 2:
            self.message.emit("select two runs to compare (Ctrl+click)")
            return None
        if runs[0]["kind"] != runs[1]["kind"]:
            self.message.emit(f"{runs[0]['name']} is a {runs[0]['kind']} run and {runs[1]['name']} a "
                              f"{runs[1]['kind']} run: compare two runs of the same kind")
            return None
        return self.compare(*runs)

    def compare(self, a: dict, b: dict) -> CompareDialog:
        dialog = CompareDialog(a, b, self)
        dialog.show()
        self.dialogs.append(dialog)
        return dialog

    def resume_selected(self) -> None:
        for run in self.selected()[:1]:
            if run["kind"] != "gan" or not run["checkpoints"]:
                self.message.emit(f"{run['name']}: only a GAN run with a checkpoint can be resumed")
            else:
                self.resumeRequested.emit(run["path"])

    def generate_selected(self) -> None:
        runs = [r for r in self.selected() if r["checkpoints"] and r["kind"] == "gan"]
        if not runs:
            self.message.emit("select a GAN run with a checkpoint")
            return
        ckpts = runs[0]["checkpoints"]
        names = [Path(c).name for c in ckpts]
        name, ok = QInputDialog.getItem(self, "Generate images", "Checkpoint:", names, len(names) - 1, False)
        n, ok2 = QInputDialog.getInt(self, "Generate images", "How many images?", 100, 1, 1_000_000) if ok else (0, False)
        out = QFileDialog.getExistingDirectory(self, "Folder for the generated images") if ok2 else ""
        if out:
            self.generate(ckpts[names.index(name)], out, n)

    def generate(self, checkpoint: str, out_dir: str, n: int, seed: int = 0) -> JobRunner:
        """Write ``n`` images from ``checkpoint`` into ``out_dir`` in a worker."""
        self.runner = JobRunner(lambda: generate_job(checkpoint, out_dir, n, seed), self)
        self.runner.finished.connect(self._generated)
        self.runner.failed.connect(lambda msg, _tb: self.failed.emit(msg))
        self.message.emit(f"generating {n} images into {out_dir} ...")
        self.runner.start()
        return self.runner

    def _generated(self, folder) -> None:
        self.last_generated = str(folder)
        self.buttons["Send to quiz"].setEnabled(True)
        self.buttons["Send to quiz"].setToolTip(self.last_generated)
        self.message.emit(f"generated images in {folder}; 'Send to quiz' offers them to a reader study")

    def send_last(self) -> None:
        if self.last_generated:
            self.sendToQuiz.emit(self.last_generated)
