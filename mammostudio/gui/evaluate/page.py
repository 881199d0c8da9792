"""Evaluate mode: generator metrics, the t-SNE map and the augmentation experiment, on their own page.

Evaluation used to be a tab of Train mode, beside a training form it has
nothing to do with; here it is a mode of its own. The trainers (torch) are
loaded in a worker the first time the page is shown, as Train mode does.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..jobs import JobRunner, confirm_stop, load_trainer_presets
from .panel import EvaluatePanel

__all__ = ["EvaluatePage"]


class EvaluatePage(QWidget):
    """The Evaluate mode page.

    Signals
    -------
    message(str)
        For the main window's status bar.
    """

    message = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.loader: JobRunner | None = None
        self.ready = False
        self.header = QLabel("<b>Evaluate</b>: compare generated images with real patches "
                             "(FID / KID / PRDC, t-SNE) and run the paper's augmentation experiment.")
        self.header.setWordWrap(True)
        self.panel = EvaluatePanel()
        lay = QVBoxLayout(self)
        lay.addWidget(self.header)
        lay.addWidget(self.panel, 1)
        self.setMinimumSize(480, 360)

    # the three views, for callers that used TrainPanel.evaluate
    @property
    def metrics(self):
        return self.panel.metrics

    @property
    def tsne(self):
        return self.panel.tsne

    @property
    def experiment(self):
        return self.panel.experiment

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.load()

    def load(self) -> None:
        """Load the presets in a worker, once (the first torch import takes seconds)."""
        if self.ready or self.loader is not None:
            return
        self.message.emit("loading the trainers ...")
        self.loader = load_trainer_presets(self, self._loaded,
                                           lambda msg: self.message.emit(f"cannot load the trainers: {msg}"))

    def _loaded(self, presets: dict) -> None:
        self.panel.set_presets(presets)
        self.ready = True
        self.message.emit("Evaluate: choose a generated folder and a patch dataset.")

    @property
    def running(self) -> bool:
        return self.panel.running

    def confirm_close(self) -> bool:
        """Ask before closing while an evaluation runs; stop it and wait. False = keep the window open."""
        return confirm_stop(self, loader=self.loader, running=self.running, title="Evaluation is running",
                            question="An evaluation is running. Stop it and close? A stopped experiment "
                                     "resumes at its next unfinished cell.", stop=lambda: self.panel.stop_and_wait())
