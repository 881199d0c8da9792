"""The Fréchet distance: exact float64 trace term against scipy and closed forms."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from trainers.metrics.fid import (GaussianStats, frechet_distance, frechet_distance_features, real_floor,
                                  statistics, trace_sqrt_product)


def scipy_fid(mu1, s1, mu2, s2) -> float:
    """The textbook formula with scipy's general matrix square root (the outside reference)."""
    root = scipy.linalg.sqrtm(s1 @ s2)
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(root).real)


def gaussian_sets(rng, d=48, n1=400, n2=300):
    a = rng.standard_normal((n1, d)) @ rng.standard_normal((d, d)) * 0.5
    b = rng.standard_normal((n2, d)) @ rng.standard_normal((d, d)) * 0.4 + rng.normal(0, 0.7, d)
    return a, b


def test_covariance_route_matches_scipy_sqrtm_formula_within_1e6():
    rng = np.random.default_rng(0)
    for _ in range(3):
        a, b = gaussian_sets(rng)
        s1, s2 = statistics(a), statistics(b)
        ref = scipy_fid(s1.mu, s1.sigma, s2.mu, s2.sigma)
        assert abs(frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma) - ref) / ref < 1e-6
        assert abs(frechet_distance(s1, s2) - ref) / ref < 1e-6


def test_feature_route_matches_scipy_formula_within_1e6():
    rng = np.random.default_rng(1)
    a, b = gaussian_sets(rng, d=64, n1=40, n2=30)  # N * M < d^2: singular-value route
    ref = scipy_fid(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert abs(frechet_distance_features(a, b) - ref) / ref < 1e-6
    a, b = gaussian_sets(rng, d=8, n1=40, n2=30)  # N * M >= d^2: covariance route
    ref = scipy_fid(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    assert abs(frechet_distance_features(a, b) - ref) / ref < 1e-6


def test_rank_deficient_covariances_agree_between_routes():
    rng = np.random.default_rng(2)
    a, b = gaussian_sets(rng, d=128, n1=50, n2=60)  # both covariances singular
    via_features = frechet_distance_features(a, b)
    via_covariances = frechet_distance(statistics(a), statistics(b))
    assert via_covariances == pytest.approx(via_features, rel=1e-7)


def test_identical_sets_give_zero():
    rng = np.random.default_rng(3)
    a, _ = gaussian_sets(rng)
    s = statistics(a)
    scale = np.trace(s.sigma)
    assert frechet_distance(s, statistics(a.copy())) <= 1e-9 * scale
    assert frechet_distance_features(a, a.copy()) <= 1e-9 * scale
    assert frechet_distance_features(a[:20], a[:20].copy()) <= 1e-9 * scale


def test_pure_mean_shift_gives_squared_shift():
    rng = np.random.default_rng(4)
    a, _ = gaussian_sets(rng)
    shift = rng.normal(0, 2, a.shape[1])
    expected = float(shift @ shift)
    assert frechet_distance_features(a, a + shift) == pytest.approx(expected, rel=1e-8)
    s = statistics(a)
    assert frechet_distance(s.mu, s.sigma, s.mu + shift, s.sigma) == pytest.approx(expected, rel=1e-8)


def test_diagonal_gaussians_match_closed_form():
    # For commuting (diagonal) covariances Tr((S1 S2)^1/2) = sum sqrt(s1_i s2_i).
    v1, v2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 2.0])
    expected = 9.0 + (v1.sum() + v2.sum() - 2 * np.sqrt(v1 * v2).sum())
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, rel=1e-12)
    assert trace_sqrt_product(np.diag(v1), np.diag(v2)) == pytest.approx(np.sqrt(v1 * v2).sum(), rel=1e-12)


def test_statistics_are_float64_with_unbiased_covariance():
    rng = np.random.default_rng(5)
    f = rng.standard_normal((30, 6)).astype(np.float32)
    s = statistics(f)
    assert s.mu.dtype == np.float64 and s.sigma.dtype == np.float64 and s.n == 30
    np.testing.assert_allclose(s.sigma, np.cov(f.astype(np.float64), rowvar=False), rtol=1e-12)


def test_cached_square_root_squares_back_to_sigma():
    rng = np.random.default_rng(6)
    s = statistics(rng.standard_normal((100, 10)))
    assert isinstance(s, GaussianStats)
    np.testing.assert_allclose(s.sqrt_sigma @ s.sqrt_sigma, s.sigma, atol=1e-12)


def test_real_floor_is_small_for_one_population_and_seeded():
    rng = np.random.default_rng(7)
    a, b = gaussian_sets(rng, n1=400, n2=400)
    floor = real_floor(a, rng=np.random.default_rng(0))
    assert floor == real_floor(a, rng=np.random.default_rng(0))
    assert 0 < floor < frechet_distance_features(a[:200], b[:200])


@pytest.mark.parametrize("args, message", [
    ((np.zeros(3), np.eye(3), np.zeros(4), np.eye(4)), "mu2"),
    ((np.zeros(3), np.eye(2), np.zeros(3), np.eye(3)), "sigma1"),
])
def test_mismatched_shapes_are_rejected_by_name(args, message):
    with pytest.raises(ValueError, match=message):
        frechet_distance(*args)


def test_features_need_two_vectors_and_finite_values():
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance_features(np.zeros((1, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="NaN"):
        statistics(np.array([[0.0, np.nan], [1.0, 2.0]]))
