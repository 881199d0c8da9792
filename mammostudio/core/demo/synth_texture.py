"""Tissue texture of a synthetic mammogram: power-law parenchyma and fibrous strands.

Breast structures (ducts, fibrous septa, Cooper's ligaments, vessels) run
toward the nipple or curve around it. The duct-like part of the parenchyma is
a power-law field drawn on a log-polar grid about the nipple (radius x angle)
and sampled back, so its features are stretched along the radius and grow
with the distance from the nipple; the angular axis is periodic (the FFT field
wraps), so there is no seam. Strands are explicit smooth random curves splatted
onto a grid: long, thin, crossing lines like those on real films.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .synth_fields import powerlaw_field, smoothstep

__all__ = ["polar_field", "tissue_texture", "strand_curves"]


def polar_field(rng: np.random.Generator, centre: tuple[float, float], shape: tuple[int, int], *,
                beta: float, scale_px: float, stretch: float, f_low: float = 0.0) -> np.ndarray:
    """A power-law field laid out on a log-polar grid about ``centre``.

    Parameters
    ----------
    rng : numpy.random.Generator
    centre : (row, col)
        The nipple on this grid.
    shape : (rows, cols)
    beta : float
        Spectral exponent of the field on the polar grid.
    scale_px : float
        Image pixels per polar-grid pixel along the radius, at a reference
        radius of a third of the image width (proportionally more farther out).
    stretch : float
        How much longer (radially) than wide features are.
    f_low : float
        Low-frequency flattening of the field (cycles per polar pixel).

    Returns
    -------
    numpy.ndarray
        float32 ``shape``; faded to 0 within ``r0`` of the centre, where the
        polar grid is singular.
    """
    rows, cols = shape
    r_ref = cols / 3.0
    r0 = 0.4 * r_ref
    k_r = (r0 + r_ref) / scale_px
    n_r = int(k_r * np.log1p(np.hypot(rows, cols) / r0)) + 4
    n_t = max(16, int(round(2 * np.pi * r_ref * stretch / scale_px)))
    field = powerlaw_field(rng, (n_r, n_t), beta, f_low=f_low)
    yy = np.arange(rows, dtype=np.float32)[:, None] - np.float32(centre[0])
    xx = np.arange(cols, dtype=np.float32)[None, :] - np.float32(centre[1])
    r = np.hypot(yy, xx)
    rho = np.log1p(r / np.float32(r0)) * np.float32(k_r)
    t = (np.arctan2(yy, xx) + np.float32(np.pi)) * np.float32(n_t / (2 * np.pi))
    out = ndimage.map_coordinates(field, np.stack(np.broadcast_arrays(rho, t)), order=1, mode="grid-wrap")
    return (out * smoothstep(r, 0.0, r0)).astype(np.float32)


def tissue_texture(rng: np.random.Generator, centre: tuple[float, float], shape: tuple[int, int],
                   px_mm: float, beta: float = 3.0) -> np.ndarray:
    """Parenchymal texture (unit variance): isotropic power-law plus a duct-oriented part."""
    f_low = 1.0 / (50.0 / px_mm)
    iso = powerlaw_field(rng, shape, beta, f_low=f_low)
    ducts = polar_field(rng, centre, shape, beta=beta, scale_px=1.0, stretch=2.5, f_low=f_low)
    ducts /= max(float(ducts.std()), 1e-6)
    tex = 0.75 * iso + 0.55 * ducts
    return tex / max(float(tex.std()), 1e-6)


def strand_curves(rng: np.random.Generator, centre: tuple[float, float], inside: np.ndarray, px_mm: float, *,
                  n: int, length_mm: tuple[float, float], radial: float = 0.65) -> np.ndarray:
    """Thin random curves (fibrous strands, vessels) splatted onto the grid of ``inside``.

    Each curve starts at a random point of the breast, heads toward the nipple
    (probability ``radial``) or around it, and bends slowly (curvature radius
    4-20 cm plus a gentle wave). Its brightness tapers at both ends.

    Parameters
    ----------
    centre : (row, col)
        Nipple on this grid.
    inside : numpy.ndarray
        bool (rows, cols), where curves may start.
    px_mm : float
        Pixel size of this grid.
    n : int
        Number of curves.
    length_mm : (low, high)
        Range of curve lengths.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols); a single line peaks near 1.
    """
    rows, cols = inside.shape
    ys, xs = np.nonzero(inside)
    out = np.zeros(rows * cols, dtype=np.float32)
    if n <= 0 or ys.size == 0:
        return out.reshape(rows, cols)
    pick = rng.integers(0, ys.size, n)
    y0, x0 = ys[pick] + rng.random(n), xs[pick] + rng.random(n)
    to_nipple = np.arctan2(centre[0] - y0, centre[1] - x0)
    around = to_nipple + np.where(rng.random(n) < 0.5, np.pi / 2, -np.pi / 2)
    heading0 = np.where(rng.random(n) < radial, to_nipple + rng.normal(0, 0.25, n), around + rng.normal(0, 0.3, n))
    heading0 = heading0 + np.where(rng.random(n) < 0.5, 0.0, np.pi) * (rng.random(n) < 0.3)
    step = 0.6
    lengths = rng.uniform(*length_mm, n) / px_mm
    k = int(np.ceil(lengths.max() / step))
    s = np.arange(k, dtype=np.float64)[None, :] * step
    curv = rng.choice([-1, 1], n)[:, None] / (rng.uniform(40, 200, n)[:, None] / px_mm)
    wave = rng.uniform(0, 0.4, n)[:, None] * np.sin(2 * np.pi * s / (rng.uniform(12, 50, n)[:, None] / px_mm)
                                                     + rng.uniform(0, 2 * np.pi, n)[:, None])
    heading = heading0[:, None] + curv * s + wave
    py = y0[:, None] + np.cumsum(step * np.sin(heading), axis=1)
    px = x0[:, None] + np.cumsum(step * np.cos(heading), axis=1)
    frac = s / lengths[:, None]
    weight = np.sqrt(np.clip(np.sin(np.pi * np.clip(frac, 0, 1)), 0, 1)) * (frac < 1)
    weight = weight * rng.uniform(0.4, 1.0, n)[:, None] * step * 1.6
    # Bilinear splat of every curve point.
    py, px, weight = py.ravel() - 0.5, px.ravel() - 0.5, weight.ravel()
    iy, ix = np.floor(py).astype(np.intp), np.floor(px).astype(np.intp)
    fy, fx = py - iy, px - ix
    for dy, dx, w in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = iy + dy, ix + dx
        ok = (yy >= 0) & (yy < rows) & (xx >= 0) & (xx < cols) & (weight > 0)
        out += np.bincount(yy[ok] * cols + xx[ok], weights=(w * weight)[ok], minlength=rows * cols).astype(np.float32)
    return np.minimum(out, 1.5).reshape(rows, cols)
