"""t-SNE maps of raw patch pixels: coordinates with labels, timing, and the PNG plot."""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from trainers.metrics import plot_tsne, tsne_map
from trainers.metrics.tsne import ALPHA, PALETTE


@pytest.fixture(scope="module")
def groups():
    rng = np.random.default_rng(0)
    # Three populations of 8x8 patches with clearly different grey levels.
    return {name: np.clip(rng.normal(level, 12, (15, 8, 8)), 0, 255).astype(np.uint8)
            for name, level in (("real", 40), ("generated", 128), ("tissue", 215))}


@pytest.fixture(scope="module")
def table(groups):
    # scikit-learn spends the first 250 iterations in early exaggeration.
    return tsne_map(groups, perplexity=5, max_iter=500, seed=0)


def test_map_has_one_labelled_row_per_patch_and_reports_its_time(table):
    assert list(table.columns) == ["x", "y", "label"]
    assert list(table["label"]) == ["real"] * 15 + ["generated"] * 15 + ["tissue"] * 15
    assert table.attrs["seconds"] > 0 and table.attrs["perplexity"] == 5 and table.attrs["pca"] is None
    assert np.isfinite(table[["x", "y"]].to_numpy()).all()


def test_separated_populations_stay_apart_in_the_map(table):
    xy = table[["x", "y"]].to_numpy()
    d = np.linalg.norm(xy[:, None] - xy[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nearest = table["label"].to_numpy()[d.argmin(1)]
    assert (nearest == table["label"].to_numpy()).mean() == 1.0


def test_same_seed_same_map_and_pca_option_is_recorded(groups, table):
    again = tsne_map(groups, perplexity=5, max_iter=500, seed=0)
    np.testing.assert_allclose(again[["x", "y"]].to_numpy(), table[["x", "y"]].to_numpy())
    reduced = tsne_map(groups, perplexity=5, max_iter=250, pca=10, seed=0)
    assert reduced.attrs["pca"] == 10 and len(reduced) == 45


def test_bad_inputs_are_named(groups):
    with pytest.raises(ValueError, match="perplexity"):
        tsne_map(groups, perplexity=45)
    with pytest.raises(ValueError, match="patch size"):
        tsne_map({"a": groups["real"], "b": np.zeros((5, 4, 4), np.uint8)}, perplexity=2)
    with pytest.raises(ValueError, match="uint8"):
        tsne_map({"a": groups["real"].astype(float)}, perplexity=2)


def _colours_present(path, alpha=1.0):
    img = np.asarray(Image.open(path).convert("RGB")).astype(float)
    on_white = {c: alpha * np.array(c) + (1 - alpha) * 255 for c in PALETTE[:3]}
    return {c for c, seen in on_white.items() if (np.abs(img - seen).sum(-1) < 12).any()}


def test_plot_with_matplotlib_shows_every_group(tmp_path, table):
    pytest.importorskip("matplotlib")
    path = plot_tsne(table, tmp_path / "tsne.png", size=300)
    assert Image.open(path).size == (300, 300)
    assert _colours_present(path, ALPHA) == set(PALETTE[:3])


def test_papers_settings_are_the_one_default_and_fast_mode_says_it_is_not():
    import inspect as _inspect

    from trainers.jobs.evaluate import tsne_job
    from trainers.metrics.tsne import TSNE_PRESETS, tsne_settings

    params = _inspect.signature(tsne_map).parameters
    paper = TSNE_PRESETS["paper"]
    assert (paper["perplexity"], paper["max_iter"], paper["pca"]) == (250.0, 4000, None)  # spec 3.4
    assert {k: params[k].default for k in ("perplexity", "max_iter", "pca")} == {
        k: paper[k] for k in ("perplexity", "max_iter", "pca")}
    assert _inspect.signature(tsne_job).parameters["preset"].default == "paper"
    assert "not the paper" in tsne_settings("fast")["label"].lower()
    assert "with perplexity 40" in tsne_settings("paper", perplexity=40)["label"]


def test_a_perplexity_too_large_for_the_patches_is_lowered_and_the_result_says_so(tmp_path):
    from mammostudio.core.images import write_png
    from mammostudio.core.progress import drive
    from trainers.jobs.evaluate import tsne_job

    rng = np.random.default_rng(0)
    for kind, mean in (("lesion", 160), ("tissue", 90)):
        for i in range(10):
            write_png(tmp_path / kind / f"{i}.png", np.clip(rng.normal(mean, 20, (16, 16)), 0, 255).astype(np.uint8))
    messages = []
    res = drive(tsne_job(tmp_path, n=10, max_iter=250), lambda p: messages.append(p.message))
    attrs = res["attrs"]
    assert attrs["perplexity_requested"] == 250.0 and attrs["perplexity"] < 7
    assert "lowered from 250" in attrs["note"] and any("lowered from 250" in m for m in messages)
