"""Generated images from a checkpoint: ours or a bare released-format state dict.

``mammostudio generate CHECKPOINT OUT --n N --seed S`` writes ``OUT/00000.png``
... and ``OUT/manifest.json`` naming the checkpoint, the seed and the count.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch

from mammostudio.core.atomic import write_text
from mammostudio.core.images import write_png

from .checkpoint import FORMAT, CheckpointError, generator_from_state_dict, load_state
from .config import GANConfig
from .models import Generator

__all__ = ["load_generator", "generate_images", "sample_generator", "to_uint8"]


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, 1, r, c) in [-1, 1] -> uint8 (N, r, c): round((x/2 + 0.5) * 255) (spec 2.1)."""
    x = ((x.float() / 2 + 0.5) * 255).round().clamp_(0, 255)
    return x[:, 0].to(torch.uint8).cpu().numpy()


def load_generator(path: str | os.PathLike, device: str | torch.device = "cpu") -> Generator:
    """The generator of a checkpoint, in eval mode on ``device``.

    Parameters
    ----------
    path : path-like
        Our checkpoint (``last.pt``, ``best.pt``) or a bare generator state dict
        in the released layout (legacy or zip serialisation).

    Raises
    ------
    CheckpointError
        If the file is missing, corrupt, truncated or another architecture.
    """
    state = load_state(path)
    source = str(path)
    if state.get("format") == FORMAT:
        try:
            config = GANConfig.from_dict(state["config"], source=source)
            gen = generator_from_state_dict(state["generator"], source=source, config=config)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(f"{source}: damaged mammostudio checkpoint ({exc})") from exc
    else:
        gen = generator_from_state_dict(state, source=source)
    return gen.to(device).eval()


@torch.inference_mode()
def sample_generator(gen: Generator, n: int, *, generator: torch.Generator,
                     batch_size: int = 256) -> np.ndarray:
    """``n`` uint8 images (n, r, c) from ``gen`` in eval mode; noise drawn on the CPU.

    Drawing the noise on the CPU makes the images the same on every device.
    """
    device = next(gen.parameters()).device
    was_training = gen.training
    gen.eval()
    out = []
    try:
        for start in range(0, n, batch_size):
            m = min(batch_size, n - start)
            z = torch.randn(m, gen.nz, 1, 1, generator=generator).to(device)
            out.append(to_uint8(gen(z)))
    finally:
        gen.train(was_training)
    if not out:
        return np.zeros((0, gen.image_size, gen.image_size), np.uint8)
    return np.concatenate(out)


def generate_images(checkpoint: str | os.PathLike, out_dir: str | os.PathLike, n: int, seed: int = 0,
                    *, device: str | torch.device = "cpu", batch_size: int = 256) -> Path:
    """Write ``n`` generated PNGs and ``manifest.json`` into ``out_dir``; return the manifest path.

    Raises
    ------
    ValueError
        If ``n`` < 1.
    CheckpointError
        If the checkpoint cannot be used.
    """
    if n < 1:
        raise ValueError(f"n: expected at least 1 image, got {n}")
    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    gen = load_generator(checkpoint, device)
    images = sample_generator(gen, n, generator=torch.Generator().manual_seed(seed), batch_size=batch_size)
    width = max(5, len(str(n - 1)))
    files = []
    for i, img in enumerate(images):
        name = f"{i:0{width}d}.png"
        write_png(out_dir / name, img)
        files.append(name)
    manifest = {
        "checkpoint": str(checkpoint.resolve()),
        "checkpoint_sha256": hashlib.sha256(checkpoint.read_bytes()).hexdigest(),
        "seed": int(seed), "count": int(n),
        "image_size": gen.image_size, "nz": gen.nz, "ngf": gen.ngf,
        "noise": "z ~ N(0, 1) drawn on the CPU by torch.Generator().manual_seed(seed), in order",
        "files": files,
    }
    return write_text(out_dir / "manifest.json", json.dumps(manifest, indent=2) + "\n")
