"""Improved precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020).

Each real vector X_i gets a ball B(X_i, NND_k(X_i)) whose radius is the distance to
its k-th nearest other real vector (likewise for the fakes Y_j). Then

precision = 1/M sum_j  1[Y_j lies in some real ball]                (k = 3)
recall    = 1/N sum_i  1[X_i lies in some fake ball]                (k = 3)
density   = 1/(k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]        (k = 5)
coverage  = 1/N sum_i  1[some Y_j in B(X_i, NND_k(X_i))]            (k = 5)

Balls are closed (distance <= radius) as in Kynkäänniemi's definition; the
``prdc`` package uses open balls, which differs only on exact ties.
"""
from __future__ import annotations

import numpy as np

__all__ = ["pairwise_distances", "kth_neighbour_radii", "prdc"]


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances (n, m) between rows of a (n, d) and b (m, d), float64."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.sqrt(np.clip(sq, 0.0, None))


def kth_neighbour_radii(features: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row to its k-th nearest *other* row."""
    if not 1 <= k < len(features):
        raise ValueError(f"k must be in [1, {len(features) - 1}] for {len(features)} vectors, got {k}")
    d = pairwise_distances(features, features)
    np.fill_diagonal(d, 0.0)  # itself, at index 0 after sorting
    return np.partition(d, k, axis=1)[:, k]


def prdc(real: np.ndarray, fake: np.ndarray, *, k_pr: int = 3, k_dc: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage of ``fake`` against ``real``.

    Parameters
    ----------
    real, fake : (N, d) and (M, d) arrays
    k_pr : int
        Neighbourhood size for precision and recall (Kynkäänniemi: 3).
    k_dc : int
        Neighbourhood size for density and coverage (Naeem: 5).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``density``, ``coverage``.
    """
    x = np.asarray(real, dtype=np.float64)
    y = np.asarray(fake, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"real and fake must be (n, d) with the same d, got {x.shape} and {y.shape}")
    d_rf = pairwise_distances(x, y)  # (N, M)
    r_real_pr = kth_neighbour_radii(x, k_pr)
    r_fake_pr = kth_neighbour_radii(y, k_pr)
    r_real_dc = kth_neighbour_radii(x, k_dc)
    inside_real_pr = d_rf <= r_real_pr[:, None]
    inside_real_dc = d_rf <= r_real_dc[:, None]
    return {
        "precision": float(inside_real_pr.any(axis=0).mean()),
        "recall": float((d_rf <= r_fake_pr[None, :]).any(axis=1).mean()),
        "density": float(inside_real_dc.sum() / (k_dc * len(y))),
        "coverage": float(inside_real_dc.any(axis=1).mean()),
    }
