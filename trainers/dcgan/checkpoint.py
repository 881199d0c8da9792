"""Checkpoint files: our full training state, and bare released-format generator weights.

Our checkpoint is a dict (tensors and plain values only, so it loads with
``weights_only=True``) with ``format = 'mammostudio.dcgan'``, the config, both
models, both optimisers and schedulers, the epoch/step position, the fixed
noise and every RNG state. The released generator is a bare state dict with
keys ``model.N.*`` (spec 2.1), saved by torch 1.0 in the legacy format.
"""
from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path

import torch

from mammostudio.core.atomic import atomic_path

from .config import GANConfig
from .models import Generator

__all__ = ["CheckpointError", "FORMAT", "save_state", "load_state", "generator_from_state_dict",
           "infer_generator_shape"]

FORMAT = "mammostudio.dcgan"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint cannot be used; the message names the file and the reason."""


def save_state(path: str | os.PathLike, state: dict) -> Path:
    """Atomically write a checkpoint dict (old file intact if the write fails, e.g. disk full)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            torch.save(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def load_state(path: str | os.PathLike) -> dict:
    """Load a checkpoint file safely (``weights_only=True``, onto the CPU).

    Raises
    ------
    CheckpointError
        If the file is missing, truncated, corrupt, holds non-tensor objects,
        or is not a dict.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint file not found")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: checkpoint file is empty")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{path}: {_refusal(exc)}") from exc
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError, KeyError,
            AttributeError, IndexError, TypeError) as exc:
        raise CheckpointError(f"{path}: truncated or corrupt checkpoint ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200] if str(exc) else ''})") from exc
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a dict of weights, found {type(obj).__name__}")
    return obj


_GLOBAL = re.compile(r"(?:unsupported GLOBAL|Unsupported global: GLOBAL)\s+([\w.]+)", re.IGNORECASE)


def _refusal(exc: BaseException) -> str:
    """torch's weights-only refusal as one complete sentence (its own text is a page long)."""
    text = " ".join(str(exc).split())
    found = _GLOBAL.search(text)
    if found:
        return (f"refused: the file asks to load the Python object {found.group(1)}, which a weights-only "
                "checkpoint never holds (it may run code); not loaded. Use a checkpoint from mammostudio "
                "or a plain state dict")
    if text.startswith("Weights only load failed"):
        return "refused: not a plain-weights checkpoint (it holds Python objects, not only tensors); not loaded"
    first = text.split(". ")[0].rstrip(".") if text else type(exc).__name__
    return f"not a plain-weights checkpoint, or corrupt ({first})"


_CONV_KEY = re.compile(r"^model\.(\d+)\.weight$")


def infer_generator_shape(state_dict: dict, *, source: str = "checkpoint") -> tuple[int, int, int]:
    """(image_size, nz, ngf) of a released-layout generator state dict.

    Raises
    ------
    CheckpointError
        If the keys are not those of a ``model``-Sequential DCGAN generator.
    """
    convs = sorted((int(m.group(1)), v) for k, v in state_dict.items()
                   if (m := _CONV_KEY.match(k)) and isinstance(v, torch.Tensor) and v.ndim == 4)
    if len(convs) < 3:
        keys = list(state_dict)[:6]
        raise CheckpointError(f"{source}: not a DCGAN generator state dict (expected keys "
                              f"'model.N.weight' of transposed convolutions; found {keys}...)")
    nz = int(convs[0][1].shape[0])
    ngf = int(convs[-1][1].shape[0])
    image_size = 4 * 2 ** (len(convs) - 1)
    return image_size, nz, ngf


def generator_from_state_dict(state_dict: dict, *, source: str = "checkpoint",
                              config: GANConfig | None = None) -> Generator:
    """Build a Generator and load ``state_dict`` into it strictly.

    The architecture comes from ``config`` when given, else it is inferred
    from the tensor shapes.

    Raises
    ------
    CheckpointError
        On missing/unexpected keys or shape mismatches (another architecture).
    """
    if config is not None:
        size, nz, ngf = config.image_size, config.nz, config.ngf
    else:
        size, nz, ngf = infer_generator_shape(state_dict, source=source)
    try:
        gen = Generator(size, nz, ngf)
    except ValueError as exc:
        raise CheckpointError(f"{source}: unsupported generator shape ({exc})") from exc
    try:
        gen.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:400]
        raise CheckpointError(f"{source}: weights do not fit a DCGAN generator "
                              f"(size {size}, nz {nz}, ngf {ngf}): {detail}") from exc
    return gen
