"""FID (and KID) during DCGAN training, keeping the best-FID generator.

Every ``every`` epochs the callback draws ``n`` images from the generator with a
fixed seed, embeds them and compares them with the real reference (computed, or
read from the cache, once at the start). Keys added to the epoch's metrics row
depend on the backbone, so a number is never shown without its scale:

========== ==================== ===================================================
backbone   keys                 meaning
========== ==================== ===================================================
standard   fid, kid, ...        standard FID (TF Inception weights)
authors    fid_authors, ...     the paper's torchvision-ImageNet scale (~120 -> ~20)
random     fid_random, ...      random features (not FID)
========== ==================== ===================================================

plus ``<key>_floor`` (real-vs-real floor at N / 2), ``<key>_best`` and, with KID on,
``kid*`` and ``kid*_std``. The backbone label, N and floor are also written to
``run_dir/fid_reference.json``; the best value to ``run_dir/fid_best.json`` (read
back on resume, so a resumed run only replaces a truly better generator).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from mammostudio.core.atomic import write_text
from mammostudio.core.progress import drive

from trainers.dcgan.callbacks import Callback

from .features import Backbone, extract_features, load_backbone
from .fid import frechet_distance_features
from .kid import kid as kid_fn
from .stats_cache import RealReference, real_reference
from .weights import find_weights

__all__ = ["FIDCallback", "METRIC_KEYS"]

METRIC_KEYS = {"standard": "fid", "authors": "fid_authors", "random": "fid_random"}


class FIDCallback(Callback):
    """Periodic FID / KID of generated images against a fixed real reference.

    Parameters
    ----------
    real_images : uint8 (n_total, rows, cols)
        Real patches (the training set, or a held-out set).
    every : int
        Evaluate after epochs ``every``, ``2 * every``, ... and the last one.
    n : int
        Images per side (real subset and generated); fixed for the whole run
        because FID is biased by N.
    backbone : {'standard', 'authors', 'random'} or Backbone
    weights : path-like, optional
        Weight file or folder (see :func:`~trainers.metrics.load_backbone`).
    batch_size : int
        Feature-extraction batch.
    kid : bool
        Also compute KID (unbiased; 100 subsets).
    seed : int
        Seed of the real subset, of the generator's noise and of the KID subsets.
    cache_dir : path-like, optional
        Where to cache the real statistics (the patch dataset's folder).
    keep_best : bool
        Save the generator as checkpoint ``'best'`` whenever FID improves.
    """

    def __init__(self, real_images: np.ndarray, every: int = 10, n: int = 2000,
                 backbone: str | Backbone = "standard", *, weights: str | os.PathLike | None = None,
                 batch_size: int = 50, kid: bool = True, seed: int = 0,
                 cache_dir: str | os.PathLike | None = None, keep_best: bool = True) -> None:
        real_images = np.asarray(real_images)
        if real_images.dtype != np.uint8 or real_images.ndim != 3:
            raise ValueError(f"real_images must be uint8 (n, rows, cols), got {real_images.dtype} {real_images.shape}")
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if n < 4:
            raise ValueError(f"n must be >= 4, got {n}")
        self.real_images = real_images
        self.every, self.n, self.batch_size, self.seed = every, n, batch_size, seed
        self.with_kid, self.keep_best = kid, keep_best
        self.cache_dir = cache_dir
        self._backbone_arg, self._weights = backbone, weights
        self.backbone: Backbone | None = backbone if isinstance(backbone, Backbone) else None
        if self.backbone is None and backbone != "random":
            find_weights(backbone, weights)  # a missing file fails now, not after the first epoch
        self.reference: RealReference | None = None
        self.best: float = float("inf")
        self.best_epoch: int | None = None

    # -- keys and labels -------------------------------------------------------------
    @property
    def key(self) -> str:
        """Metric key of the distance: 'fid', 'fid_authors' or 'fid_random'."""
        kind = self.backbone.kind if self.backbone else str(self._backbone_arg)
        return METRIC_KEYS[kind]

    @property
    def label(self) -> str:
        return self.backbone.label if self.backbone else str(self._backbone_arg)

    # -- hooks -----------------------------------------------------------------------
    def on_train_start(self, trainer) -> None:
        if self.backbone is None:
            device = str(getattr(trainer, "device", "cpu"))
            self.backbone = load_backbone(self._backbone_arg, self._weights, device=device)
        if self.reference is None:
            self.reference = drive(real_reference(
                self.real_images, self.backbone, n=self.n, seed=self.seed,
                cache_dir=self.cache_dir, batch_size=self.batch_size))
        run_dir = Path(trainer.run_dir)
        info = {**self.backbone.record(), "key": self.key, "backbone": self.backbone.key,
                "n": self.reference.n, "floor": self.reference.floor, "every": self.every,
                "cache": str(self.reference.path) if self.reference.path else None}
        write_text(run_dir / "fid_reference.json", json.dumps(info, indent=2))
        self._read_best(run_dir / "fid_best.json")

    def on_epoch_end(self, trainer, epoch: int, metrics: dict[str, float]) -> None:
        last = epoch == getattr(getattr(trainer, "config", None), "epochs", None)
        if epoch % self.every != 0 and not last:
            return
        if self.reference is None:
            self.on_train_start(trainer)
        fake = np.asarray(trainer.sample(self.reference.n, seed=self.seed))
        feats = extract_features(fake, self.backbone, self.batch_size)
        value = frechet_distance_features(self.reference.features, feats)
        metrics[self.key] = value
        metrics[f"{self.key}_floor"] = self.reference.floor
        if self.with_kid:
            mean, std = kid_fn(self.reference.features, feats, rng=np.random.default_rng(self.seed))
            kid_key = self.key.replace("fid", "kid")
            metrics[kid_key], metrics[f"{kid_key}_std"] = mean, std
        if value < self.best:
            self.best, self.best_epoch = value, epoch
            if self.keep_best:
                trainer.save_checkpoint("best")
            write_text(Path(trainer.run_dir) / "fid_best.json", json.dumps(
                {"key": self.key, "backbone": self.backbone.key, "value": value, "epoch": epoch}, indent=2))
        metrics[f"{self.key}_best"] = self.best

    def _read_best(self, path: Path) -> None:
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        if saved.get("backbone") == self.backbone.key and saved.get("value") is not None:
            if float(saved["value"]) < self.best:
                self.best, self.best_epoch = float(saved["value"]), saved.get("epoch")
