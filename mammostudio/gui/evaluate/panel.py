"""Evaluation views in one tab widget: FID/KID/PRDC, the t-SNE map, the augmentation experiment."""
from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from .experiment_view import ExperimentView
from .metrics_view import MetricsView
from .tsne_view import TSNEView

__all__ = ["EvaluatePanel"]


class EvaluatePanel(QTabWidget):
    """Generator metrics, t-SNE and the experiment grid."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.metrics, self.tsne, self.experiment = MetricsView(), TSNEView(), ExperimentView()
        self.addTab(self.metrics, "FID / KID / PRDC")
        self.addTab(self.tsne, "t-SNE map")
        self.addTab(self.experiment, "Augmentation experiment")

    def set_presets(self, presets: dict) -> None:
        """Called once the trainers are loaded (experiment presets, weights checks)."""
        self.experiment.set_presets(presets.get("experiment", {}))
        self.metrics.check_weights()

    @property
    def running(self) -> bool:
        return self.experiment.running

    def stop_and_wait(self) -> None:
        """Stop a running experiment and wait for its worker (window close)."""
        if self.experiment.running:
            self.experiment.session.stop_and_wait()
