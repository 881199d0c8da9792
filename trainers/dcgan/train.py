"""The DCGAN training loop (spec 2.3), written like pytorch/examples' dcgan/main.py.

Per batch: (1) a D step on real images (target: this epoch's real label) and on
a detached fake batch (target 0); (2) a G step through the updated D with the
non-saturating loss and the real label as target, reusing the same fake batch.
Everything optional (sample grids, CSV, TensorBoard, FID) hangs off callbacks.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from mammostudio.core.atomic import atomic_path
from mammostudio.core.imageops import resize_stack
from mammostudio.core.progress import StopToken

from ..common import select_device, set_threads_once
from . import state as _state
from .bookkeeping import STEP_METRICS, DivergenceError, check_finite, finish_epoch, finish_stop, summary
from .callbacks import Callback, CallbackList, TensorBoardCallback, tensorboard_available
from .checkpoint import save_state
from .config import GANConfig
from .distributed import DistInfo, any_true, current
from .generate import sample_generator
from .loop_state import LoopState, RandomStreams, stream_seed
from .models import Discriminator, Generator, init_weights
from .run_folder import RunFolder

__all__ = ["GANTrainer", "DivergenceError", "STEP_METRICS"]

log = logging.getLogger(__name__)


def bce(p: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on probabilities, logs clamped at -100 as torch's BCELoss does.

    Written out so a NaN probability gives a NaN loss (for the divergence
    guard) instead of the kernel's range check, a device-side assert on CUDA.
    """
    p = p.float()
    return -(target * p.log().clamp_min(-100) + (1 - target) * (1 - p).log().clamp_min(-100)).mean()


class GANTrainer:
    """Trains one DCGAN on a uint8 patch stack and keeps a run folder.

    Parameters
    ----------
    config : GANConfig
    patches : ndarray, uint8, (n, rows, cols)
        Training images; resized once to ``config.image_size`` if needed and
        held as one tensor on the device (also saved as ``patches.npy`` in the
        run folder, so a resume needs nothing else).
    run_dir : path-like
        The run folder; must not already hold a run (use :meth:`resume`).
    callbacks : iterable of Callback
    """

    def __init__(self, config: GANConfig, patches: np.ndarray, run_dir: str | os.PathLike,
                 callbacks: Iterable[Callback] = (), *, dist: DistInfo | None = None,
                 _resuming: bool = False) -> None:
        if not isinstance(config, GANConfig):
            raise TypeError(f"config: expected a GANConfig, got {type(config).__name__}")
        patches = np.asarray(patches)
        if patches.ndim != 3 or patches.dtype != np.uint8 or len(patches) == 0:
            raise ValueError(f"patches: expected a non-empty uint8 stack (n, rows, cols), "
                             f"got {patches.dtype} {patches.shape}")
        if config.drop_last and len(patches) < config.batch_size:
            raise ValueError(f"patches: {len(patches)} images < batch_size {config.batch_size} with drop_last")
        self.config, self.dist = config, dist or current()
        self.run_dir = Path(run_dir)
        self.folder = RunFolder(self.run_dir)
        if not _resuming and self.folder.checkpoint_path("last").exists():
            raise ValueError(f"{self.run_dir}: already holds a run; resume it or choose another folder")
        set_threads_once(config.num_threads)
        self.device = select_device(config.device, local_rank=self.dist.local_rank)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest kernels once
        self.data = self._to_device(patches)
        self._build(config)
        self.callbacks = CallbackList(callbacks)
        if self.dist.is_main and config.tensorboard and tensorboard_available():
            self.callbacks.callbacks.append(TensorBoardCallback())  # last: sees every added metric
        if self.dist.is_main and not _resuming:
            config.to_json(self.folder.config_path)
            with atomic_path(self.run_dir / "patches.npy") as tmp:
                np.save(tmp, self.data[:, 0].cpu().numpy())

    # -- construction ----------------------------------------------------
    def _to_device(self, patches: np.ndarray) -> torch.Tensor:
        # spec 2.2: inputs resized to the model's size, once, by the project's one resize
        patches = resize_stack(np.asarray(patches, dtype=np.uint8), self.config.image_size)
        x = torch.from_numpy(np.array(patches, dtype=np.uint8, order="C")).unsqueeze(1)  # (n, 1, r, c), a copy
        return x.to(self.device)

    def _build(self, cfg: GANConfig) -> None:
        dev, rank = self.device, self.dist.rank
        init_rng = torch.Generator().manual_seed(stream_seed(cfg.seed, "init"))
        self.G = Generator(cfg.image_size, cfg.nz, cfg.ngf)
        self.D = Discriminator(cfg.image_size, cfg.ndf, first_kernel=cfg.d_first_kernel, kernel=cfg.d_kernel)
        init_weights(self.G, std=cfg.init_std, generator=init_rng)
        init_weights(self.D, std=cfg.init_std, generator=init_rng)
        fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
        self.G.to(dev, memory_format=fmt)
        self.D.to(dev, memory_format=fmt)
        fused = dev.type == "cuda"  # one kernel per optimiser step on a GPU
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2), fused=fused)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2), fused=fused)
        self.sched_g = torch.optim.lr_scheduler.StepLR(self.opt_g, cfg.decay_every_g, cfg.decay_gamma)
        self.sched_d = torch.optim.lr_scheduler.StepLR(self.opt_d, cfg.decay_every_d, cfg.decay_gamma)
        if self.dist.enabled:
            ids = [dev.index] if dev.type == "cuda" else None
            self._G, self._D = DDP(self.G, device_ids=ids), DDP(self.D, device_ids=ids)
        else:
            self._G, self._D = self.G, self.D
        # Random streams: shared by all processes (order of images, label) or per process.
        self.rng = RandomStreams.create(cfg.seed, dev, rank=rank)
        self.fixed_noise = torch.randn(cfg.sample_count, cfg.nz, 1, 1,
                                       generator=torch.Generator().manual_seed(
                                           stream_seed(cfg.seed, "fixed_noise"))).to(dev)
        self.loop = LoopState.create(len(STEP_METRICS), dev)

    @classmethod
    def resume(cls, run_dir: str | os.PathLike, callbacks: Iterable[Callback] = (), *,
               checkpoint: str = "last", dist: DistInfo | None = None, **changes) -> "GANTrainer":
        """Continue a run exactly where its checkpoint left it.

        Parameters
        ----------
        run_dir : path-like
        callbacks : iterable of Callback
        checkpoint : str
            Name of the checkpoint in ``run_dir/checkpoints`` ('last' or 'best').
        **changes
            Settings that do not change the maths, e.g. ``epochs=`` to extend the
            run, ``device=``, ``num_threads=``.

        Raises
        ------
        CheckpointError
            If the checkpoint is missing, corrupt or not ours.
        """
        return _state.resume_trainer(cls, run_dir, callbacks, checkpoint=checkpoint, dist=dist, **changes)

    # -- public helpers ----------------------------------------------------
    @property
    def epoch(self) -> int:
        """Finished epochs (``self.loop.epoch``)."""
        return self.loop.epoch

    @property
    def step(self) -> int:
        """Global steps taken (``self.loop.step``)."""
        return self.loop.step

    @property
    def history(self) -> list[dict[str, float]]:
        """One metrics row per finished epoch (``self.loop.history``)."""
        return self.loop.history

    @property
    def steps_per_epoch(self) -> int:
        n, b = len(self.data), self.config.batch_size
        return n // b if self.config.drop_last else math.ceil(n / b)

    def sample(self, n: int, *, seed: int | None = None) -> np.ndarray:
        """``n`` generated images, uint8 (n, rows, cols), G in eval mode.

        With ``seed`` the noise is reproducible; without, it comes from the
        run's own sampling stream (saved in checkpoints; training is unaffected).
        """
        gen = torch.Generator().manual_seed(seed) if seed is not None else self.rng.sample
        return sample_generator(self.G, n, generator=gen)

    def save_checkpoint(self, name: str) -> Path:
        """Atomically write ``run_dir/checkpoints/<name>.pt`` (rank 0 only) and return its path."""
        path = self.folder.checkpoint_path(name)
        if self.dist.is_main:
            save_state(path, _state.capture(self))
            self.callbacks.on_checkpoint(self, name, path)
        return path

    # -- the loop ------------------------------------------------------------
    def fit(self, stop: StopToken | None = None) -> dict:
        """Train until ``config.epochs`` (or a stop request, checked between steps).

        Returns
        -------
        dict
            ``status`` ('finished' or 'stopped'), ``epoch``, ``step``,
            ``run_dir``, ``last_checkpoint``, ``warnings``, ``final`` metrics.

        Raises
        ------
        DivergenceError
            When a loss becomes NaN/inf; ``checkpoints/last.pt`` keeps the last
            good state.
        """
        cfg, main = self.config, self.dist.is_main
        if main:
            self.callbacks.on_train_start(self)
        status, loop = "finished", self.loop
        try:
            while loop.epoch < cfg.epochs and status == "finished":
                if not loop.in_epoch:
                    self._begin_epoch()
                t0 = time.perf_counter()
                while loop.pos < self.steps_per_epoch:
                    if self._stop_requested(stop):
                        status = "stopped"
                        break
                    metrics = self.train_next_batch()
                    if metrics is not None and loop.step % cfg.log_every == 0:
                        self._log_step(metrics)
                loop.epoch_seconds += time.perf_counter() - t0
                if status == "finished":
                    finish_epoch(self)
            if status == "stopped":
                finish_stop(self)
        except torch.OutOfMemoryError as exc:
            raise RuntimeError(f"{self.run_dir}: out of GPU memory at batch_size {cfg.batch_size}, "
                               f"image_size {cfg.image_size}; lower batch_size. Last checkpoint kept.") from exc
        except DivergenceError as exc:
            if main:
                self.callbacks.on_train_end(self, summary(self, "diverged", message=str(exc)))
            raise
        result = summary(self, status)
        if main:
            self.callbacks.on_train_end(self, result)
        return result

    def train_next_batch(self) -> dict | None:
        """One optimisation step on the epoch's next batch (the epoch must be under way);
        its metrics, or None when this process had no share of that batch."""
        loop = self.loop
        idx = self._batch_indices(loop.pos)
        metrics = None
        if idx is not None:
            metrics = self._train_step(self._batch(idx))
            loop.add_step(metrics, len(idx) * self.dist.world_size)
        loop.pos += 1
        loop.step += 1
        return metrics

    def _begin_epoch(self) -> None:
        cfg = self.config
        # One-sided label smoothing: this epoch's real label ~ U[min, max] (spec 2.3).
        label = float(self.rng.label.uniform(cfg.real_label_min, cfg.real_label_max))
        self.loop.begin_epoch(torch.randperm(len(self.data), generator=self.rng.perm, device=self.device), label)

    def _batch_indices(self, pos: int) -> torch.Tensor | None:
        """This process's share of global batch ``pos`` (None: too few images to share)."""
        b = self.config.batch_size
        idx = self.loop.perm[pos * b:(pos + 1) * b]
        if self.dist.enabled:
            if len(idx) < self.dist.world_size:
                return None  # every process skips it alike
            idx = idx[self.dist.rank::self.dist.world_size]
        return idx

    def _batch(self, idx: torch.Tensor) -> torch.Tensor:
        """uint8 images -> augmented float batch in [-1, 1], all on the device."""
        cfg, g = self.config, self.rng.aug
        x = self.data.index_select(0, idx).float()  # (B, 1, r, c), 0..255
        b = x.size(0)
        if cfg.flip_h:
            x = torch.where(torch.rand(b, 1, 1, 1, generator=g, device=x.device) < 0.5, x.flip(3), x)
        if cfg.flip_v:
            x = torch.where(torch.rand(b, 1, 1, 1, generator=g, device=x.device) < 0.5, x.flip(2), x)
        if cfg.jitter > 0:
            # brightness: shift by u1; contrast: stretch about the mean so a pixel
            # 127.5 levels away moves by u2; u1, u2 ~ U[-jitter, jitter] grey levels.
            u = (torch.rand(b, 2, 1, 1, generator=g, device=x.device) * 2 - 1) * cfg.jitter
            mean = x.mean(dim=(2, 3), keepdim=True)
            x = ((x - mean) * (1 + u[:, 1:2] / 127.5) + mean + u[:, 0:1]).clamp_(0, 255)
        x = x / 127.5 - 1
        return x.contiguous(memory_format=torch.channels_last) if cfg.channels_last else x

    def _autocast(self):
        if self.config.bf16 and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _train_step(self, real: torch.Tensor) -> torch.Tensor:
        """One D step and one G step; returns the step's metrics as a device tensor (no sync)."""
        b, dev = real.size(0), self.device
        real_label = torch.full((b,), self.loop.label, device=dev)
        fake_label = torch.zeros(b, device=dev)

        ############################
        # (1) Update D: minimise -[log D(x) + log(1 - D(G(z)))]
        ###########################
        self.opt_d.zero_grad(set_to_none=True)
        with self._autocast():
            out_real = self._D(real)                                        # (B,)
        err_d_real = bce(out_real, real_label)
        sync = self._D.no_sync() if self.dist.enabled else contextlib.nullcontext()
        with sync:  # gradients summed locally, reduced once with the fake half
            err_d_real.backward()
        noise = torch.randn(b, self.config.nz, 1, 1, generator=self.rng.noise, device=dev)
        with self._autocast():
            fake = self._G(noise)                                           # (B, 1, r, c)
            out_fake = self._D(fake.detach())
        err_d_fake = bce(out_fake, fake_label)
        err_d_fake.backward()
        self.opt_d.step()

        ############################
        # (2) Update G: minimise -log D(G(z)) (non-saturating; target = the real label)
        ###########################
        self.opt_g.zero_grad(set_to_none=True)
        self.D.requires_grad_(False)  # only G's gradients are needed: skip D's weight grads
        try:
            with self._autocast():
                out_gen = self.D(fake)                                      # (B,), the updated D
            err_g = bce(out_gen, real_label)
            err_g.backward()
        finally:
            self.D.requires_grad_(True)
        self.opt_g.step()
        return torch.stack([err_d_real + err_d_fake, err_g, out_real.float().mean(),
                            out_fake.float().mean(), out_gen.float().mean()]).detach()

    def _stop_requested(self, stop: StopToken | None) -> bool:
        flag = stop is not None and stop.requested
        if self.dist.enabled and self.loop.step % self.config.log_every == 0:
            return any_true(flag, self.dist, self.device)
        return flag and not self.dist.enabled

    def _log_step(self, metrics: torch.Tensor) -> None:
        values = metrics.tolist()  # the only host sync inside an epoch, every log_every steps
        if not self.dist.enabled:
            check_finite(self, dict(zip(STEP_METRICS, values)))
        if self.dist.is_main:
            self.callbacks.on_step_end(self, self.step, dict(zip(STEP_METRICS, values)))

