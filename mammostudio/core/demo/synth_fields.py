"""Small numerical helpers of the synthetic mammogram: random fields, resizing.

Everything here works on float32 (rows, cols) arrays and takes its randomness
from a ``numpy.random.Generator`` passed in.
"""
from __future__ import annotations

import numpy as np

__all__ = ["powerlaw_field", "resize_bilinear", "smoothstep", "radial_power_spectrum", "spectrum_slope"]


def powerlaw_field(rng: np.random.Generator, shape: tuple[int, int], beta: float, *, f_low: float = 0.0,
                   stretch: float = 1.0, angle: float = 0.0) -> np.ndarray:
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
    stretch, angle : float
        Features ``stretch`` times longer along the direction ``angle``
        (radians from the row axis toward the column axis) than across it.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols), zero mean, unit standard deviation.
    """
    rows, cols = shape
    fy = np.fft.fftfreq(rows).astype(np.float32)[:, None]
    fx = np.fft.rfftfreq(cols).astype(np.float32)[None, :]
    if stretch != 1.0:
        along = fy * np.float32(np.cos(angle)) + fx * np.float32(np.sin(angle))
        across = fx * np.float32(np.cos(angle)) - fy * np.float32(np.sin(angle))
        f2 = (along * np.float32(stretch)) ** 2 + across * across + np.float32(f_low * f_low)
    else:
        f2 = fy * fy + fx * fx + np.float32(f_low * f_low)
    f2[0, 0] = 1.0
    amp = f2 ** np.float32(-beta / 4.0)
    amp[0, 0] = 0.0
    spec = rng.standard_normal(amp.shape, dtype=np.float32) + 1j * rng.standard_normal(amp.shape, dtype=np.float32)
    field = np.fft.irfft2(spec * amp, s=shape).astype(np.float32)
    field -= field.mean()
    field /= max(float(field.std()), 1e-12)
    return field


def _upsample_axis0(a: np.ndarray, k: int) -> np.ndarray:
    """Bilinear upsampling by an integer factor along axis 0 (pixel centres aligned)."""
    if k == 1:
        return a
    prev = np.concatenate([a[:1], a[:-1]])
    nxt = np.concatenate([a[1:], a[-1:]])
    out = np.empty((a.shape[0] * k,) + a.shape[1:], dtype=np.float32)
    for j in range(k):
        d = (j + 0.5) / k - 0.5  # where output phase j falls between input pixels
        other = prev if d < 0 else nxt
        np.multiply(a, np.float32(1 - abs(d)), out=out[j::k])
        out[j::k] += other * np.float32(abs(d))
    return out


def _upsample_axis1(a: np.ndarray, k: int) -> np.ndarray:
    """As :func:`_upsample_axis0` along axis 1 (strided writes, no transposes)."""
    if k == 1:
        return a
    prev = np.concatenate([a[:, :1], a[:, :-1]], axis=1)
    nxt = np.concatenate([a[:, 1:], a[:, -1:]], axis=1)
    out = np.empty((a.shape[0], a.shape[1] * k), dtype=np.float32)
    for j in range(k):
        d = (j + 0.5) / k - 0.5
        other = prev if d < 0 else nxt
        np.multiply(a, np.float32(1 - abs(d)), out=out[:, j::k])
        out[:, j::k] += other * np.float32(abs(d))
    return out


def resize_bilinear(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Upsample a 2-D array bilinearly to ``shape`` (pixel centres aligned).

    ``shape`` must be at most an integer multiple ``k`` of the input along each
    axis (``ceil(out / k) == in``); the k-times image is cropped to ``shape``.
    This uses only shifted copies, no gathers, so it is fast.
    """
    a = np.asarray(image, dtype=np.float32)
    ks = []
    for n_in, n_out in zip(a.shape, shape):
        k = max(1, int(round(n_out / n_in)))
        if -(-n_out // k) != n_in:
            raise ValueError(f"cannot resize {a.shape} to {tuple(shape)}: not an integer upsampling")
        ks.append(k)
    # Columns first while the array is small, then rows.
    out = _upsample_axis1(a, ks[1])[:, : shape[1]]
    return _upsample_axis0(np.ascontiguousarray(out), ks[0])[: shape[0]]


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
