"""The one display pipeline for every study image, and the memorisation screen."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from ..imageops import resize_image

__all__ = ["display_pixels", "screen_memorisation", "pixel_hashes"]


def display_pixels(image: np.ndarray, size: int) -> np.ndarray:
    """The one display pipeline for every image, real or generated.

    Min-max scaling to 0..255 (8-bit images as they are), then
    :func:`mammostudio.core.imageops.resize_image` to ``size`` x ``size``,
    rounded to uint8.

    Parameters
    ----------
    image : ndarray (rows, cols)
    size : int

    Returns
    -------
    ndarray uint8 (size, size)
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    arr = image.astype(np.float32)
    lo, hi = float(arr.min()), float(arr.max())
    if image.dtype == np.uint8:
        lo, hi = 0.0, 255.0  # keep 8-bit images' own contrast: no stretch
    arr = (arr - lo) * np.float32(255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    arr = resize_image(arr, (size, size))
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _as_unit(stack: np.ndarray, size: int) -> np.ndarray:
    flat = np.stack([display_pixels(im, size) for im in stack]).reshape(len(stack), -1)
    return flat.astype(np.float32) / np.float32(255.0)  # float32: half the memory, ~1e-4 RMS error


def screen_memorisation(
    candidates: np.ndarray, training: np.ndarray, *, threshold: float, size: int | None = None, chunk: int = 256
) -> pd.DataFrame:
    """Nearest training patch of each generated candidate (memorisation screen).

    Parameters
    ----------
    candidates : ndarray (n, rows, cols)
        Generated images.
    training : ndarray (m, rows, cols)
        The generator's training patches.
    threshold : float
        RMS distance (pixels scaled to [0, 1]) below which a candidate is flagged.
    size : int, optional
        Compare at this size (default: the candidates' row count).

    Returns
    -------
    DataFrame
        Columns ``candidate``, ``nn_index``, ``nn_distance`` (RMS), ``memorised``.
    """
    candidates, training = np.asarray(candidates), np.asarray(training)
    if candidates.ndim != 3 or training.ndim != 3 or len(training) == 0:
        raise ValueError("candidates and training must be non-empty (n, rows, cols) stacks")
    size = int(size or candidates.shape[1])
    a, b = _as_unit(candidates, size), _as_unit(training, size)
    b2 = (b * b).sum(axis=1)
    nn_idx = np.empty(len(a), dtype=np.int64)
    nn_d = np.empty(len(a))
    for start in range(0, len(a), chunk):
        part = a[start : start + chunk]
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b, clipped against rounding below 0.
        d2 = np.maximum((part * part).sum(axis=1)[:, None] + b2[None, :] - 2.0 * part @ b.T, 0.0)
        j = d2.argmin(axis=1)
        nn_idx[start : start + chunk] = j
        nn_d[start : start + chunk] = np.sqrt(d2[np.arange(len(part)), j] / a.shape[1])
    return pd.DataFrame(
        {"candidate": np.arange(len(a)), "nn_index": nn_idx, "nn_distance": nn_d, "memorised": nn_d < threshold}
    )


def pixel_hashes(stack: np.ndarray, size: int) -> list[str]:
    """SHA-1 of each image's display pixels (exact-duplicate detection)."""
    return [hashlib.sha1(display_pixels(im, size).tobytes()).hexdigest() for im in stack]
