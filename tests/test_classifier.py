import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from mammostudio.core.progress import drive
from trainers.classifier import (ClassifierConfig, LesionClassifier, binary_metrics, predict_scores,
                                 train_classifier)
from trainers.classifier.train import random_flips
from trainers.dcgan.models import count_parameters


def test_classifier_has_the_papers_parameter_count():
    # Widths 9, 18, 36, 72, 90 -> 1 at 128 pixels (spec 3.2).
    assert count_parameters(LesionClassifier(128, 9)) == 357_768


def test_binary_metrics_match_a_hand_count():
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 0])
    scores = np.array([0.9, 0.6, 0.2, 0.7, 0.1, 0.3, 0.05, 0.4])
    m = binary_metrics(labels, scores)
    # tp=2 (0.9, 0.6), fn=1 (0.2), fp=1 (0.7), tn=4
    assert m["confusion"] == [[4, 1], [1, 2]]
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    # AUC by counting concordant pairs: 15 pairs, positives 0.9 beats 5, 0.6 beats 4, 0.2 beats 2.
    assert m["auc"] == pytest.approx(11 / 15)


def test_single_class_test_set_gives_nan_auc_not_a_crash():
    m = binary_metrics(np.zeros(4), np.array([0.1, 0.2, 0.3, 0.9]))
    assert np.isnan(m["auc"]) and m["confusion"] == [[3, 1], [0, 0]]


def _toy(rng, n_pos, n_neg, size=16):
    pos = np.clip(rng.normal(170, 20, (n_pos, size, size)), 0, 255).astype(np.uint8)
    neg = np.clip(rng.normal(80, 20, (n_neg, size, size)), 0, 255).astype(np.uint8)
    return np.concatenate([pos, neg]), np.r_[np.ones(n_pos), np.zeros(n_neg)]


def test_classifier_learns_a_separable_problem_and_keeps_the_best_epoch():
    rng = np.random.default_rng(0)
    x, y = _toy(rng, 40, 120)
    xv, yv = _toy(rng, 10, 30)
    progress = []
    res = drive(train_classifier(x, y, xv, yv, ClassifierConfig.tiny(epochs=6)), progress.append)
    assert [p.data["epoch"] for p in progress] == list(range(1, 7))
    best = max(progress, key=lambda p: (p.data["val_f1"], p.data["val_auc"]))  # first epoch reaching the max
    assert res.best_epoch == best.data["epoch"]
    xt, yt = _toy(rng, 20, 60)
    assert roc_auc_score(yt, predict_scores(res.model, xt)) > 0.95


def test_flips_preserve_content_and_vary_per_image():
    import torch

    x = torch.arange(2 * 16, dtype=torch.float32).view(1, 1, 4, 8).repeat(64, 1, 1, 1)
    out = random_flips(x, torch.Generator().manual_seed(0))
    assert torch.equal(out.sum(dim=(1, 2, 3)), x.sum(dim=(1, 2, 3)))
    kinds = {tuple(o.flatten()[:2].tolist()) for o in out}
    assert len(kinds) == 4  # none, H, V, both all occur in 64 draws


def test_mismatched_labels_name_the_parameter():
    with pytest.raises(ValueError, match="train_labels"):
        drive(train_classifier(np.zeros((3, 16, 16), np.uint8), np.ones(2), np.zeros((1, 16, 16), np.uint8),
                               np.ones(1), ClassifierConfig.tiny()))


def test_published_code_preset_uses_xavier_steplr_and_validates_every_n_batches():
    rng = np.random.default_rng(1)
    x, y = _toy(rng, 40, 120)  # 160 images, batch 16: 10 batches per epoch
    xv, yv = _toy(rng, 10, 30)
    cfg = ClassifierConfig.published_code(image_size=16, ndf=4, epochs=3, batch_size=16, device="cpu", val_every=3)
    assert ClassifierConfig.published_code().init == "xavier" and ClassifierConfig.paper().init == "torch"
    res = drive(train_classifier(x, y, xv, yv, cfg))
    per_epoch = [[r for r in res.history if r["epoch"] == e] for e in (1, 2, 3)]
    assert [[r.get("batch") for r in rows] for rows in per_epoch] == [[3, 6, 9, None]] * 3
    assert [rows[-1]["lr"] for rows in per_epoch] == pytest.approx([cfg.lr, cfg.lr * 0.95, cfg.lr * 0.95 ** 2])


def test_xavier_init_differs_from_torchs_default_init():
    import torch

    rng = np.random.default_rng(2)
    x, y = _toy(rng, 8, 8)
    base = dict(image_size=16, ndf=4, epochs=1, batch_size=16, device="cpu", lr=1e-12)
    first = [drive(train_classifier(x, y, x, y, ClassifierConfig.tiny(**base, init=init))).model for init in
             ("torch", "xavier")]
    w0, w1 = (m.main[0].weight.detach() for m in first)
    # Xavier-uniform bound sqrt(6 / (fan_in + fan_out)) for a 1 -> 4 channel 4 x 4 kernel
    bound = (6 / (16 + 64)) ** 0.5
    assert w1.abs().max() <= bound + 1e-6 and not torch.allclose(w0, w1)
