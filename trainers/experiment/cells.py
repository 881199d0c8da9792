"""One cell of the experiment grid: a DCGAN for (k, fold), or a classifier for (k, mode, fold).

A cell writes everything into its own folder and finishes by writing
``result.json`` atomically; a folder with that file is done and is skipped on
a re-run, so a crash loses at most the running cell. A claim with a heartbeat
(:mod:`trainers.experiment.locks`) keeps processes sharing the grid, on one
host or many, off the same cell.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mammostudio.core.atomic import atomic_path, write_text
from mammostudio.core.progress import Job, Progress, StopToken

from ..classifier import binary_metrics, predict_scores, train_classifier
from ..dcgan import Callback, GANTrainer
from .config import ExperimentConfig
from .data import ExperimentData
from .locks import CellBusy, CellLock
from .splits import FoldSplit

__all__ = ["Cell", "grid_cells", "CellBusy", "run_cell", "read_result"]

RESULT = "result.json"


@dataclass(frozen=True)
class Cell:
    """A unit of work: ``kind`` is 'gan' or 'clf'; ``mode`` is None for a GAN."""

    kind: str
    k: int
    fold: int
    mode: str | None = None

    @property
    def id(self) -> str:
        """Folder name and selection key, e.g. ``gan_k100_f0`` or ``clf_k100_aug-gan_f0``."""
        if self.kind == "gan":
            return f"gan_k{self.k}_f{self.fold}"
        return f"clf_k{self.k}_{self.mode.lower().replace(' ', '-')}_f{self.fold}"


def grid_cells(config: ExperimentConfig) -> list[Cell]:
    """Every cell in run order: per fold and k, the GAN first, then the modes."""
    cells = []
    for fold in range(config.folds):
        for k in config.sizes:
            if config.uses_gan:
                cells.append(Cell("gan", k, fold))
            cells += [Cell("clf", k, fold, m) for m in config.modes]
    return cells


def read_result(folder: Path) -> dict | None:
    """The cell's result, or None when it has not finished."""
    try:
        return json.loads((folder / RESULT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _cell_seed(cfg: ExperimentConfig, cell: Cell) -> int:
    """One seed per (k, fold), shared by the four modes so they differ only by their data."""
    return cfg.seed * 1000 + cell.fold * 100 + cfg.sizes.index(cell.k)


def _generated(root: Path, cell: Cell) -> np.ndarray:
    path = root / Cell("gan", cell.k, cell.fold).id / "generated.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: G_k for k={cell.k}, fold {cell.fold} has not been trained")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a plain image array ({' '.join(str(exc).split())}); delete the "
                         f"folder {path.parent} to train G_k again") from exc
    if arr.ndim != 3 or arr.dtype != np.uint8:
        raise ValueError(f"{path}: expected uint8 (n, rows, cols) images, found {arr.dtype} {arr.shape}; "
                         f"delete the folder {path.parent} to train G_k again")
    return arr


class _EpochFeed(Callback):
    """Hands each finished epoch's losses from the training thread to the cell's job."""

    def __init__(self, feed: queue.Queue) -> None:
        self.feed = feed

    def on_epoch_end(self, trainer, epoch, metrics):
        self.feed.put((epoch, trainer.config.epochs, float(metrics.get("loss_d", float("nan"))),
                       float(metrics.get("loss_g", float("nan")))))


def _run_gan(cell: Cell, folder: Path, cfg: ExperimentConfig, data: ExperimentData, split: FoldSplit,
             stop: StopToken | None) -> Job[dict]:
    """Train G_k in a helper thread and yield one Progress per epoch (the GUI's grid shows it).

    Closing the job, or ``stop``, asks the trainer to stop between steps; its
    last checkpoint stays, so a rerun continues the cell where it stopped.
    """
    pos = data.positives[split.positives(cell.k)]
    gan_cfg = replace(cfg.gan, seed=_cell_seed(cfg, cell))
    run = folder / "run"
    feed: queue.Queue = queue.Queue()
    hooks = [_EpochFeed(feed)]
    if cfg.generator == "best-fid":
        hooks.append(_fid_hook(cfg, pos))
    # A GAN cell interrupted mid-training continues from its last checkpoint.
    trainer = GANTrainer.resume(run, hooks) if (run / "checkpoints" / "last.pt").is_file() \
        else GANTrainer(gan_cfg, pos, run, hooks)
    local, outcome = StopToken(), {}

    def work() -> None:
        try:
            outcome["summary"] = trainer.fit(local)
        except BaseException as exc:  # re-raised in the job's thread below
            outcome["error"] = exc
        finally:
            feed.put(None)

    thread = threading.Thread(target=work, name=f"experiment-{cell.id}", daemon=True)
    thread.start()
    try:
        while True:
            if stop is not None and stop.requested:
                local.request()
            try:
                item = feed.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                break
            epoch, total, loss_d, loss_g = item
            yield Progress(epoch, total, f"G_k epoch {epoch}/{total}: D {loss_d:.3f}, G {loss_g:.3f}",
                           {"epoch": epoch, "loss_d": loss_d, "loss_g": loss_g})
    finally:
        local.request()  # a no-op after a finished fit; stops it when the job is closed early
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    if stop is not None and stop.requested:
        raise InterruptedError("stopped")
    n_gen = int(round(cfg.af * cell.k))
    seed = cfg.seed + 7919 * (cell.fold + 1) + cell.k
    picked = {"generator": "last"}
    best = run / "checkpoints" / "best.pt"
    if cfg.generator == "best-fid" and best.is_file():
        import torch

        from ..dcgan.generate import load_generator, sample_generator

        fake = sample_generator(load_generator(best), n_gen, generator=torch.Generator().manual_seed(seed))
        picked = {"generator": "best-fid", **_plain(json.loads((run / "fid_best.json").read_text()))}
    else:
        fake = trainer.sample(n_gen, seed=seed)
    with atomic_path(folder / "generated.npy") as tmp:
        np.save(tmp, fake)
    return {"n_train": int(len(pos)), "n_generated": n_gen, "gan_summary": _plain(outcome["summary"]), **picked}


def _fid_hook(cfg: ExperimentConfig, pos: np.ndarray):
    """The FID callback that keeps G_k's best-FID checkpoint ('tiny': the test stand-in, not FID)."""
    from ..metrics import FIDCallback
    from ..metrics.features import tiny_backbone

    backbone = tiny_backbone() if cfg.fid_backbone == "tiny" else cfg.fid_backbone
    return FIDCallback(pos, every=cfg.fid_every, n=min(cfg.fid_n, len(pos)), backbone=backbone, kid=False,
                       seed=cfg.seed)


def _plain(obj):
    """JSON-safe copy of a summary (numbers, strings, lists, dicts)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    return obj if isinstance(obj, (int, float, str, bool)) or obj is None else str(obj)


def compose(cell: Cell, cfg: ExperimentConfig, data: ExperimentData, split: FoldSplit,
            generated: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Training images and labels of a classifier cell, and their counts.

    ORG / Aug ORG: P_k + N_k; GAN / Aug GAN: P_k + AF x k generated + N_k,
    with N_k = IR x k.
    """
    pos = data.positives[split.positives(cell.k)]
    neg = data.negatives[split.negatives(cfg.ir * cell.k)]
    parts = [pos]
    n_gen = 0
    if "GAN" in cell.mode:
        if generated is None:
            raise ValueError(f"{cell.id}: GAN mode needs generated images")
        n_gen = int(round(cfg.af * cell.k))
        parts.append(generated[:n_gen])
    x = np.concatenate(parts + [neg])
    y = np.concatenate([np.ones(len(pos) + n_gen), np.zeros(len(neg))]).astype(np.float32)
    return x, y, {"n_real_pos": int(len(pos)), "n_generated": n_gen, "n_neg": int(len(neg))}


def _run_clf(cell: Cell, folder: Path, cfg: ExperimentConfig, data: ExperimentData, split: FoldSplit,
             stop: StopToken | None) -> Job[dict]:
    gen = _generated(folder.parent, cell) if "GAN" in cell.mode else None
    x, y, counts = compose(cell, cfg, data, split, gen)
    xv = np.concatenate([data.positives[split.val_pos], data.negatives[split.val_neg]])
    yv = np.r_[np.ones(len(split.val_pos)), np.zeros(len(split.val_neg))]
    xt = np.concatenate([data.positives[split.test_pos], data.negatives[split.test_neg]])
    yt = np.r_[np.ones(len(split.test_pos)), np.zeros(len(split.test_neg))]
    clf_cfg = cfg.classifier.replace(flips=cell.mode.startswith("Aug"), seed=_cell_seed(cfg, cell))
    result = yield from train_classifier(x, y, xv, yv, clf_cfg, stop=stop)
    if stop is not None and stop.requested:
        raise InterruptedError("stopped")
    test = binary_metrics(yt, predict_scores(result.model, xt), threshold=clf_cfg.threshold)
    del test["n_pos"], test["n_neg"]  # reported below as n_test_pos / n_test_neg
    return {**counts, "n_val": int(len(yv)), "n_test_pos": int(yt.sum()), "n_test_neg": int((yt == 0).sum()),
            "best_epoch": result.best_epoch, "best_val_f1": result.best_val_f1,
            "history": result.history, **test}


def run_cell(cell: Cell, root: Path, cfg: ExperimentConfig, data: ExperimentData, split: FoldSplit,
             *, stop: StopToken | None = None) -> Job[dict]:
    """Run one cell (unless finished) and return its result dict.

    Raises
    ------
    CellBusy
        If another live process holds the cell.
    """
    folder = root / cell.id
    done = read_result(folder)
    if done is not None:
        return done
    with CellLock(folder) as lock:
        if read_result(folder) is not None:  # finished by another process between our check and our claim
            raise CellBusy(f"{cell.id} was finished by another process meanwhile")
        t0 = time.perf_counter()
        if cell.kind == "gan":
            yield Progress(0, None, f"{cell.id}: training G_k on {cell.k} patches")
            res = yield from _run_gan(cell, folder, cfg, data, split, stop)
        else:
            res = yield from _run_clf(cell, folder, cfg, data, split, stop)
        res = {"cell": cell.id, "kind": cell.kind, "k": cell.k, "fold": cell.fold, "mode": cell.mode,
               "seconds": time.perf_counter() - t0, "run_token": lock.token, **res}
        write_text(folder / RESULT, json.dumps(_plain(res), indent=1) + "\n")
    return res
