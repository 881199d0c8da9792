"""The Fréchet distance between Gaussians fitted to features, exact and in float64.

FID = ||mu_1 - mu_2||^2 + Tr(S_1) + Tr(S_2) - 2 Tr((S_1 S_2)^(1/2))      (paper eq. 3)

The trace of the matrix square root needs no ``scipy.linalg.sqrtm``:

* from covariances: S_1 S_2 is similar to S_1^(1/2) S_2 S_1^(1/2), a symmetric
  positive semi-definite matrix, so Tr((S_1 S_2)^(1/2)) is the sum of the square
  roots of its eigenvalues (two symmetric eigen-decompositions);
* from feature matrices: with A (N x d) and B (M x d) centred,
  S_1 S_2 = A'A B'B / ((N-1)(M-1)) shares its non-zero eigenvalues with
  (A B')(A B')' / ((N-1)(M-1)), so the trace is the sum of the singular values
  of A B' / sqrt((N-1)(M-1)) - cheaper than any d x d work when N, M < d.

Statistics are float64 throughout: float32 covariances make FID 9-12 % too low.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "GaussianStats", "statistics", "trace_sqrt_product", "frechet_distance",
    "frechet_distance_features", "fid_between", "real_floor",
]


@dataclass
class GaussianStats:
    """Mean and covariance of a feature set, with the square root cached.

    Attributes
    ----------
    mu : float64 (d,)
    sigma : float64 (d, d)
    n : int
        Number of feature vectors behind the estimate (FID is biased by n).
    """

    mu: np.ndarray
    sigma: np.ndarray
    n: int
    _sqrt: np.ndarray | None = field(default=None, repr=False)

    @property
    def sqrt_sigma(self) -> np.ndarray:
        """Symmetric square root of ``sigma`` (negative round-off eigenvalues set to 0)."""
        if self._sqrt is None:
            self._sqrt = _psd_sqrt(self.sigma)
        return self._sqrt


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def statistics(features: np.ndarray) -> GaussianStats:
    """Float64 mean and unbiased covariance (divisor n - 1) of (n, d) features."""
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"features must be (n >= 2, d), got shape {f.shape}")
    if not np.isfinite(f).all():
        raise ValueError("features contain NaN or infinity")
    mu = f.mean(axis=0)
    c = f - mu
    return GaussianStats(mu=mu, sigma=(c.T @ c) / (len(f) - 1), n=len(f))


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr((S_1 S_2)^(1/2)) via the eigenvalues of S_1^(1/2) S_2 S_1^(1/2).

    ``sigma1`` may be a :class:`GaussianStats` (its cached square root is used).
    """
    root = sigma1.sqrt_sigma if isinstance(sigma1, GaussianStats) else _psd_sqrt(np.asarray(sigma1, np.float64))
    s2 = sigma2.sigma if isinstance(sigma2, GaussianStats) else np.asarray(sigma2, np.float64)
    m = root @ s2 @ root
    ev = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(ev, 0.0, None)).sum())


def frechet_distance(mu1, sigma1=None, mu2=None, sigma2=None) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64.

    Parameters
    ----------
    mu1, mu2 : (d,) arrays, or :class:`GaussianStats` (then leave the sigmas out:
        ``frechet_distance(stats1, stats2)``).
    sigma1, sigma2 : (d, d) symmetric positive semi-definite arrays.

    Returns
    -------
    float
        Never negative (clipped at 0 against round-off).
    """
    if isinstance(mu1, GaussianStats):
        a, b = mu1, sigma1 if isinstance(sigma1, GaussianStats) else mu2
        if not isinstance(b, GaussianStats):
            raise ValueError("pass two GaussianStats, or mu1, sigma1, mu2, sigma2")
    else:
        a = GaussianStats(np.asarray(mu1, np.float64), np.asarray(sigma1, np.float64), 0)
        b = GaussianStats(np.asarray(mu2, np.float64), np.asarray(sigma2, np.float64), 0)
    d = a.mu.shape[0]
    for name, s in (("mu1", a.mu), ("mu2", b.mu)):
        if s.shape != (d,):
            raise ValueError(f"{name} must have shape ({d},), got {s.shape}")
    for name, s in (("sigma1", a.sigma), ("sigma2", b.sigma)):
        if s.shape != (d, d):
            raise ValueError(f"{name} must have shape ({d}, {d}), got {s.shape}")
    diff = a.mu - b.mu
    value = diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2.0 * trace_sqrt_product(a, b)
    return max(0.0, float(value))


def frechet_distance_features(f1: np.ndarray, f2: np.ndarray) -> float:
    """FID straight from two feature matrices (n1, d) and (n2, d).

    Uses the singular values of the scaled cross-product of the centred
    matrices when that matrix is smaller than d x d, else the covariance route.
    """
    a = np.asarray(f1, dtype=np.float64)
    b = np.asarray(f2, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"feature matrices must be (n, d) with the same d, got {a.shape} and {b.shape}")
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each feature set needs at least 2 vectors")
    n, m, d = len(a), len(b), a.shape[1]
    if n * m >= d * d:
        return frechet_distance(statistics(a), statistics(b))
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = a - mu_a, b - mu_b
    scale = np.sqrt((n - 1) * (m - 1))
    trace_sqrt = np.linalg.svd((ca @ cb.T) / scale, compute_uv=False).sum()
    tr1 = np.einsum("ij,ij->", ca, ca) / (n - 1)
    tr2 = np.einsum("ij,ij->", cb, cb) / (m - 1)
    diff = mu_a - mu_b
    return max(0.0, float(diff @ diff + tr1 + tr2 - 2.0 * trace_sqrt))


def real_floor(features: np.ndarray, *, rng: np.random.Generator | None = None) -> float:
    """FID between two random halves of one real set: the small-N bias floor.

    A generator cannot be expected to score below this at the same N / 2.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    f = np.asarray(features)
    if len(f) < 4:
        raise ValueError(f"need at least 4 feature vectors for a floor, got {len(f)}")
    order = rng.permutation(len(f))
    half = len(f) // 2
    return frechet_distance_features(f[order[:half]], f[order[half:2 * half]])


def fid_between(real_uint8: np.ndarray, fake_uint8: np.ndarray, backbone, *, batch_size: int = 50) -> float:
    """FID between two uint8 image stacks with ``backbone`` (see its ``label``)."""
    from .features import extract_features

    return frechet_distance_features(
        extract_features(real_uint8, backbone, batch_size), extract_features(fake_uint8, backbone, batch_size)
    )
