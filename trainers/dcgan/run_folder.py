"""The folder of one GAN run: what is in it, and how each file is written.

::

    RUN/config.json            the GANConfig (JSON)
    RUN/metrics.csv            one row per epoch, rewritten atomically each epoch
    RUN/samples/epoch_NNNNN.png  grids from the fixed noise
    RUN/checkpoints/last.pt    written atomically every epoch (and on a stop)
    RUN/checkpoints/best.pt    written by a callback (e.g. best FID)
    RUN/tb/                    TensorBoard event files, when tensorboard is installed
"""
from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np

from mammostudio.core.atomic import write_text
from mammostudio.core.imageops import tile
from mammostudio.core.images import write_png

__all__ = ["RunFolder", "make_grid"]

# Columns in a fixed order first; keys added by callbacks (e.g. 'fid') follow.
BASE_COLUMNS = ("epoch", "step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "lr_g", "lr_d",
                "real_label", "images_per_s", "seconds", "collapse")


class RunFolder:
    """Paths and writers of a run folder (only the writing process uses the writers)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    def checkpoint_path(self, name: str) -> Path:
        if not name or any(c in name for c in "/\\") or name.startswith("."):
            raise ValueError(f"checkpoint name: expected a plain name like 'last' or 'best', got {name!r}")
        return self.path / "checkpoints" / f"{name}.pt"

    def sample_path(self, epoch: int) -> Path:
        return self.path / "samples" / f"epoch_{epoch:05d}.png"

    def write_metrics(self, rows: list[dict[str, float]]) -> Path:
        """Atomically (re)write the whole metrics table: a crash never leaves half a row."""
        columns = list(BASE_COLUMNS)
        for row in rows:
            columns += [k for k in row if k not in columns]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})
        return write_text(self.metrics_path, buf.getvalue())

    def read_metrics(self) -> list[dict[str, float]]:
        """The rows written so far (empty cells dropped); [] when there is no table yet."""
        if not self.metrics_path.is_file():
            return []
        with open(self.metrics_path, newline="", encoding="utf-8") as fh:
            rows = []
            for raw in csv.DictReader(fh):
                try:
                    rows.append({k: float(v) for k, v in raw.items() if v not in ("", None)})
                except ValueError as exc:
                    raise ValueError(f"{self.metrics_path}: malformed metrics row ({exc})") from exc
        return rows

    def write_sample(self, epoch: int, grid: np.ndarray) -> Path:
        return write_png(self.sample_path(epoch), grid)


def _fmt(value: float) -> str:
    value = float(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def make_grid(images: np.ndarray, *, nrow: int | None = None, pad: int = 2, fill: int = 0) -> np.ndarray:
    """Tile a uint8 stack (n, rows, cols) into one (rows, cols) uint8 grid.

    ``nrow`` is the number of images per grid row (torchvision's name); see
    :func:`mammostudio.core.imageops.tile`, which does the work.
    """
    return tile(images, ncols=nrow, pad=pad, fill=fill)
