"""KID and precision/recall/density/coverage against their definitions on hand-checkable sets."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from trainers.metrics import kid as kid_fn
from trainers.metrics import prdc
from trainers.metrics.prdc import kth_neighbour_radii, pairwise_distances

# The package exports the function ``kid``, which shadows the module attribute.
kid_impl = importlib.import_module("trainers.metrics.kid")


def test_kid_on_three_points_each_equals_hand_computed_mmd():
    # d = 1, k(a, b) = (a b + 1)^3. x = {0, 1, 2}, y = {1, 2, 3}:
    # off-diagonal Kxx sum 2 (1 + 1 + 27) = 58, Kyy 2 (27 + 64 + 343) = 868,
    # Kxy sum 3 + 99 + 495 = 597 -> 58/6 + 868/6 - 2 * 597/9 = 65/3.
    x = np.array([[0.0], [1.0], [2.0]])
    y = np.array([[1.0], [2.0], [3.0]])
    mean, std = kid_fn(x, y, n_subsets=10)
    assert mean == pytest.approx(65 / 3, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)  # every subset is the whole set


def test_kid_is_near_zero_for_one_distribution_and_positive_for_two():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 16)), rng.standard_normal((300, 16))
    c = rng.standard_normal((300, 16)) * 1.3 + 0.3
    same, _ = kid_fn(a, b, n_subsets=20, rng=np.random.default_rng(1))
    diff, _ = kid_fn(a, c, n_subsets=20, rng=np.random.default_rng(1))
    assert diff > 0
    assert abs(same) < 0.05 * diff


def test_kid_subsets_are_capped_by_the_smaller_set_and_seeded():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((12, 4)), rng.standard_normal((5, 4)) + 1
    first = kid_fn(a, b, n_subsets=30, rng=np.random.default_rng(9))
    assert first == kid_fn(a, b, n_subsets=30, rng=np.random.default_rng(9))
    # Each subset holds min(1000, 12, 5) = 5 vectors: the fake side is always all of b.
    kyy = kid_impl.polynomial_kernel(b, b)
    yy = (kyy.sum() - np.trace(kyy)) / 20
    r = np.random.default_rng(9)
    values = []
    for _ in range(30):
        ix, iy = r.choice(12, 5, replace=False), r.choice(5, 5, replace=False)
        xs = a[ix]
        kxx, kxy = kid_impl.polynomial_kernel(xs, xs), kid_impl.polynomial_kernel(xs, b[iy])
        values.append((kxx.sum() - np.trace(kxx)) / 20 + yy - 2 * kxy.mean())
    assert first[0] == pytest.approx(np.mean(values), rel=1e-12)
    assert first[1] == pytest.approx(np.std(values), rel=1e-9)


def test_kid_precomputed_gram_and_per_subset_paths_agree(monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 8)), rng.standard_normal((30, 8)) * 1.2
    pre = kid_fn(a, b, n_subsets=15, subset_size=20, rng=np.random.default_rng(4))
    monkeypatch.setattr(kid_impl, "_GRAM_LIMIT", 0)
    direct = kid_fn(a, b, n_subsets=15, subset_size=20, rng=np.random.default_rng(4))
    assert direct == pytest.approx(pre, rel=1e-10)


def test_kid_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same d"):
        kid_fn(np.zeros((5, 3)), np.zeros((5, 4)))


REAL = np.arange(7.0)[:, None]  # 0, 1, ..., 6 on a line


def test_prdc_on_a_line_matches_hand_counts():
    # Real 3-NN radii: 3, 2, 2, 2, 2, 2, 3; 5-NN radii: 5, 4, 3, 3, 3, 4, 5.
    # Fakes 0, 0.5 sit among the reals; 20, 21 are far outliers.
    fake = np.array([[0.0], [0.5], [20.0], [21.0]])
    got = prdc(REAL, fake)
    assert got["precision"] == pytest.approx(2 / 4)  # only 0 and 0.5 fall in a real ball
    assert got["recall"] == pytest.approx(1.0)  # the outliers' 3-NN radius (~20) swallows every real
    assert got["density"] == pytest.approx((4 + 4) / (5 * 4))  # each inlier fake lies in 4 real 5-NN balls
    assert got["coverage"] == pytest.approx(4 / 7)  # reals 4, 5, 6: nearest fake 3.5 > 3, 4.5 > 4, 5.5 > 5


def test_prdc_of_a_set_with_itself_is_perfect():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((50, 6))
    got = prdc(x, x.copy())
    assert got["precision"] == got["recall"] == got["coverage"] == 1.0
    # density: each point lies in its own ball plus the balls of the reals that count it among their 5 NN.
    radii = kth_neighbour_radii(x, 5)
    d = pairwise_distances(x, x)
    assert got["density"] == pytest.approx((d <= radii[:, None]).sum() / (5 * 50))


def test_kth_neighbour_radii_match_scikit_learn():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((80, 10))
    for k in (3, 5):
        dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
        np.testing.assert_allclose(kth_neighbour_radii(x, k), dist[:, k], rtol=1e-9)


def test_prdc_needs_more_vectors_than_k():
    with pytest.raises(ValueError, match="k must be"):
        prdc(REAL[:3], REAL[:3])
