"""Inception-v3 as a 2048-d feature extractor, in plain torch, for two weight files.

Two variants share one set of module names, so each loads its published state
dict strictly (every key present, every shape right):

* ``layout='fid'`` - the network behind standard FID: TensorFlow's 2015-12-05
  Inception graph as ported by pytorch-fid (``pt_inception-2015-12-05-*.pth``).
  It differs from the ImageNet classifier in three places: the 3x3 average pools
  inside the A, C and first E blocks ignore the zero padding (TensorFlow's
  ``count_include_pad=False`` behaviour), the last E block pools with a max
  instead of an average, and the classifier has 1008 outputs and no auxiliary
  head.
* ``layout='torchvision'`` - torchvision's ImageNet Inception-v3
  (``inception_v3_google-*.pth``): 1000 classes and an auxiliary head. The
  paper's code computed FID with it (pytorch-fid's ``use_fid_inception=False``
  path, which runs the blocks directly and so never applies torchvision's
  ``transform_input`` re-normalisation; nor do we).

The forward pass takes images already scaled to [-1, 1] at 299 x 299 (see
:mod:`trainers.metrics.features`) and returns the global average pool, (n, 2048).
The classifier and auxiliary head are held only so that the state dict loads
strictly; they are never run.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["InceptionV3Features", "LAYOUTS", "FEATURE_DIMS", "random_state_dict"]

LAYOUTS = ("fid", "torchvision")
FEATURE_DIMS = 2048


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 1e-3, as TF's graph), ReLU."""

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _pool3(x: torch.Tensor, mode: str) -> torch.Tensor:
    """The stride-1 3x3 pooling of a branch_pool: 'avg' (pads count), 'tf' or 'max'."""
    if mode == "max":
        return F.max_pool2d(x, 3, stride=1, padding=1)
    # TF averages only over the real pixels at the border; torchvision divides by 9.
    return F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=(mode == "avg"))


class BlockA(nn.Module):
    """35x35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | pool-1x1."""

    def __init__(self, cin: int, pool_features: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 64, 1)
        self.branch5x5_1 = BasicConv2d(cin, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_pool3(x, self.pool))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class BlockB(nn.Module):
    """35x35 -> 17x17 grid reduction: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, stride=2)], 1)


class BlockC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (1x7 and 7x1)."""

    def __init__(self, cin: int, c7: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 192, 1)
        self.branch7x7_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for conv in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                     self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = conv(d)
        bp = self.branch_pool(_pool3(x, self.pool))
        return torch.cat([self.branch1x1(x), b7, d, bp], 1)


class BlockD(nn.Module):
    """17x17 -> 8x8 grid reduction."""

    def __init__(self, cin: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = x
        for conv in (self.branch7x7x3_1, self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = conv(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, 3, stride=2)], 1)


class BlockE(nn.Module):
    """8x8 block whose 3x3 branches split into parallel 1x3 and 3x1 outputs."""

    def __init__(self, cin: int, pool: str) -> None:
        super().__init__()
        self.pool = pool
        self.branch1x1 = BasicConv2d(cin, 320, 1)
        self.branch3x3_1 = BasicConv2d(cin, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        bp = self.branch_pool(_pool3(x, self.pool))
        return torch.cat([self.branch1x1(x), b3, bd, bp], 1)


class AuxHead(nn.Module):
    """torchvision's auxiliary classifier; present only to load its weights."""

    def __init__(self, cin: int, num_classes: int) -> None:
        super().__init__()
        self.conv0 = BasicConv2d(cin, 128, 1)
        self.conv1 = BasicConv2d(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)


class InceptionV3Features(nn.Module):
    """Inception-v3 up to the 2048-d global average pool.

    Parameters
    ----------
    layout : {'fid', 'torchvision'}
        Which published network (and so which state-dict layout) to build.

    Notes
    -----
    Input: float tensor (n, 3, 299, 299) in [-1, 1]. Output: (n, 2048).
    """

    def __init__(self, layout: str = "fid") -> None:
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        self.layout = layout
        fid = layout == "fid"
        pool_a = "tf" if fid else "avg"
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)  # n x 32 x 149 x 149
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)  # n x 32 x 147 x 147
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)  # n x 64 x 147 x 147, pool -> 73
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)  # n x 80 x 73 x 73
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)  # n x 192 x 71 x 71, pool -> 35
        self.Mixed_5b = BlockA(192, 32, pool_a)  # n x 256 x 35 x 35
        self.Mixed_5c = BlockA(256, 64, pool_a)  # n x 288 x 35 x 35
        self.Mixed_5d = BlockA(288, 64, pool_a)  # n x 288 x 35 x 35
        self.Mixed_6a = BlockB(288)  # n x 768 x 17 x 17
        self.Mixed_6b = BlockC(768, 128, pool_a)
        self.Mixed_6c = BlockC(768, 160, pool_a)
        self.Mixed_6d = BlockC(768, 160, pool_a)
        self.Mixed_6e = BlockC(768, 192, pool_a)  # n x 768 x 17 x 17
        if not fid:
            self.AuxLogits = AuxHead(768, 1000)
        self.Mixed_7a = BlockD(768)  # n x 1280 x 8 x 8
        self.Mixed_7b = BlockE(1280, pool_a)  # n x 2048 x 8 x 8
        self.Mixed_7c = BlockE(2048, "max" if fid else "avg")  # n x 2048 x 8 x 8
        self.fc = nn.Linear(FEATURE_DIMS, 1008 if fid else 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, 3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, 3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b,
                      self.Mixed_6c, self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b,
                      self.Mixed_7c):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)

    def load_published(self, state_dict: dict[str, torch.Tensor], *, source: str = "state dict") -> None:
        """Load a published state dict strictly, naming the file on any mismatch.

        Old checkpoints lack BatchNorm's ``num_batches_tracked`` counters, which
        play no part in inference; they are filled in. Every other key must be
        present with the right shape, and no key may be left over.

        Raises
        ------
        ValueError
            Listing missing, unexpected and mis-shaped keys.
        """
        own = self.state_dict()
        sd = dict(state_dict)
        for key, value in own.items():
            if key.endswith("num_batches_tracked") and key not in sd:
                sd[key] = torch.zeros_like(value)
        missing = sorted(set(own) - set(sd))
        unexpected = sorted(set(sd) - set(own))
        shapes = sorted(k for k in set(own) & set(sd) if tuple(own[k].shape) != tuple(sd[k].shape))
        if missing or unexpected or shapes:
            parts = [f"{source}: not an Inception-v3 state dict of the {self.layout!r} layout"]
            for what, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", shapes)):
                if keys:
                    more = f" (+{len(keys) - 5} more)" if len(keys) > 5 else ""
                    parts.append(f"{len(keys)} {what} keys, e.g. {', '.join(keys[:5])}{more}")
            raise ValueError("; ".join(parts))
        self.load_state_dict(sd, strict=True)


def random_state_dict(layout: str = "fid", *, seed: int = 0, random_bn: bool = False) -> dict[str, torch.Tensor]:
    """A fixed, seeded random initialisation with the published key names and shapes.

    Convolution and linear weights are He-normal (std sqrt(2 / fan_in)), so the
    activations keep their scale through the stacked ReLU layers; batch norms start
    as the identity (weight 1, bias 0, mean 0, var 1), or, with ``random_bn``,
    get random affine parameters and running statistics (to test that every
    tensor of a file reaches the right place). Drawn with numpy's PCG64 so the
    same seed gives the same network on any torch version.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    out: dict[str, torch.Tensor] = {}
    for key, value in InceptionV3Features(layout).state_dict().items():
        shape = tuple(value.shape)
        leaf = key.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            arr = np.zeros(shape, dtype=np.int64)
        elif ".bn." in key:
            if random_bn:
                # Scale and variance near 1 keep the signal alive; shift and mean vary.
                lo, hi = {"weight": (0.8, 1.2), "running_var": (0.5, 1.5)}.get(leaf, (-0.2, 0.2))
                arr = rng.uniform(lo, hi, shape)
            else:
                arr = np.ones(shape) if leaf in ("weight", "running_var") else np.zeros(shape)
        elif leaf == "bias":
            arr = rng.uniform(-0.1, 0.1, shape) if random_bn else np.zeros(shape)
        else:
            fan_in = int(np.prod(shape[1:]))
            arr = rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        out[key] = torch.from_numpy(np.asarray(arr, dtype=np.int64 if leaf == "num_batches_tracked" else np.float32))
    return out
