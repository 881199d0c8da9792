"""Hooks into a GAN run. Every hook does nothing by default; override the ones you need.

Callbacks receive plain numbers (``dict[str, float]``) and uint8 arrays, never
torch tensors, so a GUI thread can hold them safely. They are called on the
process that writes the run folder (rank 0 under ``torchrun``). A hook that
needs the models uses the trainer's public methods (``sample``,
``save_checkpoint``).
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .train import GANTrainer

__all__ = ["Callback", "CallbackList", "TensorBoardCallback", "tensorboard_available"]

log = logging.getLogger(__name__)


class Callback:
    """Base class of GAN-run callbacks (Lightning-style do-nothing hooks)."""

    def on_train_start(self, trainer: "GANTrainer") -> None:
        """Before the first step (also after a resume)."""

    def on_step_end(self, trainer: "GANTrainer", step: int, metrics: dict[str, float]) -> None:
        """Every ``config.log_every`` steps: this step's losses and D outputs."""

    def on_epoch_end(self, trainer: "GANTrainer", epoch: int, metrics: dict[str, float]) -> None:
        """After each epoch. ``metrics`` is mutable: add keys (e.g. 'fid');
        the trainer writes the row once every callback ran."""

    def on_sample(self, trainer: "GANTrainer", epoch: int, grid: np.ndarray) -> None:
        """A sample grid (rows, cols) uint8 from the fixed noise is ready."""

    def on_checkpoint(self, trainer: "GANTrainer", name: str, path: Path) -> None:
        """A checkpoint was written (atomically) to ``path``."""

    def on_train_end(self, trainer: "GANTrainer", summary: dict) -> None:
        """The run finished, was stopped, or diverged (``summary['status']``)."""


class CallbackList(Callback):
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)

    def _call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_start(self, trainer):
        self._call("on_train_start", trainer)

    def on_step_end(self, trainer, step, metrics):
        self._call("on_step_end", trainer, step, metrics)

    def on_epoch_end(self, trainer, epoch, metrics):
        self._call("on_epoch_end", trainer, epoch, metrics)

    def on_sample(self, trainer, epoch, grid):
        self._call("on_sample", trainer, epoch, grid)

    def on_checkpoint(self, trainer, name, path):
        self._call("on_checkpoint", trainer, name, path)

    def on_train_end(self, trainer, summary):
        self._call("on_train_end", trainer, summary)


def tensorboard_available() -> bool:
    """True when the ``tensorboard`` package is installed."""
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


class TensorBoardCallback(Callback):
    """Writes epoch metrics and sample grids as TensorBoard event files under ``run_dir/tb``."""

    def __init__(self) -> None:
        self._writer = None

    def on_train_start(self, trainer):
        from torch.utils.tensorboard import SummaryWriter

        self._writer = SummaryWriter(log_dir=str(trainer.run_dir / "tb"), purge_step=trainer.epoch + 1)

    def on_epoch_end(self, trainer, epoch, metrics):
        for key, value in metrics.items():
            self._writer.add_scalar(key, value, epoch)

    def on_sample(self, trainer, epoch, grid):
        self._writer.add_image("samples", grid, epoch, dataformats="HW")

    def on_train_end(self, trainer, summary):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
