"""The trainer jobs the GUI and CLI drive: event logs that lose no point, stop, pause,
resume, status files, classifier test metrics against scikit-learn, generation, t-SNE."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from mammostudio.core.images import read_png, write_png  # noqa: E402
from mammostudio.core.progress import drive  # noqa: E402
from trainers.classifier import ClassifierConfig  # noqa: E402
from trainers.dcgan import GANConfig  # noqa: E402
from trainers.jobs import (RunControl, classifier_job, gan_training_job, generate_job, list_runs,  # noqa: E402
                           read_run, tsne_job)


def make_patch_folder(root, *, n_lesion=24, n_tissue=48, size=16, seed=0):
    """lesion/ (a bright blob) and tissue/ (texture) PNGs: a classifier can tell them apart."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:size, :size]
    for kind, n in (("lesion", n_lesion), ("tissue", n_tissue)):
        for i in range(n):
            img = rng.normal(90, 20, (size, size))
            if kind == "lesion":
                r0, c0 = rng.uniform(size * 0.3, size * 0.7, 2)
                img += 120 * np.exp(-((rr - r0) ** 2 + (cc - c0) ** 2) / (2 * (size / 6) ** 2))
            write_png(root / kind / f"{kind}{i:03d}.png", np.clip(img, 0, 255).astype(np.uint8))
    return root


@pytest.fixture()
def patches(tmp_path):
    return make_patch_folder(tmp_path / "patches")


def _events(items):
    last = items[-1].data
    return last["events"][: last["count"]]


def test_gan_job_logs_every_step_and_epoch_and_a_sample_grid(patches, tmp_path):
    items = []
    result = drive(gan_training_job(patches, tmp_path / "run", GANConfig.tiny(epochs=2), poll_s=0.02), items.append)
    events = _events(items)
    kinds = [e["kind"] for e in events]
    steps = [e for e in events if e["kind"] == "step"]
    assert result["status"] == "finished" and kinds[0] == "start"
    assert len(steps) == 2 * 3  # 24 patches / batch 8 = 3 steps per epoch, logged every step
    assert [e["epoch"] for e in events if e["kind"] == "epoch"] == [1.0, 2.0]
    assert items[-1].data["grid"].dtype == np.uint8 and items[-1].data["grid_epoch"] == 2
    assert items[-1].data["real_grid"].shape == items[-1].data["grid"].shape  # 16 real vs 16 generated tiles
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["status"] == "finished" and status["kind"] == "gan" and status["pid"] is None


def test_closing_the_gan_job_stops_it_and_keeps_a_resumable_checkpoint(patches, tmp_path):
    run = tmp_path / "run"
    job = gan_training_job(patches, run, GANConfig.tiny(epochs=50), poll_s=0.02)
    for item in job:
        if item.done >= 1:
            break
    job.close()
    info = read_run(run)
    assert info["status"] == "stopped" and 1 <= info["epochs"] < 50
    assert (run / "checkpoints" / "last.pt").is_file()
    result = drive(gan_training_job(None, run, resume=True, changes={"epochs": info["epochs"] + 1}, poll_s=0.02))
    assert result["status"] == "finished" and result["epoch"] == info["epochs"] + 1
    assert read_run(run)["status"] == "finished"


def test_pause_holds_the_run_between_epochs_until_resumed(patches, tmp_path):
    control = RunControl()
    control.pause()
    job = gan_training_job(patches, tmp_path / "run", GANConfig.tiny(epochs=3), control=control, poll_s=0.02)
    seen = []
    for item in job:
        seen.append(item)
        if sum(e["kind"] == "paused" for e in _events(seen)) and len(seen) > 20:
            break
    # held after epoch 1's callbacks, before its checkpoint: no second epoch meanwhile
    assert seen[-1].done == 1 and seen[-1].data["state"] == "paused"
    assert [e["kind"] for e in _events(seen)].count("epoch") == 1
    threading.Timer(0.05, control.resume).start()
    after = list(job)
    assert after[-1].data["state"] == "finished" and after[-1].done == 3


def test_a_crash_left_running_reads_as_crashed(patches, tmp_path):
    run = tmp_path / "run"
    drive(gan_training_job(patches, run, GANConfig.tiny(epochs=1), poll_s=0.02))
    status = json.loads((run / "status.json").read_text())
    (run / "status.json").write_text(json.dumps({**status, "status": "running", "pid": 2**22 + 12345}))
    assert read_run(run)["status"] == "crashed"
    rows = list_runs(tmp_path)
    assert [r["name"] for r in rows] == ["run"] and rows[0]["epochs"] == 1


def test_classifier_job_scores_the_test_set_like_scikit_learn(patches, tmp_path):
    from sklearn.metrics import auc

    items = []
    out = drive(classifier_job(patches, tmp_path / "clf", ClassifierConfig.tiny(epochs=3)), items.append)
    epochs = [e for e in _events(items) if e["kind"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    test = out["test"]
    (tn, fp), (fn, tp) = test["confusion"]
    assert tn + fp == out["counts"]["test"]["tissue"] and fn + tp == out["counts"]["test"]["lesion"]
    fpr, tpr = np.array(test["roc"]["fpr"]), np.array(test["roc"]["tpr"])
    assert test["auc"] == pytest.approx(auc(fpr, tpr))  # the ROC curve shown is the one scored
    assert test["auc"] > 0.5  # a bright blob is easy to tell from texture
    assert read_run(tmp_path / "clf")["kind"] == "classifier" and (tmp_path / "clf" / "model.pt").is_file()


def test_a_corrupt_patch_folder_fails_with_the_file_named(tmp_path):
    bad = make_patch_folder(tmp_path / "bad", n_lesion=4, n_tissue=4)
    (bad / "lesion" / "lesion001.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="lesion001.png"):
        drive(gan_training_job(bad, tmp_path / "run", GANConfig.tiny()))


def test_generate_job_writes_images_and_tsne_labels_every_patch(patches, tmp_path):
    run = tmp_path / "run"
    drive(gan_training_job(patches, run, GANConfig.tiny(epochs=1), poll_s=0.02))
    out = drive(generate_job(run / "checkpoints" / "last.pt", tmp_path / "gen", 12, seed=1))
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 12 and read_png(pngs[0]).shape == (16, 16)
    res = drive(tsne_job(patches, out, n=20, max_iter=250, pca=10))
    assert sorted(set(res["label"])) == ["generated", "real", "tissue"]
    assert len(res["x"]) == len(res["patches"]) == 20 + 12 + 20


def test_a_patch_dataset_of_stores_is_accepted_where_generated_images_go(patches, tmp_path):
    # Real-vs-real t-SNE (or FID) takes an extracted patch dataset on the generated side: it has no PNG,
    # so the image size comes from its first lesion patch.
    import pandas as pd

    from mammostudio.core.patches.store import write_store

    rows, items = [], []
    for i, png in enumerate(sorted((patches / "lesion").glob("*.png"))[:10]):
        items.append((f"img_lesion{i:02d}", read_png(png)))
        rows.append({"patch_id": f"img_lesion{i:02d}", "kind": "lesion", "file": "patches/img.npz",
                     "image_id": "img", "height": 16, "width": 16})
    write_store(tmp_path / "stores" / "patches" / "img.npz", items)
    pd.DataFrame(rows).to_csv(tmp_path / "stores" / "index.csv", index=False)
    res = drive(tsne_job(patches, tmp_path / "stores", n=10, max_iter=250, pca=5, tissue=False))
    assert res["label"].count("generated") == 10 and res["patches"].shape[1:] == (16, 16)
