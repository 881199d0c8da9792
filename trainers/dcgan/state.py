"""A trainer's full state as a checkpoint dict, and back (exact resume).

Everything that decides the next step is saved: both models, optimisers and
schedulers, the epoch / step / position in the epoch with its permutation and
real label, the fixed noise, and every random stream (the trainer's own
generators, per process under DDP, plus torch's, numpy's and python's global
ones for callbacks that use them).
"""
from __future__ import annotations

import os
import random
from dataclasses import replace
from typing import TYPE_CHECKING, Iterable

import numpy as np
import torch

from .checkpoint import FORMAT, VERSION, CheckpointError, load_state
from .config import GANConfig
from .run_folder import RunFolder

if TYPE_CHECKING:  # pragma: no cover
    from .train import GANTrainer

__all__ = ["capture", "restore", "resume_trainer", "RESUMABLE_CHANGES"]

# Settings a resume may change: they do not alter the maths of the next step.
RESUMABLE_CHANGES = {"epochs", "device", "num_threads", "log_every", "sample_every", "checkpoint_every",
                     "tensorboard",
                     "collapse_threshold", "collapse_epochs"}


def _global_rng() -> dict:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"torch": torch.get_rng_state(), "python": random.getstate(),
             "numpy": [kind, [int(k) for k in keys], int(pos), int(has_gauss), float(cached)]}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def capture(t: "GANTrainer") -> dict:
    """The checkpoint dict of trainer ``t`` (tensors and plain values: loads with weights_only)."""
    return {
        "format": FORMAT, "version": VERSION, "config": t.config.to_dict(),
        "generator": t.G.state_dict(), "discriminator": t.D.state_dict(),
        "opt_g": t.opt_g.state_dict(), "opt_d": t.opt_d.state_dict(),
        "sched_g": t.sched_g.state_dict(), "sched_d": t.sched_d.state_dict(),
        **t.loop.state_dict(),
        "fixed_noise": t.fixed_noise.cpu(), "world_size": t.dist.world_size,
        "rng": {**t.rng.state_dict(), "global": _global_rng()},
    }


def restore(t: "GANTrainer", state: dict, *, source: str) -> None:
    """Load a :func:`capture` dict into a freshly built trainer of the same config."""
    try:
        t.G.load_state_dict(state["generator"])
        t.D.load_state_dict(state["discriminator"])
        t.opt_g.load_state_dict(state["opt_g"])
        t.opt_d.load_state_dict(state["opt_d"])
        t.sched_g.load_state_dict(state["sched_g"])
        t.sched_d.load_state_dict(state["sched_d"])
        t.loop.load_state_dict(state, t.device)
        t.fixed_noise = state["fixed_noise"].to(t.device)
        rng = state["rng"]
        t.rng.load_state_dict(rng, seed=t.config.seed, rank=t.dist.rank, world_size=t.dist.world_size,
                              step=t.loop.step)
        glob = rng["global"]
        torch.set_rng_state(glob["torch"])
        random.setstate(tuple(x if not isinstance(x, list) else tuple(x) for x in glob["python"]))
        kind, keys, pos, has_gauss, cached = glob["numpy"]
        np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        if "cuda" in glob and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(glob["cuda"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        if isinstance(exc, CheckpointError):
            raise
        detail = " ".join(str(exc).split())[:300]
        raise CheckpointError(f"{source}: cannot resume from this checkpoint ({type(exc).__name__}: {detail})") from exc


def resume_trainer(cls, run_dir: str | os.PathLike, callbacks: Iterable = (), *, checkpoint: str = "last",
                   dist=None, **changes) -> "GANTrainer":
    """Build ``cls`` from a run folder's checkpoint and its ``patches.npy`` (see GANTrainer.resume)."""
    folder = RunFolder(run_dir)
    path = folder.checkpoint_path(checkpoint)
    state = load_state(path)
    if state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a mammostudio DCGAN training checkpoint")
    bad = sorted(set(changes) - RESUMABLE_CHANGES)
    if bad:
        raise ValueError(f"resume: {bad} cannot change mid-run (allowed: {sorted(RESUMABLE_CHANGES)})")
    try:
        config = replace(GANConfig.from_dict(state["config"], source=str(path)), **changes)
    except (KeyError, TypeError) as exc:
        raise CheckpointError(f"{path}: damaged checkpoint config ({exc})") from exc
    patches_path = folder.path / "patches.npy"
    try:
        patches = np.load(patches_path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{patches_path}: cannot read the run's patches ({exc})") from exc
    trainer = cls(config, patches, run_dir, callbacks, dist=dist, _resuming=True)
    restore(trainer, state, source=str(path))
    trainer.loop.history = [r for r in folder.read_metrics() if r.get("epoch", 0) <= trainer.epoch]
    if trainer.dist.is_main:
        config.to_json(folder.config_path)
    return trainer
