"""Small numerical helpers of the synthetic mammogram: random fields, resizing.

Everything here works on float32 (rows, cols) arrays and takes its randomness
from a ``numpy.random.Generator`` passed in.
"""
from __future__ import annotations

import numpy as np

__all__ = ["powerlaw_field", "resize_bilinear", "smoothstep", "radial_power_spectrum", "spectrum_slope"]


def powerlaw_field(rng: np.random.Generator, shape: tuple[int, int], beta: float, *, f_low: float = 0.0) -> np.ndarray:
    """A Gaussian random field whose power spectrum falls as ``1 / f**beta``.

    Mammographic "anatomical noise" has this form with beta near 3 (Burgess et
    al. 2001). White complex noise is shaped in the Fourier domain by the
    amplitude ``(f**2 + f_low**2) ** (-beta / 4)`` and transformed back.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : (rows, cols)
    beta : float
        Exponent of the power spectrum.
    f_low : float
        Frequency (cycles per pixel) below which the spectrum flattens, so that
        the few largest modes do not dominate the field.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols), zero mean, unit standard deviation.
    """
    rows, cols = shape
    fy = np.fft.fftfreq(rows).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(cols).astype(np.float32)[None, :]
    f2 = fy * fy + fx * fx + np.float32(f_low * f_low)
    f2[0, 0] = 1.0
    amp = f2 ** np.float32(-beta / 4.0)
    amp[0, 0] = 0.0
    spec = rng.standard_normal(amp.shape, dtype=np.float32) + 1j * rng.standard_normal(amp.shape, dtype=np.float32)
    field = np.fft.irfft2(spec * amp, s=shape).astype(np.float32)
    field -= field.mean()
    field /= max(float(field.std()), 1e-12)
    return field


def _axis_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Pixel centres aligned (as in scipy.ndimage.zoom(grid_mode=True)).
    src = (np.arange(n_out, dtype=np.float32) + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0, n_in - 1)
    i0 = np.floor(src).astype(np.intp)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def resize_bilinear(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a 2-D float array to ``shape`` (pixel centres aligned)."""
    r0, r1, wr = _axis_weights(image.shape[0], shape[0])
    c0, c1, wc = _axis_weights(image.shape[1], shape[1])
    a = image.astype(np.float32, copy=False)
    tmp = a[r0] * (1 - wr)[:, None] + a[r1] * wr[:, None]
    out = tmp[:, c0]
    out *= (1 - wc)[None, :]
    out += tmp[:, c1] * wc[None, :]
    return out


def smoothstep(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 below ``lo``, 1 above ``hi``, a cubic ramp between (float32)."""
    t = np.clip((np.asarray(x, dtype=np.float32) - lo) / max(hi - lo, 1e-6), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def radial_power_spectrum(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of a square region (mean removed, Hann window).

    Returns
    -------
    freqs : numpy.ndarray
        Radial frequency of each ring, cycles per pixel (0 excluded).
    power : numpy.ndarray
        Mean power in each ring.
    """
    roi = np.asarray(roi, dtype=np.float64)
    n = min(roi.shape)
    roi = roi[:n, :n] - roi[:n, :n].mean()
    win = np.outer(np.hanning(n), np.hanning(n))
    p = np.abs(np.fft.fftshift(np.fft.fft2(roi * win))) ** 2
    y, x = np.indices(p.shape)
    r = np.hypot(y - n // 2, x - n // 2).astype(int)
    sums = np.bincount(r.ravel(), p.ravel())
    counts = np.bincount(r.ravel())
    k = np.arange(1, n // 2)
    return k / n, sums[k] / counts[k]


def spectrum_slope(roi: np.ndarray, *, f_min: float = 1 / 64, f_max: float = 1 / 8) -> float:
    """beta of a least-squares fit ``log P = c - beta log f`` over [f_min, f_max]."""
    f, p = radial_power_spectrum(roi)
    keep = (f >= f_min) & (f <= f_max)
    slope, _ = np.polyfit(np.log(f[keep]), np.log(p[keep]), 1)
    return float(-slope)
