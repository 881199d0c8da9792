"""Real-set features and statistics, computed once and cached beside the data.

FID is biased upward at small N, so a run fixes N, computes the real side once
and reuses it. The cache file lives in ``<cache_dir>/fid_stats/`` (``cache_dir``
is normally the patch dataset's folder) and its name carries everything that
changes the numbers: backbone kind and weight hash, preprocessing, N, and a hash
of the very pixels used. A stale or foreign file is therefore never picked up.
Written atomically (temporary file + rename) as an ``.npz``.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mammostudio.core.atomic import atomic_path
from mammostudio.core.progress import Job, Progress

from .features import PREPROCESSING, Backbone, iter_features
from .fid import GaussianStats, real_floor, statistics

__all__ = ["RealReference", "select_subset", "images_digest", "cache_path", "real_reference"]

FORMAT_VERSION = 1


@dataclass
class RealReference:
    """The real side of every comparison in a run.

    Attributes
    ----------
    stats : GaussianStats
    features : float32 (n, d) - kept for KID and PRDC
    floor : float
        FID between two random halves of the real set (small-N floor).
    key : str
        Backbone and preprocessing key the numbers belong to.
    path : Path or None
        The cache file, when one was written or read.
    """

    stats: GaussianStats
    features: np.ndarray
    floor: float
    key: str
    path: Path | None = None

    @property
    def n(self) -> int:
        return self.stats.n


def select_subset(n_total: int, n: int | None, *, seed: int = 0) -> np.ndarray:
    """Sorted indices of a fixed random subset of size min(n, n_total)."""
    if n is None or n >= n_total:
        return np.arange(n_total)
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, n, replace=False))


def images_digest(images: np.ndarray) -> str:
    """SHA-256 of a uint8 stack's shape and pixels."""
    arr = np.ascontiguousarray(images)
    digest = hashlib.sha256(repr((arr.shape, str(arr.dtype))).encode())
    digest.update(arr.data)
    return digest.hexdigest()


def cache_path(cache_dir: str | os.PathLike, backbone_key: str, n: int, digest: str) -> Path:
    """Where the reference for this backbone, N and pixel set is cached."""
    return Path(cache_dir) / "fid_stats" / f"{backbone_key}-n{n}-{digest[:12]}.npz"


def _save(path: Path, ref: RealReference, meta: dict) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, features=ref.features, mu=ref.stats.mu, sigma=ref.stats.sigma,
                     floor=np.float64(ref.floor), meta=np.array(json.dumps(meta)))


def _load(path: Path, key: str, n: int) -> RealReference | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("key") != key or meta.get("n") != n or meta.get("version") != FORMAT_VERSION:
                return None
            stats = GaussianStats(mu=z["mu"], sigma=z["sigma"], n=n)
            return RealReference(stats, z["features"], float(z["floor"]), key, path)
    except (OSError, ValueError, KeyError) as exc:
        warnings.warn(f"{path}: unreadable statistics cache, recomputing ({exc})", stacklevel=3)
        return None


def real_reference(
    images: np.ndarray,
    backbone: Backbone,
    *,
    n: int | None = 2000,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    batch_size: int = 50,
) -> Job[RealReference]:
    """Job: features, statistics and floor of a fixed real subset, cached.

    Parameters
    ----------
    images : uint8 (n_total, rows, cols)
        The real patches.
    backbone : Backbone
    n : int or None
        Subset size (all images when None or larger than the set).
    seed : int
        Which subset.
    cache_dir : path-like, optional
        Folder to cache in (the patch dataset's); no caching when None. A folder
        that cannot be written only costs the cache, with a warning.
    batch_size : int

    Returns
    -------
    RealReference
    """
    idx = select_subset(len(images), n, seed=seed)
    chosen = np.asarray(images)[idx]
    key = backbone.key
    path = None
    if cache_dir is not None:
        yield Progress(0, None, "hashing real images")
        path = cache_path(cache_dir, key, len(chosen), images_digest(chosen))
        if path.is_file():
            cached = _load(path, key, len(chosen))
            if cached is not None:
                yield Progress(1, 1, f"real statistics from cache {path.name}")
                return cached
    feats = yield from iter_features(chosen, backbone, batch_size=batch_size)
    feats32 = feats.astype(np.float32)  # the network's own precision: nothing is lost
    ref = RealReference(statistics(feats32), feats32, real_floor(feats32), key, None)
    if path is not None:
        meta = {"version": FORMAT_VERSION, "key": key, "n": len(chosen), "label": backbone.label,
                "weights_sha256": backbone.identity,
                "preprocessing": PREPROCESSING, "seed": seed}
        try:
            _save(path, ref, meta)
            ref.path = path
        except OSError as exc:
            warnings.warn(f"{path}: could not cache real statistics ({exc})", stacklevel=2)
    return ref
