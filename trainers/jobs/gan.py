"""A DCGAN training as a job for the GUI and the CLI: progress items with plain numbers and grids.

:class:`GANTrainer.fit` is a blocking, callback-driven loop, so the job runs it
on a helper thread and yields what an :class:`_EventCallback` records (steps,
epochs, sample grids, checkpoints, warnings) every ``poll_s`` seconds. Closing
the job asks the trainer to stop, joins the thread and keeps the checkpoint the
trainer writes on a stop, so nothing is lost.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import torch

from mammostudio.core.progress import Job

from ..dcgan import Callback, DivergenceError, GANConfig, GANTrainer
from ..dcgan.run_folder import make_grid
from .control import EventLog, RunControl
from .runs import ACTIVE, read_status, write_status

__all__ = ["gan_training_job"]


class _EventCallback(Callback):
    """Copies what the trainer reports into the job's event log; holds a paused run between epochs."""

    def __init__(self, log: EventLog, control: RunControl) -> None:
        self.log, self.control = log, control

    def on_train_start(self, trainer):
        self.log.add("start", epoch=trainer.epoch, step=trainer.step, epochs=trainer.config.epochs,
                     steps_per_epoch=trainer.steps_per_epoch, n_images=len(trainer.data),
                     device=str(trainer.device))

    def on_step_end(self, trainer, step, metrics):
        self.log.add("step", step=step, epoch=step / trainer.steps_per_epoch,
                     **{k: float(v) for k, v in metrics.items()})

    def on_sample(self, trainer, epoch, grid):
        self.log.set_latest(grid=np.array(grid, copy=True), grid_epoch=epoch)
        self.log.add("sample", epoch=epoch)

    def on_epoch_end(self, trainer, epoch, metrics):
        self.log.add("epoch", **{k: float(v) for k, v in metrics.items()})
        if metrics.get("collapse"):
            self.log.add("warning", epoch=epoch, text=(
                f"epoch {epoch}: discriminator collapse? mean D(G(z)) below {trainer.config.collapse_threshold} "
                f"for {trainer.config.collapse_epochs} epochs"))
        if self.control.paused:  # the pause point: between epochs, before the row and checkpoint are written
            self.log.add("paused", epoch=epoch)
            self.control.wait_while_paused()
            self.log.add("resumed", epoch=epoch)

    def on_checkpoint(self, trainer, name, path):
        self.log.add("checkpoint", name=name, path=str(path), epoch=trainer.epoch)


def _fid_callback(real: np.ndarray, backbone, every: int, n: int, weights, cache_dir):
    from ..metrics import FIDCallback
    from ..metrics.features import tiny_backbone

    if backbone == "tiny":  # the metrics' tiny stand-in extractor (tests, dry runs): not FID
        backbone = tiny_backbone()
    return FIDCallback(real, every=every, n=max(4, min(n, len(real))), backbone=backbone, weights=weights,
                       cache_dir=cache_dir, batch_size=50)


def _load(patches, kind: str, size: int) -> tuple[np.ndarray, str]:
    if isinstance(patches, np.ndarray):
        return patches, "array"
    from mammostudio.core.patches import load_patches

    images, _ = load_patches(patches, kind, size=size)
    if len(images) == 0:
        raise ValueError(f"{patches}: no {kind} patches to train on")
    return np.asarray(images), str(patches)


def _message(log: EventLog, done: int, epochs: int, paused: bool) -> str:
    """'epoch 5/400 running, step ...' (the epoch in progress) or 'paused after epoch 4/400'.

    The monitor's header counts the same way, so the two never disagree.
    """
    if paused:
        return f"paused after epoch {done}/{epochs}"
    last = next((e for e in reversed(log.events) if e["kind"] == "step"), None)
    text = f"epoch {min(done + 1, epochs)}/{epochs} running"
    if last is not None:
        text += f", step {last['step']}: loss D {last['loss_d']:.3f}, G {last['loss_g']:.3f}"
    return text


def _fid_settings(run: Path, resume: bool, backbone, every: int, n: int, weights) -> tuple:
    """FID settings of this session: the ones given, or on a resume without any, the run's own.

    A resumed run used to lose its FID (no value after the resume, so the best
    checkpoint stopped being kept); the settings now live in ``status.json``.
    """
    if resume and not backbone:
        saved = read_status(run).get("fid") or {}
        if saved.get("backbone"):
            return saved["backbone"], int(saved.get("every", every)), int(saved.get("n", n)), saved.get("weights")
        # a run started by `mammostudio train-gan --fid ...` has no status file: its FID reference says
        try:
            ref = json.loads((run / "fid_reference.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            ref = {}
        if isinstance(ref, dict) and ref.get("backbone") in ("standard", "authors", "random"):
            return ref["backbone"], int(ref.get("every", every)), int(ref.get("n", n)), weights
    return backbone, every, n, weights


def gan_training_job(patches, run_dir: str | os.PathLike, config: GANConfig | None = None, *,
                     kind: str = "lesion", resume: bool = False, changes: dict | None = None,
                     control: RunControl | None = None, fid_backbone: str | None = None, fid_every: int = 10,
                     fid_n: int = 2000, fid_weights=None, real_grid_count: int = 16,
                     poll_s: float = 0.1, dist=None) -> Job[dict]:
    """Train (or resume) a DCGAN, yielding live progress.

    The one driver of a GAN run: the GUI runs it in a worker, ``mammostudio
    train-gan`` with a progress bar (under ``torchrun`` too), so every run
    folder holds the same files (``status.json`` included) whoever started it.

    Parameters
    ----------
    patches : path-like or uint8 ndarray (n, rows, cols)
        A patch dataset / PNG folder (its ``kind`` patches are used) or a stack.
        Ignored on resume (the run folder holds its patches).
    run_dir : path-like
        A new run folder, or the run to resume.
    config : GANConfig
        Settings of a new run (default: the paper's).
    resume : bool
        Continue the run in ``run_dir`` from ``checkpoints/last.pt``; ``changes``
        may extend ``epochs`` or change the device.
    control : RunControl, optional
        Pause (between epochs) and stop requests.
    fid_backbone : {None, 'standard', 'authors', 'random', 'tiny'}
        Compute FID/KID every ``fid_every`` epochs on ``fid_n`` images per side.
    real_grid_count : int
        Real patches shown beside the samples (``data['real_grid']``).
    dist : DistInfo, optional
        This process's place in a DDP group (default: from the environment);
        only rank 0 writes ``status.json``.

    Yields
    ------
    Progress
        ``done`` = epochs finished; ``data``: ``events`` / ``count`` (see
        :mod:`trainers.jobs.control`; kinds start, step, epoch, sample,
        checkpoint, warning, paused, resumed), ``grid`` / ``grid_epoch`` (the
        latest fixed-noise grid), ``real_grid``, ``state``.

    Returns
    -------
    dict
        The trainer's summary (``status`` 'finished' or 'stopped', ...).

    Raises
    ------
    DivergenceError
        When a loss became NaN/inf (the last good checkpoint is kept).
    """
    control = control or RunControl()
    log, run = EventLog(), Path(run_dir)
    cb = _EventCallback(log, control)
    fid_backbone, fid_every, fid_n, fid_weights = _fid_settings(run, resume, fid_backbone, fid_every, fid_n,
                                                                fid_weights)
    if resume:
        try:
            real = np.load(run / "patches.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:  # missing, truncated, or a hostile object array
            raise ValueError(f"{run / 'patches.npy'}: not the run's training stack "
                             f"({' '.join(str(exc).split())}); this run cannot be resumed") from exc
        dataset = read_status(run).get("dataset", "")
        if not isinstance(patches, (str, os.PathLike)) and dataset and Path(dataset).is_dir():
            patches = dataset  # the real-statistics cache stays beside the patch dataset
    else:
        config = config or GANConfig.paper()
        real, dataset = _load(patches, kind, config.image_size)
    callbacks = [cb]
    if fid_backbone:
        cache = patches if isinstance(patches, (str, os.PathLike)) and Path(patches).is_dir() else None
        callbacks.insert(0, _fid_callback(np.asarray(real), fid_backbone, fid_every, fid_n, fid_weights, cache))
    if resume:
        trainer = GANTrainer.resume(run, callbacks, dist=dist, **(changes or {}))
    else:
        trainer = GANTrainer(config, real, run, callbacks, dist=dist)
    main = trainer.dist.is_main
    cfg = trainer.config
    pick = np.sort(np.random.default_rng(cfg.seed).choice(len(real), size=min(real_grid_count, len(real)),
                                                          replace=False))
    # the real patches as the model sees them (resized once by the trainer)
    real_small = trainer.data.index_select(0, torch.as_tensor(pick, device=trainer.data.device))[:, 0].cpu().numpy()
    log.set_latest(real_grid=make_grid(real_small))
    before = float(read_status(run).get("seconds", 0.0))
    fid = {"backbone": fid_backbone, "every": fid_every, "n": fid_n,
           "weights": None if fid_weights is None else str(fid_weights)} if fid_backbone else None
    if main:
        write_status(run, kind="gan", status="running", device=str(trainer.device), pid=os.getpid(), error="",
                     dataset=dataset, started=read_status(run).get("started") or time.strftime("%Y-%m-%dT%H:%M:%S"),
                     fid=fid)
    ACTIVE.add(str(run.resolve()))
    box: dict = {}
    ended = threading.Event()

    def work() -> None:
        try:
            box["result"] = trainer.fit(control.stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the job's thread and re-raised there
            box["error"] = exc
        finally:
            ended.set()

    thread = threading.Thread(target=work, name=f"dcgan-{run.name}", daemon=True)
    t0, status, error = time.monotonic(), "stopped", ""
    thread.start()
    try:
        while not ended.wait(poll_s):
            yield log.progress(trainer.epoch, cfg.epochs, _message(log, trainer.epoch, cfg.epochs, control.paused),
                               state="paused" if control.paused else "running")
        thread.join()
        if "error" in box:
            exc = box["error"]
            status, error = ("diverged" if isinstance(exc, DivergenceError) else "failed"), str(exc)
            if isinstance(exc, DivergenceError):
                log.add("warning", epoch=trainer.epoch, text=f"NaN/inf loss: {exc}", nan=True)
            raise exc
        result = box["result"]
        status = result["status"]
        yield log.progress(trainer.epoch, cfg.epochs, f"{status} after epoch {trainer.epoch}/{cfg.epochs}",
                           state=status)
        return result
    finally:
        if thread.is_alive():  # closed early: stop cooperatively, the trainer saves 'last'
            control.request_stop()
            thread.join()
        ACTIVE.discard(str(run.resolve()))
        if main:
            write_status(run, status=status, error=error, pid=None, epochs_done=trainer.epoch,
                         seconds=before + time.monotonic() - t0)
