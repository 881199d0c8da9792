"""Seam scores: does an inserted lesion show where it was pasted in?

Two measures, each the inserted image against untouched tissue:

``ring_gradient``
    Mean squared gradient on the insert's boundary ring (the pixels within
    ``width`` of the outline ``support = 0.05``, both sides) after insertion,
    divided by the same on the same ring of the image before insertion. 1.0:
    no seam; above 1: an edge was added.
``slope``
    The power-spectrum slope beta (``P(f) ~ f^-beta``, radially averaged,
    Hann window) of a square window centred on the insert, minus the mean
    slope of the eight neighbouring windows of the same size (untouched
    tissue). Reported with the same difference before insertion, the
    tissue's own spread.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..boxes import box_size
from .blend import Insertion

__all__ = ["spectral_slope", "ring_gradient_ratio", "seam_scores"]


def spectral_slope(window: np.ndarray, *, f_range=(0.04, 0.25)) -> float:
    """beta of ``P(f) ~ f^-beta`` for a square window (f in cycles per pixel)."""
    a = np.asarray(window, dtype=np.float64)
    n = min(a.shape)
    a = a[:n, :n] - a[:n, :n].mean()
    hann = np.hanning(n)
    power = np.abs(np.fft.fftshift(np.fft.fft2(a * np.outer(hann, hann)))) ** 2
    f = np.fft.fftshift(np.fft.fftfreq(n))
    radius = np.hypot(f[:, None], f[None, :])
    keep = (radius >= f_range[0]) & (radius <= f_range[1])
    bins = np.round(radius[keep] * n).astype(int)
    sums = np.bincount(bins, weights=power[keep])
    counts = np.bincount(bins)
    ok = counts > 0
    freq, mean = np.nonzero(ok)[0] / n, sums[ok] / counts[ok]
    good = mean > 0
    if good.sum() < 3:
        return float("nan")
    return float(-np.polyfit(np.log(freq[good]), np.log(mean[good]), 1)[0])


def ring_gradient_ratio(before: np.ndarray, after: np.ndarray, support: np.ndarray, *, width: int = 2) -> float:
    """Mean |grad|^2 on the outline ring after / before (see the module docstring)."""
    outline = support > 0.05
    ring = ndimage.binary_dilation(outline, iterations=width) & ~ndimage.binary_erosion(outline, iterations=width)
    if not ring.any():
        return float("nan")

    def energy(a):
        gr, gc = np.gradient(np.asarray(a, dtype=np.float64))
        return float((gr * gr + gc * gc)[ring].mean())

    base = energy(before)
    return energy(after) / base if base > 0 else float("nan")


def seam_scores(original: np.ndarray, inserted: np.ndarray, ins: Insertion, *, size: int | None = None) -> dict:
    """Both seam scores of one insertion.

    Parameters
    ----------
    original, inserted : numpy.ndarray (rows, cols)
        The image before and after the insertion.
    ins : Insertion
        The insertion (its window and support give the ring and the centre).
    size : int, optional
        Side of the spectrum windows (default: the lesion box's larger side,
        at least 32, rounded up to even).

    Returns
    -------
    dict
        ring_gradient, slope_insert, slope_surround, slope_delta (insert minus
        surround, after insertion), slope_delta_before (the same before).
    """
    r0, c0, r1, c1 = ins.window
    ratio = ring_gradient_ratio(original[r0:r1, c0:c1], inserted[r0:r1, c0:c1], ins.support)
    b = ins.box
    if size is None:
        size = max(*box_size(b), 32)
        size += size % 2
    cy, cx = (b[0] + b[2]) // 2, (b[1] + b[3]) // 2
    rows, cols = original.shape

    def win(a, y, x):
        t, l = y - size // 2, x - size // 2
        if t < 0 or l < 0 or t + size > rows or l + size > cols:
            return None
        return a[t:t + size, l:l + size]

    out = {"ring_gradient": ratio}
    for name, img in (("after", inserted), ("before", original)):
        centre = win(img, cy, cx)
        around = [win(img, cy + dy * size, cx + dx * size) for dy in (-1, 0, 1) for dx in (-1, 0, 1)
                  if (dy, dx) != (0, 0)]
        # neighbours in the breast only (no air, which has no texture)
        around = [a for a in around if a is not None and np.count_nonzero(a) == a.size]
        s_in = spectral_slope(centre) if centre is not None else float("nan")
        s_out = float(np.mean([spectral_slope(a) for a in around])) if around else float("nan")
        if name == "after":
            out.update(slope_insert=s_in, slope_surround=s_out, slope_delta=s_in - s_out)
        else:
            out["slope_delta_before"] = s_in - s_out
    return out
