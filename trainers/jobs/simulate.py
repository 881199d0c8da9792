"""Generated lesions for simulation: uint8 arrays from a DCGAN checkpoint (no files written).

The arrays reach :mod:`mammostudio.core.simulate` through this layer (the CLI
imports it directly, the GUI through ``mammostudio.gui.jobs``), with what the
provenance needs: the checkpoint's SHA-256 and the latent seed (the noise is
drawn exactly as ``mammostudio generate`` draws it, so the same seed gives the
same images as a generated folder). For the in-painting generator
(:mod:`trainers.inpaint`) it hands core a pool item and the function that
fills a hole (:func:`make_inpainter`).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mammostudio.core.progress import Job, Progress

__all__ = ["generate_lesions", "lesion_generation_job", "make_inpainter", "inpaint_training_job"]


def generate_lesions(checkpoint: str | os.PathLike, n: int, *, seed: int = 0, device: str = "cpu") -> dict:
    """``n`` generated patches and their provenance.

    Returns
    -------
    dict
        images (uint8 (n, rows, cols)), checkpoint (path), checkpoint_sha256, seed.

    Raises
    ------
    ValueError
        ``n`` < 1, or a checkpoint that cannot be used (CheckpointError).
    """
    import torch

    from trainers.dcgan.generate import load_generator, sample_generator

    if n < 1:
        raise ValueError(f"n: expected at least 1 lesion, got {n}")
    checkpoint = Path(checkpoint)
    gen = load_generator(checkpoint, device)
    images = sample_generator(gen, int(n), generator=torch.Generator().manual_seed(int(seed)))
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    return {"images": images, "checkpoint": str(checkpoint.resolve()), "checkpoint_sha256": digest,
            "seed": int(seed)}


def lesion_generation_job(checkpoint: str | os.PathLike, n: int, *, seed: int = 0) -> Job[dict]:
    """:func:`generate_lesions` as a job (one Progress before, one after)."""
    yield Progress(0, 1, f"generating {n} lesions from {Path(checkpoint).name}")
    result = generate_lesions(checkpoint, n, seed=seed)
    yield Progress(1, 1, f"{n} lesions generated", {"images": result["images"]})
    return result


def make_inpainter(checkpoint: str | os.PathLike, *, size_mm: float = 15.0):
    """An in-painting checkpoint as ``(pool item, inpainter function)`` for core's simulation.

    Raises
    ------
    ValueError
        The checkpoint cannot be used (CheckpointError).
    """
    from mammostudio.core.simulate.sources import inpaint_item
    from trainers.inpaint import inpaint, load_inpainter

    checkpoint = Path(checkpoint)
    net, config = load_inpainter(checkpoint)
    item = inpaint_item(checkpoint=str(checkpoint.resolve()),
                        checkpoint_sha256=hashlib.sha256(checkpoint.read_bytes()).hexdigest(),
                        model_size=config.image_size, hole=(config.hole_min, config.hole_max), size_mm=size_mm)

    def fill(contexts, holes, seed):
        return inpaint(net, contexts, holes, seed=seed)

    return item, fill


def inpaint_training_job(*args, **kwargs) -> Job:
    """:func:`trainers.inpaint.inpaint_training_job` (train the in-painting lesion generator)."""
    from trainers.inpaint import inpaint_training_job as job

    return job(*args, **kwargs)
