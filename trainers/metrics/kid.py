"""Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD^2, cubic kernel.

k(x, y) = (x . y / d + 1)^3. For subsets X, Y of m vectors each:

MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1)) + sum_{i != j} k(y_i, y_j) / (m (m - 1))
          - 2 sum_{i, j} k(x_i, y_j) / m^2

averaged over ``n_subsets`` random subsets of m = min(subset_size, N, M) drawn
without replacement; KID is the mean, reported with the standard deviation.
Unlike FID it is unbiased in the sample size, so small runs compare fairly.
"""
from __future__ import annotations

import numpy as np

__all__ = ["polynomial_kernel", "mmd2_unbiased", "kid"]

# Above this many Gram entries per matrix the subsets are computed one by one
# instead of indexed out of precomputed Gram matrices (2000 x 2000 = 32 MB).
_GRAM_LIMIT = 25_000_000


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(x y' / d + 1)^3 for (n, d) and (m, d) float64 arrays -> (n, m)."""
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(kxx: np.ndarray, kyy: np.ndarray, kxy: np.ndarray) -> float:
    """Unbiased MMD^2 from the three (m, m) Gram matrices (diagonals excluded)."""
    m = kxx.shape[0]
    if m < 2:
        raise ValueError("MMD needs subsets of at least 2 vectors")
    xx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    yy = (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(xx + yy - 2.0 * kxy.mean())


def kid(
    real: np.ndarray,
    fake: np.ndarray,
    *,
    n_subsets: int = 100,
    subset_size: int = 1000,
    rng: np.random.Generator | None = None,
) -> tuple[float, float]:
    """KID between two feature sets.

    Parameters
    ----------
    real, fake : (N, d) and (M, d) arrays
    n_subsets : int
        Number of random subset pairs (100 as in the KID paper's code).
    subset_size : int
        Upper bound on the subset size m = min(subset_size, N, M).
    rng : numpy.random.Generator, optional
        Subset draws; ``default_rng(0)`` when not given.

    Returns
    -------
    (mean, std) : tuple of float
        Mean and standard deviation of MMD^2_u over the subsets.
    """
    x = np.asarray(real, dtype=np.float64)
    y = np.asarray(fake, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"real and fake must be (n, d) with the same d, got {x.shape} and {y.shape}")
    if n_subsets < 1:
        raise ValueError(f"n_subsets must be >= 1, got {n_subsets}")
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise ValueError(f"need at least 2 vectors on each side, got {len(x)} and {len(y)}")
    rng = np.random.default_rng(0) if rng is None else rng
    pre = max(len(x), len(y)) ** 2 <= _GRAM_LIMIT
    if pre:  # compute each kernel once; subsets index into it
        kxx_all, kyy_all, kxy_all = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    values = np.empty(n_subsets)
    for s in range(n_subsets):
        ix = rng.choice(len(x), m, replace=False)
        iy = rng.choice(len(y), m, replace=False)
        if pre:
            kxx, kyy, kxy = kxx_all[np.ix_(ix, ix)], kyy_all[np.ix_(iy, iy)], kxy_all[np.ix_(ix, iy)]
        else:
            xs, ys = x[ix], y[iy]
            kxx, kyy, kxy = polynomial_kernel(xs, xs), polynomial_kernel(ys, ys), polynomial_kernel(xs, ys)
        values[s] = mmd2_unbiased(kxx, kyy, kxy)
    return float(values.mean()), float(values.std())
