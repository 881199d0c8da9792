"""Generating images from checkpoints, and the train-gan / generate commands."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mammostudio.cli import main
from mammostudio.core.images import read_png, write_png
from trainers.dcgan import CheckpointError, GANConfig, GANTrainer, Generator, generate_images, load_generator


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A finished one-epoch tiny run."""
    rng = np.random.default_rng(1)
    patches = rng.integers(0, 256, (16, 16, 16), dtype=np.uint8)
    trainer = GANTrainer(GANConfig.tiny(epochs=1), patches, tmp_path_factory.mktemp("gan") / "run")
    trainer.fit()
    return trainer


def test_generate_writes_pngs_and_a_manifest_matching_the_trainers_samples(run, tmp_path):
    ckpt = run.run_dir / "checkpoints" / "last.pt"
    manifest_path = generate_images(ckpt, tmp_path / "out", 5, seed=3)
    manifest = json.loads(manifest_path.read_text())
    assert manifest["checkpoint"] == str(ckpt.resolve())
    assert (manifest["seed"], manifest["count"]) == (3, 5)
    images = np.stack([read_png(tmp_path / "out" / f) for f in manifest["files"]])
    assert images.shape == (5, 16, 16) and images.dtype == np.uint8
    assert np.array_equal(images, run.sample(5, seed=3))
    generate_images(ckpt, tmp_path / "again", 5, seed=3)
    again = np.stack([read_png(tmp_path / "again" / f) for f in manifest["files"]])
    assert np.array_equal(images, again)


def test_generate_accepts_a_bare_released_format_state_dict(tmp_path):
    gen = Generator(32, 8, 4)
    torch.nn.init.normal_(gen.model[0].weight, 0, 0.5)
    path = tmp_path / "released.pth"
    torch.save(gen.state_dict(), path, _use_new_zipfile_serialization=False)
    generate_images(path, tmp_path / "out", 3, seed=0)
    loaded = load_generator(path)
    z = torch.randn(3, 8, 1, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ((gen.eval()(z) / 2 + 0.5) * 255).round().clamp(0, 255).to(torch.uint8)[:, 0].numpy()
    got = np.stack([read_png(tmp_path / "out" / f"{i:05d}.png") for i in range(3)])
    assert np.array_equal(got, expected)
    assert loaded.image_size == 32


class NotWeights:
    pass


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "pickled object", "missing"])
def test_damaged_checkpoints_give_a_clear_error_naming_the_file(run, tmp_path, damage):
    good = (run.run_dir / "checkpoints" / "last.pt").read_bytes()
    path = tmp_path / "bad.pt"
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "pickled object":
        torch.save({"x": NotWeights()}, path)
    with pytest.raises(CheckpointError, match="bad.pt"):
        load_generator(path)


def test_generate_command_reports_bad_checkpoints_without_a_traceback(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    assert main(["generate", str(tmp_path / "bad.pt"), str(tmp_path / "out"), "--n", "2"]) == 2
    err = capsys.readouterr().err
    assert "bad.pt" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "manifest.json").exists()


def _png_folder(folder, n=12, size=16):
    rng = np.random.default_rng(2)
    for i in range(n):
        write_png(folder / f"p{i:02d}.png", rng.integers(0, 256, (size, size), dtype=np.uint8))
    return folder


def test_train_gan_command_trains_resumes_and_generates(tmp_path, capsys):
    pngs = _png_folder(tmp_path / "pngs")
    out = tmp_path / "run"
    args = ["train-gan", str(pngs), str(out), "--preset", "tiny", "--epochs", "1", "--quiet"]
    assert main(args) == 0
    assert (out / "checkpoints" / "last.pt").is_file()
    assert main(["train-gan", "--resume", str(out), "--epochs", "2", "--quiet"]) == 0
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 3  # header + 2 epochs
    # the CLI drives the GUI's job, so its run folder says what it is like a GUI run's
    status = json.loads((out / "status.json").read_text())
    assert (status["kind"], status["status"], status["epochs_done"]) == ("gan", "finished", 2)
    assert main(["generate", str(out / "checkpoints" / "last.pt"), str(tmp_path / "gen"), "--n", "4",
                 "--seed", "9"]) == 0
    manifest = json.loads((tmp_path / "gen" / "manifest.json").read_text())
    assert (manifest["count"], manifest["seed"], len(manifest["files"])) == (4, 9, 4)


def test_train_gan_command_refuses_empty_and_unreadable_patch_folders(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["train-gan", str(tmp_path / "empty"), str(tmp_path / "r1"), "--preset", "tiny", "--quiet"]) == 2
    assert "no lesion patches" in capsys.readouterr().err
    bad = _png_folder(tmp_path / "bad", n=3)
    (bad / "broken.png").write_bytes(b"this is not a png")
    assert main(["train-gan", str(bad), str(tmp_path / "r2"), "--preset", "tiny", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "broken.png" in err and "Traceback" not in err
    assert not (tmp_path / "r2").exists()


def test_train_gan_command_names_a_config_file_with_an_unknown_setting(tmp_path, capsys):
    pngs = _png_folder(tmp_path / "pngs", n=4)
    cfg = tmp_path / "gan.json"
    cfg.write_text(json.dumps({"image_size": 16, "epochz": 3}))
    assert main(["train-gan", str(pngs), str(tmp_path / "run"), "--config", str(cfg), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "gan.json" in err and "epochz" in err
