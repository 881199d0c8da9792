"""Training the lesion classifier: a generator job that yields one Progress per epoch.

The whole training set is held as one tensor on the device; flips happen on
the batch. After every epoch the validation F1 of the lesion class is
computed and the best weights are kept (spec 3.2), so the returned model is
the one the paper would test.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from mammostudio.core.progress import Job, Progress, StopToken

from ..common.device import select_device, set_threads_once
from .config import ClassifierConfig
from .metrics import binary_metrics
from .model import LesionClassifier

__all__ = ["ClassifierResult", "train_classifier", "predict_scores", "to_tensor", "random_flips"]


@dataclass
class ClassifierResult:
    """What a training returns: the best model, when it was reached, and the curves."""

    model: LesionClassifier
    best_epoch: int
    best_val_f1: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def to_tensor(images: np.ndarray, size: int, device: torch.device) -> torch.Tensor:
    """uint8 stack (n, rows, cols) -> float tensor (n, 1, size, size) in [0, 1].

    Images of another size are resized bilinearly with anti-aliasing.
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images: expected a (n, rows, cols) stack, got shape {images.shape}")
    x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.uint8)).to(device)
    x = x.unsqueeze(1).float().div_(255.0)
    if x.shape[-2:] != (size, size) and len(x):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


def random_flips(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal then vertical flip of each image, p = 0.5 each (on the batch)."""
    n = x.shape[0]
    h = torch.rand(n, generator=gen, device="cpu").lt(0.5).to(x.device).view(-1, 1, 1, 1)
    v = torch.rand(n, generator=gen, device="cpu").lt(0.5).to(x.device).view(-1, 1, 1, 1)
    x = torch.where(h, x.flip(-1), x)
    return torch.where(v, x.flip(-2), x)


@torch.no_grad()
def predict_scores(model: LesionClassifier, images: np.ndarray | torch.Tensor, *,
                   batch_size: int = 256) -> np.ndarray:
    """Lesion probabilities (n,) for a uint8 stack or a prepared [0, 1] tensor."""
    device = next(model.parameters()).device
    x = images if isinstance(images, torch.Tensor) else to_tensor(images, model.image_size, device)
    was_training = model.training
    model.eval()
    out = [torch.sigmoid(model(x[i : i + batch_size])).float().cpu() for i in range(0, len(x), batch_size)]
    model.train(was_training)
    return torch.cat(out).numpy() if out else np.zeros(0)


def train_classifier(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    val_images: np.ndarray,
    val_labels: np.ndarray,
    config: ClassifierConfig | None = None,
    *,
    stop: StopToken | None = None,
) -> Job[ClassifierResult]:
    """Train a :class:`LesionClassifier`; keep the weights with the best validation F1.

    Ties in validation F1 go to the higher validation AUC, then the earlier epoch.

    Parameters
    ----------
    train_images, val_images : ndarray (n, rows, cols) uint8
        Patches; resized to ``config.image_size`` when they differ.
    train_labels, val_labels : ndarray (n,)
        1 = lesion, 0 = tissue.
    config : ClassifierConfig, optional
        Defaults to the paper's settings.
    stop : StopToken, optional
        Checked between batches; the best model so far is returned.

    Yields
    ------
    Progress
        One per epoch; ``data`` holds epoch, loss, val_f1, val_auc, best_epoch.

    Returns
    -------
    ClassifierResult
    """
    cfg = config or ClassifierConfig()
    train_labels = np.asarray(train_labels).astype(np.float32).ravel()
    if len(train_images) != len(train_labels):
        raise ValueError(f"train_labels: {len(train_labels)} labels for {len(train_images)} images")
    if len(val_images) != len(val_labels):
        raise ValueError(f"val_labels: {len(val_labels)} labels for {len(val_images)} images")
    if len(train_images) == 0:
        raise ValueError("train_images: the training set is empty")
    set_threads_once(cfg.num_threads)
    device = select_device(cfg.device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = LesionClassifier(cfg.image_size, cfg.ndf)
    if cfg.init == "xavier":  # the released code's initialisation
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.xavier_uniform_(module.weight)
    model = model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                           weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=cfg.lr_step_gamma)
    x = to_tensor(train_images, cfg.image_size, device)
    y = torch.from_numpy(train_labels).to(device)
    xv = to_tensor(val_images, cfg.image_size, device)
    yv = np.asarray(val_labels).astype(int).ravel()
    best = ((-1.0, -1.0), 0, copy.deepcopy(model.state_dict()))
    history: list[dict] = []
    t0 = time.perf_counter()

    def validate(epoch: int, batch: int | None, loss: float) -> dict:
        nonlocal best
        scores = predict_scores(model, xv)
        m = binary_metrics(yv, scores, threshold=cfg.threshold) if len(yv) else {"f1": 0.0, "auc": float("nan")}
        row = {"epoch": epoch, "loss": loss, "val_f1": m["f1"], "val_auc": m["auc"], "lr": opt.param_groups[0]["lr"]}
        if batch is not None:
            row["batch"] = batch
        # Best validation F1 (spec 3.2); the validation AUC breaks ties, which
        # matters early on when every epoch still calls nothing a lesion (F1 0).
        key = (m["f1"], -1.0 if np.isnan(m["auc"]) else m["auc"])
        if key > best[0]:
            best = (key, epoch, copy.deepcopy(model.state_dict()))
        row["best_epoch"] = best[1]
        history.append(row)
        return row

    for epoch in range(1, cfg.epochs + 1):
        model.train()
        order = torch.randperm(len(x), generator=gen).to(device)
        total, seen = torch.zeros((), device=device), 0
        for start in range(0, len(order), cfg.batch_size):
            if stop is not None and stop.requested:
                break
            idx = order[start : start + cfg.batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            xb = random_flips(x[idx], gen) if cfg.flips else x[idx]
            loss = F.binary_cross_entropy_with_logits(model(xb), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
            seen += len(idx)
            batch = start // cfg.batch_size + 1
            if cfg.val_every and batch % cfg.val_every == 0 and start + cfg.batch_size < len(order):
                validate(epoch, batch, float(loss.detach()))  # the released code's mid-epoch checks
                model.train()
        row = validate(epoch, None, float(total) / max(seen, 1))
        sched.step()
        yield Progress(epoch, cfg.epochs, f"epoch {epoch}: loss {row['loss']:.4f}, val F1 {row['val_f1']:.3f}", row)
        if stop is not None and stop.requested:
            break
    model.load_state_dict(best[2])
    model.eval()
    return ClassifierResult(model, best[1], max(best[0][0], 0.0), history, time.perf_counter() - t0)
