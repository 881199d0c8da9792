"""What happens between epochs: metrics row, guard, sample grid, checkpoint, summary."""
from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import torch
import torch.distributed as dist

from .run_folder import make_grid

if TYPE_CHECKING:  # pragma: no cover
    from .train import GANTrainer

__all__ = ["DivergenceError", "STEP_METRICS", "check_finite", "finish_epoch", "finish_stop", "summary"]

log = logging.getLogger(__name__)
STEP_METRICS = ("loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2")


class DivergenceError(RuntimeError):
    """A loss became NaN or infinite; the last good checkpoint was kept."""


def check_finite(t: "GANTrainer", values: dict[str, float]) -> None:
    """Raise :class:`DivergenceError` naming the bad values and the last good checkpoint."""
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if bad:
        last = t.folder.checkpoint_path("last")
        kept = f"last good checkpoint kept: {last}" if last.exists() else "no checkpoint had been written yet"
        raise DivergenceError(f"{t.run_dir}: training diverged at epoch {t.epoch + 1}, step {t.step} "
                              f"({', '.join(f'{k}={v}' for k, v in bad.items())}); stopped; {kept}")


def _gather_process_rng(t: "GANTrainer") -> None:
    """Every process's own random streams, collected so rank 0 can save them.

    Under DDP the BatchNorm running statistics (unused by training-mode
    steps, used for sampling) are also made rank 0's everywhere.
    """
    mine = t.rng.process_state()
    if t.dist.enabled:
        with torch.no_grad():
            for buf in [*t.G.buffers(), *t.D.buffers()]:
                dist.broadcast(buf, 0)
        gathered: list = [None] * t.dist.world_size
        dist.all_gather_object(gathered, mine)
        t.rng.gathered = gathered
    else:
        t.rng.gathered = [mine]


def _epoch_means(t: "GANTrainer") -> list[float]:
    acc = t.loop.acc / max(t.loop.acc_n, 1)
    if t.dist.enabled:
        dist.all_reduce(acc)
        acc = acc / t.dist.world_size
    return acc.tolist()  # one host sync per epoch


def finish_epoch(t: "GANTrainer") -> dict[str, float]:
    """Close an epoch: guard, schedulers, collapse check, callbacks, grid, row, last checkpoint."""
    cfg, loop = t.config, t.loop
    means = dict(zip(STEP_METRICS, _epoch_means(t)))
    check_finite(t, means)
    _gather_process_rng(t)
    lr_g, lr_d = t.opt_g.param_groups[0]["lr"], t.opt_d.param_groups[0]["lr"]
    t.sched_g.step()
    t.sched_d.step()
    loop.end_epoch()
    # A collapsed D: D(G(z)) ~ 0 for collapse_epochs epochs in a row -> warning.
    loop.collapse_run = loop.collapse_run + 1 if means["d_g_z1"] < cfg.collapse_threshold else 0
    collapsed = loop.collapse_run >= cfg.collapse_epochs
    seconds = loop.epoch_seconds
    metrics = {"epoch": float(loop.epoch), "step": float(loop.step), **means, "lr_g": lr_g, "lr_d": lr_d,
               "real_label": float(loop.label), "images_per_s": loop.epoch_images / max(seconds, 1e-9),
               "seconds": seconds, "collapse": 1.0 if collapsed else 0.0}
    if t.dist.is_main:
        if collapsed:
            log.warning("%s: epoch %d: discriminator collapse? mean D(G(z)) < %g for %d epochs",
                        t.run_dir, loop.epoch, cfg.collapse_threshold, loop.collapse_run)
        if t.epoch % cfg.sample_every == 0 or t.epoch == cfg.epochs:
            grid = make_grid(_fixed_samples(t))
            t.folder.write_sample(t.epoch, grid)
            t.callbacks.on_sample(t, t.epoch, grid)
        t.callbacks.on_epoch_end(t, t.epoch, metrics)
        loop.history.append(dict(metrics))
        t.folder.write_metrics(loop.history)
    if t.epoch % cfg.checkpoint_every == 0 or t.epoch == cfg.epochs:
        t.save_checkpoint("last")
    return metrics


def _fixed_samples(t: "GANTrainer"):
    from .generate import to_uint8

    was = t.G.training
    t.G.eval()
    try:
        with torch.inference_mode():
            return to_uint8(t.G(t.fixed_noise))
    finally:
        t.G.train(was)


def finish_stop(t: "GANTrainer") -> None:
    """A stop between steps: save the mid-epoch state so a resume continues exactly."""
    _gather_process_rng(t)
    t.save_checkpoint("last")


def summary(t: "GANTrainer", status: str, **extra) -> dict:
    """Plain-value summary of a run for callers and ``on_train_end``."""
    warnings = [f"epoch {int(r['epoch'])}: discriminator collapse (mean D(G(z)) < "
                f"{t.config.collapse_threshold} for {t.config.collapse_epochs} epochs)"
                for r in t.loop.history if r.get("collapse")]
    return {"status": status, "epoch": t.epoch, "step": t.step, "run_dir": str(t.run_dir),
            "last_checkpoint": str(t.folder.checkpoint_path("last")), "warnings": warnings,
            "final": dict(t.loop.history[-1]) if t.loop.history else {}, **extra}
