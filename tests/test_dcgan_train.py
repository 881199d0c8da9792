"""Training a 16-pixel DCGAN on the CPU: steps, run folder, callbacks, stop, exact resume, guards."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
import torch

from mammostudio.core.images import read_png
from mammostudio.core.progress import StopToken
from trainers.dcgan import Callback, DivergenceError, GANConfig, GANTrainer
from trainers.dcgan.checkpoint import load_state


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    """20 blobby 16x16 'lesions': bright discs of random size on a dark noisy background."""
    rng = np.random.default_rng(0)
    rr, cc = np.mgrid[:16, :16]
    out = []
    for _ in range(20):
        r0, c0, rad = rng.uniform(5, 11), rng.uniform(5, 11), rng.uniform(2, 5)
        disc = ((rr - r0) ** 2 + (cc - c0) ** 2 < rad ** 2) * 150
        out.append(np.clip(40 + disc + rng.normal(0, 10, (16, 16)), 0, 255).astype(np.uint8))
    return np.stack(out)


def weights(trainer: GANTrainer) -> dict[str, torch.Tensor]:
    return {**{f"G.{k}": v.clone() for k, v in trainer.G.state_dict().items()},
            **{f"D.{k}": v.clone() for k, v in trainer.D.state_dict().items()}}


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_two_steps_update_both_networks_and_fill_the_run_folder(tmp_path, patches):
    cfg = GANConfig.tiny(epochs=1, batch_size=10)
    trainer = GANTrainer(cfg, patches, tmp_path / "run")
    before = weights(trainer)
    result = trainer.fit()
    assert result["status"] == "finished" and result["step"] == 2 and trainer.epoch == 1
    after = weights(trainer)
    assert not torch.equal(before["G.model.0.weight"], after["G.model.0.weight"])
    assert not torch.equal(before["D.main.0.weight"], after["D.main.0.weight"])
    run = tmp_path / "run"
    assert GANConfig.from_json(run / "config.json") == cfg
    rows = list(csv.DictReader(open(run / "metrics.csv")))
    assert len(rows) == 1
    row = {k: float(v) for k, v in rows[0].items()}
    assert row["epoch"] == 1 and row["step"] == 2
    assert 0.7 <= row["real_label"] <= 1.0
    assert 0 < row["d_x"] < 1 and 0 < row["d_g_z1"] < 1 and 0 < row["d_g_z2"] < 1
    assert row["lr_g"] == 4e-4 and row["lr_d"] == 2e-4 and row["images_per_s"] > 0
    # 16 fixed-noise samples of 16x16 in a 4x4 grid with 2-pixel gaps
    grid = read_png(run / "samples" / "epoch_00001.png")
    assert grid.shape == (2 + 4 * 18, 2 + 4 * 18) and grid.dtype == np.uint8
    state = load_state(run / "checkpoints" / "last.pt")
    assert state["epoch"] == 1 and state["step"] == 2


def test_learning_rates_decay_by_their_own_schedules(tmp_path, patches):
    cfg = GANConfig.tiny(epochs=4, batch_size=20, decay_every_g=2, decay_every_d=3, decay_gamma=0.5)
    GANTrainer(cfg, patches, tmp_path / "run").fit()
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert [float(r["lr_g"]) for r in rows] == [4e-4, 4e-4, 2e-4, 2e-4]
    assert [float(r["lr_d"]) for r in rows] == [2e-4, 2e-4, 2e-4, 1e-4]


class Recorder(Callback):
    """Adds a metric, saves 'best' and records what the hooks received."""

    def __init__(self):
        self.calls, self.grids, self.steps, self.saved = [], [], [], []

    def on_train_start(self, trainer):
        self.calls.append("start")

    def on_step_end(self, trainer, step, metrics):
        assert all(isinstance(v, float) for v in metrics.values())
        self.steps.append(step)

    def on_epoch_end(self, trainer, epoch, metrics):
        images = trainer.sample(6)
        assert images.shape == (6, 16, 16) and images.dtype == np.uint8
        metrics["fid"] = float(epoch) * 10
        trainer.save_checkpoint("best")

    def on_sample(self, trainer, epoch, grid):
        self.grids.append((epoch, grid.dtype, grid.ndim))

    def on_checkpoint(self, trainer, name, path):
        assert path.is_file()
        self.saved.append(name)

    def on_train_end(self, trainer, summary):
        self.calls.append(summary["status"])


def test_callbacks_get_plain_values_and_can_add_metrics_and_checkpoints(tmp_path, patches):
    rec = Recorder()
    GANTrainer(GANConfig.tiny(epochs=2), patches, tmp_path / "run", [rec]).fit()
    assert rec.calls == ["start", "finished"]
    assert rec.steps == [1, 2, 3, 4, 5, 6]  # 20 patches / batch 8 -> 3 steps per epoch
    assert rec.grids == [(1, np.uint8, 2), (2, np.uint8, 2)]
    assert rec.saved == ["best", "last", "best", "last"]
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert [float(r["fid"]) for r in rows] == [10.0, 20.0]


def test_sampling_with_a_seed_is_reproducible_and_leaves_training_alone(tmp_path, patches):
    trainer = GANTrainer(GANConfig.tiny(), patches, tmp_path / "run")
    a, b = trainer.sample(5, seed=3), trainer.sample(5, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, trainer.sample(5, seed=4))
    assert trainer.G.training


def test_resume_from_the_last_epoch_checkpoint_is_bitwise_exact(tmp_path, patches):
    straight = GANTrainer(GANConfig.tiny(epochs=4), patches, tmp_path / "a")
    straight.fit()
    half = GANTrainer(GANConfig.tiny(epochs=2), patches, tmp_path / "b")
    half.fit()
    resumed = GANTrainer.resume(tmp_path / "b", epochs=4)
    assert resumed.epoch == 2
    resumed.fit()
    assert_same(weights(straight), weights(resumed))
    assert_same(weights(straight), weights(resumed))
    rows_a = list(csv.DictReader(open(tmp_path / "a" / "metrics.csv")))
    rows_b = list(csv.DictReader(open(tmp_path / "b" / "metrics.csv")))
    for ra, rb in zip(rows_a, rows_b, strict=True):
        for key in ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "real_label", "lr_g", "lr_d"):
            assert ra[key] == rb[key], key


class StopAt(Callback):
    def __init__(self, token, step):
        self.token, self.step = token, step

    def on_step_end(self, trainer, step, metrics):
        if step == self.step:
            self.token.request()


def test_a_stop_between_steps_saves_state_and_resume_continues_exactly(tmp_path, patches):
    straight = GANTrainer(GANConfig.tiny(epochs=3), patches, tmp_path / "a")
    straight.fit()
    token = StopToken()
    first = GANTrainer(GANConfig.tiny(epochs=3), patches, tmp_path / "b", [StopAt(token, 4)])
    result = first.fit(token)
    assert result["status"] == "stopped" and result["step"] == 4 and first.epoch == 1
    resumed = GANTrainer.resume(tmp_path / "b")
    assert resumed.step == 4
    assert resumed.fit()["status"] == "finished"
    assert_same(weights(straight), weights(resumed))
    assert torch.equal(straight.fixed_noise, resumed.fixed_noise)


class Poison(Callback):
    def on_step_end(self, trainer, step, metrics):
        if step == 4:
            with torch.no_grad():
                trainer.G.model[0].weight.fill_(float("nan"))


def test_a_nan_loss_stops_training_and_keeps_the_last_good_checkpoint(tmp_path, patches):
    trainer = GANTrainer(GANConfig.tiny(epochs=3), patches, tmp_path / "run", [Poison()])
    with pytest.raises(DivergenceError, match=r"diverged at epoch 2.*last good checkpoint kept"):
        trainer.fit()
    state = load_state(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in state["generator"].values() if v.is_floating_point())


def test_a_discriminator_that_rejects_every_fake_is_reported_as_collapse(tmp_path, patches):
    # threshold 1.0: mean D(G(z)) is always below it, so the warning must fire after 2 epochs
    cfg = GANConfig.tiny(epochs=3, collapse_threshold=1.0, collapse_epochs=2)
    result = GANTrainer(cfg, patches, tmp_path / "run").fit()
    rows = list(csv.DictReader(open(tmp_path / "run" / "metrics.csv")))
    assert [float(r["collapse"]) for r in rows] == [0.0, 1.0, 1.0]
    assert len(result["warnings"]) == 2 and "collapse" in result["warnings"][0]


def test_patches_of_another_size_are_resized_once(tmp_path, patches):
    big = np.repeat(np.repeat(patches, 2, axis=1), 2, axis=2)  # 32x32
    trainer = GANTrainer(GANConfig.tiny(epochs=1), big, tmp_path / "run")
    assert tuple(trainer.data.shape) == (20, 1, 16, 16)
    # by the project's one resize, the same the patch dataset and the quiz screening use
    from mammostudio.core.imageops import resize_stack

    assert np.array_equal(trainer.data[:, 0].numpy(), resize_stack(big, 16))


def test_bad_inputs_are_refused_before_anything_is_written(tmp_path, patches):
    with pytest.raises(ValueError, match="patches"):
        GANTrainer(GANConfig.tiny(), patches.astype(np.float32), tmp_path / "x")
    with pytest.raises(ValueError, match="patches"):
        GANTrainer(GANConfig.tiny(), np.zeros((0, 16, 16), np.uint8), tmp_path / "x")
    GANTrainer(GANConfig.tiny(epochs=1), patches, tmp_path / "run").fit()
    with pytest.raises(ValueError, match="already holds a run"):
        GANTrainer(GANConfig.tiny(), patches, tmp_path / "run")


def _variants(img: np.ndarray) -> list[np.ndarray]:
    return [img, img[:, ::-1], img[::-1, :], img[::-1, ::-1]]


@pytest.mark.parametrize("jitter", [0.0, 5.0])
def test_augmentation_only_flips_and_shifts_intensities_within_the_jitter(tmp_path, patches, jitter):
    trainer = GANTrainer(GANConfig.tiny(jitter=jitter, batch_size=20), patches, tmp_path / "run")
    trainer._begin_epoch()
    seen = set()
    for _ in range(5):
        idx = trainer._batch_indices(0)
        batch = ((trainer._batch(idx)[:, 0] + 1) * 127.5).numpy()
        for src, out in zip(patches[idx.numpy()], batch):
            # brightness moves every pixel by <= jitter; contrast a pixel by <= jitter * |x - mean| / 127.5
            errors = [np.abs(out - v.astype(float)).max() for v in _variants(src)]
            best = int(np.argmin(errors))
            assert errors[best] <= (3 * jitter if jitter else 1e-3)
            seen.add(best)
    assert seen == {0, 1, 2, 3}


def test_training_works_in_both_memory_layouts(tmp_path, patches):
    a = GANTrainer(GANConfig.tiny(epochs=1, channels_last=False), patches, tmp_path / "a")
    b = GANTrainer(GANConfig.tiny(epochs=1, channels_last=True), patches, tmp_path / "b")
    a.fit(), b.fit()
    wa, wb = weights(a), weights(b)
    for k in wa:  # same maths, different kernels: equal up to float rounding
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-3, atol=1e-4)


def test_a_failed_checkpoint_write_leaves_the_previous_one_intact(tmp_path, patches, monkeypatch):
    trainer = GANTrainer(GANConfig.tiny(epochs=1), patches, tmp_path / "run")
    trainer.fit()
    last = tmp_path / "run" / "checkpoints" / "last.pt"
    before = last.read_bytes()

    def disk_full(obj, fh, *args, **kwargs):
        fh.write(b"half a checkpoint")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("trainers.dcgan.checkpoint.torch.save", disk_full)
    with pytest.raises(OSError, match="No space"):
        trainer.save_checkpoint("last")
    assert last.read_bytes() == before
    assert [p.name for p in last.parent.iterdir()] == ["last.pt"]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_two_steps_on_cuda_with_bf16_and_channels_last(tmp_path, patches):
    cfg = GANConfig.tiny(epochs=1, batch_size=10, device="cuda", bf16=True, channels_last=True)
    trainer = GANTrainer(cfg, patches, tmp_path / "run")
    result = trainer.fit()
    assert result["step"] == 2 and math.isfinite(result["final"]["loss_g"])
    assert trainer.sample(3).dtype == np.uint8


def test_last_checkpoint_every_n_epochs_and_always_at_the_end(tmp_path, patches):
    epochs = []

    class Saved(Callback):
        def on_checkpoint(self, trainer, name, path):
            epochs.append((name, trainer.epoch))

    GANTrainer(GANConfig.tiny(epochs=5, checkpoint_every=2), patches, tmp_path / "run", [Saved()]).fit()
    assert epochs == [("last", 2), ("last", 4), ("last", 5)]
