"""Real statistics: computed once, cached atomically beside the data, keyed by what changes them."""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.core.progress import drive
from trainers.metrics import extract_features, frechet_distance_features, real_reference, statistics
from trainers.metrics.features import tiny_backbone
from trainers.metrics.stats_cache import select_subset


@pytest.fixture()
def patches():
    return np.random.default_rng(0).integers(0, 256, (30, 24, 24), dtype=np.uint8)


class CountingNet:
    """Wraps a backbone's network and counts the images it embeds."""

    def __init__(self, net):
        self.net, self.seen = net, 0

    def __call__(self, x):
        self.seen += len(x)
        return self.net(x)


def test_reference_is_cached_once_and_reused_without_the_network(tmp_path, patches):
    bb = tiny_backbone()
    counter = CountingNet(bb.net)
    bb.net = counter
    first = drive(real_reference(patches, bb, n=20, cache_dir=tmp_path))
    assert counter.seen == 20 and first.path.parent == tmp_path / "fid_stats"
    assert first.path.name.startswith(f"{bb.key}-n20-") and first.path.suffix == ".npz"
    again = drive(real_reference(patches, bb, n=20, cache_dir=tmp_path))
    assert counter.seen == 20  # nothing embedded the second time
    np.testing.assert_array_equal(again.features, first.features)
    np.testing.assert_array_equal(again.stats.sigma, first.stats.sigma)
    assert again.floor == first.floor and again.n == 20
    assert not list((tmp_path / "fid_stats").glob(".*part*"))  # no temporary left behind


def test_reference_statistics_are_those_of_the_chosen_subset(tmp_path, patches):
    bb = tiny_backbone()
    ref = drive(real_reference(patches, bb, n=20, seed=3))
    chosen = patches[select_subset(30, 20, seed=3)]
    feats = extract_features(chosen, bb)
    np.testing.assert_allclose(ref.stats.mu, statistics(feats).mu, rtol=1e-6)
    np.testing.assert_allclose(ref.stats.sigma, statistics(feats).sigma, rtol=1e-5, atol=1e-9)
    assert ref.path is None  # no cache folder, no file


def test_other_n_pixels_or_backbone_get_their_own_file(tmp_path, patches):
    paths = {
        drive(real_reference(patches, tiny_backbone(), n=20, cache_dir=tmp_path)).path,
        drive(real_reference(patches, tiny_backbone(), n=10, cache_dir=tmp_path)).path,
        drive(real_reference(patches[::-1], tiny_backbone(), n=None, cache_dir=tmp_path)).path,
        drive(real_reference(patches, tiny_backbone(seed=1), n=20, cache_dir=tmp_path)).path,
    }
    assert len(paths) == 4


def test_corrupt_cache_is_recomputed_with_a_warning(tmp_path, patches):
    ref = drive(real_reference(patches, tiny_backbone(), n=20, cache_dir=tmp_path))
    ref.path.write_bytes(b"not an npz")
    with pytest.warns(UserWarning, match="unreadable statistics cache"):
        again = drive(real_reference(patches, tiny_backbone(), n=20, cache_dir=tmp_path))
    np.testing.assert_array_equal(again.features, ref.features)


def test_floor_is_the_distance_between_two_halves(patches):
    ref = drive(real_reference(patches, tiny_backbone(), n=None))
    assert ref.n == 30 and ref.floor > 0
    assert ref.floor < frechet_distance_features(ref.features, ref.features + 1.0)
