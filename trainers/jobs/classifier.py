"""The lesion classifier and the augmentation experiment as GUI/CLI jobs with an event log.

:func:`classifier_job` trains one classifier on a patch dataset (lesion patches
vs tissue patches, split by patient as in the experiment), keeps the weights of
the best validation F1, and scores the held-out test set (ROC curve, confusion
matrix). :func:`experiment_job` runs the experiment grid. Both log every epoch
or cell in an :class:`~trainers.jobs.control.EventLog`, so a throttled
receiver misses none.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from mammostudio.core.atomic import atomic_path, write_text
from mammostudio.core.progress import Job

from ..classifier import ClassifierConfig, binary_metrics, predict_scores, train_classifier
from ..common.device import select_device
from ..experiment import ExperimentConfig, grid_cells, run_experiment, select_cells
from ..experiment.data import load_experiment_data
from ..experiment.splits import make_folds
from .control import EventLog, RunControl, logged
from .runs import ACTIVE, write_status

__all__ = ["classifier_job", "experiment_job"]


def _split(patches, cfg: ClassifierConfig, *, lesion_types, fold, folds, val_fraction, ir, seed):
    data = load_experiment_data(patches, size=cfg.image_size, lesion_types=tuple(lesion_types))
    split = make_folds(data.pos_patients, data.neg_patients, folds=folds, val_fraction=val_fraction,
                       seed=seed)[fold]
    train_neg = split.train_neg[: ir * len(split.train_pos)] if ir else split.train_neg

    def stack(pos_idx, neg_idx):
        x = np.concatenate([data.positives[pos_idx], data.negatives[neg_idx]])
        return x, np.r_[np.ones(len(pos_idx)), np.zeros(len(neg_idx))].astype(np.float32)

    parts = stack(split.train_pos, train_neg), stack(split.val_pos, split.val_neg), stack(split.test_pos,
                                                                                          split.test_neg)
    for name, (x, y) in zip(("training", "validation", "test"), parts):
        if len(np.unique(y)) < 2:
            raise ValueError(f"{patches}: the {name} set of fold {fold} lacks lesions or tissue "
                             f"({int(y.sum())} lesion, {int((y == 0).sum())} tissue patches); use more patches")
    return parts


def classifier_job(patches, run_dir: str | os.PathLike, config: ClassifierConfig | None = None, *,
                   lesion_types=(), fold: int = 0, folds: int = 3, val_fraction: float = 0.1,
                   ir: int | None = None, seed: int = 0, control: RunControl | None = None) -> Job[dict]:
    """Train one lesion-vs-tissue classifier and score its test set.

    Parameters
    ----------
    patches : path-like
        A patch dataset or a folder with ``lesion/`` and ``tissue/`` PNGs.
    run_dir : path-like
        New folder: ``config.json``, ``status.json``, ``model.pt`` (best
        weights), ``result.json`` (history, test metrics).
    config : ClassifierConfig
    lesion_types : tuple of str
        Positive class (empty: every lesion patch).
    fold, folds, val_fraction, seed
        The patient-grouped split (as in the experiment).
    ir : int, optional
        Cap the training tissue patches at ``ir`` x the lesion patches.
    control : RunControl, optional
        Pause between epochs, stop (the best model so far is scored).

    Yields
    ------
    Progress
        ``data['events']``: kind 'epoch' (epoch, loss, val_f1, val_auc,
        best_epoch), then 'test' (f1, auc, roc, confusion, ...).

    Returns
    -------
    dict
        ``status``, ``best_epoch``, ``best_val_f1``, ``history``, ``test``, ``counts``.
    """
    cfg = config or ClassifierConfig.paper()
    control, log, run = control or RunControl(), EventLog(), Path(run_dir)
    if (run / "result.json").exists() or (run / "status.json").exists():
        raise ValueError(f"{run}: already holds a run; choose another folder")
    (train, val, test) = _split(patches, cfg, lesion_types=lesion_types, fold=fold, folds=folds,
                                val_fraction=val_fraction, ir=ir, seed=seed)
    run.mkdir(parents=True, exist_ok=True)
    cfg.to_json(run / "config.json")
    counts = {name: {"lesion": int(y.sum()), "tissue": int((y == 0).sum())}
              for name, (_x, y) in zip(("train", "val", "test"), (train, val, test))}
    write_status(run, kind="classifier", status="running", device=str(select_device(cfg.device)),
                 pid=os.getpid(), dataset=str(patches), started=time.strftime("%Y-%m-%dT%H:%M:%S"), error="")
    ACTIVE.add(str(run.resolve()))
    log.add("start", epochs=cfg.epochs, counts=counts)
    t0, status, error = time.monotonic(), "stopped", ""
    try:
        result = yield from logged(train_classifier(*train, *val, cfg, stop=control.stop), log, "epoch",
                                   control=control)
        test_m = binary_metrics(test[1], predict_scores(result.model, test[0]), threshold=cfg.threshold)
        with atomic_path(run / "model.pt") as tmp:
            torch.save(result.model.state_dict(), tmp)
        status = "stopped" if control.stop.requested else "finished"
        out = {"status": status, "best_epoch": result.best_epoch, "best_val_f1": result.best_val_f1,
               "history": result.history, "test": test_m, "counts": counts, "seconds": result.seconds}
        write_text(run / "result.json", json.dumps(out, indent=1) + "\n")
        log.add("test", **test_m)
        yield log.progress(len(result.history), cfg.epochs, f"{status}: test F1 {test_m['f1']:.3f}, "
                           f"AUC {test_m['auc']:.3f}", state=status)
        return out
    except Exception as exc:
        status, error = "failed", str(exc)
        raise
    finally:
        ACTIVE.discard(str(run.resolve()))
        write_status(run, status=status, error=error, pid=None, seconds=time.monotonic() - t0)


def experiment_job(patches, out: str | os.PathLike, config: ExperimentConfig | None = None, *,
                   cells: list[str] | None = None, control: RunControl | None = None) -> Job[dict]:
    """:func:`trainers.experiment.run_experiment` with an event log.

    The first event (kind 'grid') lists the selected cell ids; then one 'cell'
    event per item of the experiment (``cell``, ``message``, ``epoch`` ...,
    and ``result`` when a cell finishes). Returns the experiment's summary.
    """
    config = config or ExperimentConfig.paper()
    control, log = control or RunControl(), EventLog()
    ids = [c.id for c in select_cells(grid_cells(config), cells)]
    log.add("grid", cells=ids, sizes=list(config.sizes), modes=list(config.modes), folds=config.folds)
    yield log.progress(0, len(ids), f"{len(ids)} cells")
    result = yield from logged(run_experiment(patches, out, config, cells=cells, stop=control.stop), log, "cell",
                               control=control)
    log.add("report", **{k: v for k, v in result.items() if k != "report"})
    yield log.progress(len(ids), len(ids), "report written", state="finished")
    return result
