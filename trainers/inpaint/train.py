"""Training and using the in-painting lesion generator.

Training data: the lesion patches of a patch dataset (best in 'centred' mode,
so each patch holds the lesion *and* its surroundings), resized to
``image_size``. Each step blanks an ellipse around the centre (diameters
``hole_min``..``hole_max`` of the side, random orientation), and the network
restores it: L1 on the hole plus ``outside_weight`` times L1 outside (the
context is given, so that part is easy). The run folder holds
``config.json`` and ``checkpoints/last.pt`` (format
``mammostudio.inpaint``; tensors and plain values, loads with
``weights_only=True``).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mammostudio.core.progress import Job, Progress
from mammostudio.core.settings import JsonSettings
from mammostudio.core.simulate.inpaint import centred_ellipses as elliptical_holes

from ..dcgan.checkpoint import CheckpointError, load_state, save_state
from .model import InpaintNet

__all__ = ["InpaintConfig", "elliptical_holes", "inpaint_training_job", "load_inpainter", "inpaint", "FORMAT"]

FORMAT = "mammostudio.inpaint"


@dataclass(frozen=True)
class InpaintConfig(JsonSettings):
    """Settings of an in-painting run: ``image_size`` (multiple of 8), network ``width``,
    ``epochs``, ``batch_size``, Adam ``lr``, hole diameters ``hole_min``..``hole_max``
    (fractions of the side), ``outside_weight``, ``seed``, ``num_threads`` (0 = default)."""

    _LABEL = "in-painting config"
    image_size: int = 64
    width: int = 16
    epochs: int = 30
    batch_size: int = 32
    lr: float = 2e-3
    hole_min: float = 0.35
    hole_max: float = 0.65
    outside_weight: float = 0.1
    seed: int = 0
    num_threads: int = 0

    def __post_init__(self) -> None:
        if self.image_size < 8 or self.image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8 (>= 8), got {self.image_size}")
        if not 0 < self.hole_min <= self.hole_max < 1:
            raise ValueError(f"hole sizes must satisfy 0 < hole_min <= hole_max < 1, got "
                             f"{self.hole_min}, {self.hole_max}")
        if self.epochs < 1 or self.batch_size < 1 or self.width < 1:
            raise ValueError("epochs, batch_size and width must be >= 1")

    @classmethod
    def tiny(cls) -> "InpaintConfig":
        """16-pixel images, a narrow network, 2 epochs (tests)."""
        return cls(image_size=16, width=4, epochs=2, batch_size=8)


def _tensor(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[:, None]


def inpaint_training_job(patches, out, config: InpaintConfig | None = None) -> Job[Path]:
    """Train the in-painter on a patch dataset's lesion patches; yields one Progress per epoch.

    Parameters
    ----------
    patches : path-like or numpy.ndarray
        A patch dataset folder, or a uint8 stack (n, s, s) already at ``image_size``.
    out : path-like
        The run folder (``config.json``, ``checkpoints/last.pt``).
    config : InpaintConfig, optional

    Returns
    -------
    pathlib.Path
        The checkpoint.
    """
    config = config or InpaintConfig()
    out = Path(out)
    if isinstance(patches, (str, os.PathLike)):
        from mammostudio.core.patches.dataset import load_patches

        stack, _ = load_patches(patches, "lesion", size=config.image_size)
    else:
        stack = np.asarray(patches)
    if stack.ndim != 3 or stack.shape[1:] != (config.image_size,) * 2 or len(stack) < 2:
        raise ValueError(f"need at least 2 lesion patches of {config.image_size} px, got {stack.shape}")
    if config.num_threads:
        torch.set_num_threads(config.num_threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    net = InpaintNet(config.width)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr, betas=(0.5, 0.999))
    data = _tensor(stack.astype(np.float32) / 127.5 - 1)
    out.mkdir(parents=True, exist_ok=True)
    config.to_json(out / "config.json")
    t0 = time.perf_counter()
    for epoch in range(config.epochs):
        order = torch.from_numpy(rng.permutation(len(data)))
        total = 0.0
        for start in range(0, len(data), config.batch_size):
            batch = data[order[start:start + config.batch_size]]
            if torch.rand(()) < 0.5:  # flips: lesions have no preferred side
                batch = batch.flip(-1)
            hole = _tensor(elliptical_holes(len(batch), config.image_size, rng, config.hole_min, config.hole_max))
            noise = torch.randn_like(batch)
            pred = net(batch, hole, noise)
            err = (pred - batch).abs()
            loss = (err * hole).sum() / hole.sum().clamp(min=1) + \
                config.outside_weight * (err * (1 - hole)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
        yield Progress(epoch + 1, config.epochs, f"epoch {epoch + 1}: L1 {total / len(data):.4f}",
                       {"loss": total / len(data), "seconds": time.perf_counter() - t0})
    path = save_state(out / "checkpoints" / "last.pt",
                      {"format": FORMAT, "config": config.to_dict(), "model": net.state_dict()})
    return path


def load_inpainter(path) -> tuple[InpaintNet, InpaintConfig]:
    """The network (eval mode, CPU) and config of a checkpoint.

    Raises
    ------
    CheckpointError
        Missing, corrupt, or not an in-painting checkpoint.
    """
    state = load_state(path)
    if state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an in-painting checkpoint (format {state.get('format')!r})")
    try:
        config = InpaintConfig.from_dict(state["config"], source=str(path))
        net = InpaintNet(config.width)
        net.load_state_dict(state["model"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged in-painting checkpoint ({exc})") from exc
    return net.eval(), config


@torch.inference_mode()
def inpaint(net: InpaintNet, contexts: np.ndarray, holes: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Fill ``holes`` of uint8 ``contexts`` (n, s, s); pixels outside the holes are kept exactly.

    The noise is drawn on the CPU from ``seed``: the same seed gives the same lesions.
    """
    contexts, holes = np.asarray(contexts), np.asarray(holes, bool)
    if contexts.shape != holes.shape or contexts.ndim != 3:
        raise ValueError(f"contexts and holes must be (n, s, s) of one shape, got {contexts.shape}, {holes.shape}")
    x = _tensor(contexts.astype(np.float32) / 127.5 - 1)
    h = _tensor(holes)
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(int(seed)))
    pred = net(x, h, noise)
    filled = ((pred[:, 0].numpy() + 1) * 127.5).round().clip(0, 255).astype(np.uint8)
    return np.where(holes, filled, contexts.astype(np.uint8))
