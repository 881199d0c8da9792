"""The paper's generator and discriminator (spec 2.1, 2.2), for 16- to 256-pixel images.

At the released settings (128 pixels, nz = 200, ngf = ndf = 45) the generator has
5,395,770 parameters and the state-dict layout of the released weights (one
``nn.Sequential`` named ``model``, 31 entries); the discriminator has 8,903,880.
Other sizes add or drop up/down blocks; channel widths follow the released
multipliers (10, 8, 4, 2, 1) x ngf counted from the output end.
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["Generator", "Discriminator", "init_weights", "count_parameters", "width_multipliers"]

# Released widths, widest first; a 256-pixel net repeats the widest.
_RELEASED_MULTIPLIERS = (10, 8, 4, 2, 1)


def width_multipliers(image_size: int) -> tuple[int, ...]:
    """Channel multipliers of the hidden layers, widest (4x4) first.

    128 -> (10, 8, 4, 2, 1) as released; 64 -> (8, 4, 2, 1); 16 -> (2, 1);
    256 -> (10, 10, 8, 4, 2, 1).
    """
    blocks = int(math.log2(image_size)) - 2  # hidden layers between 4x4 and the output
    if image_size < 16 or 2 ** (blocks + 2) != image_size:
        raise ValueError(f"image_size: expected a power of two >= 16, got {image_size}")
    if blocks <= len(_RELEASED_MULTIPLIERS):
        return _RELEASED_MULTIPLIERS[-blocks:]
    return (_RELEASED_MULTIPLIERS[0],) * (blocks - len(_RELEASED_MULTIPLIERS)) + _RELEASED_MULTIPLIERS


class Generator(nn.Module):
    """z (N, nz, 1, 1) -> images (N, 1, size, size) in [-1, 1] (spec 2.1).

    Transposed convolutions without bias, each but the last followed by
    BatchNorm and LeakyReLU(0.2); Tanh at the end.
    """

    def __init__(self, image_size: int = 128, nz: int = 200, ngf: int = 45) -> None:
        super().__init__()
        self.image_size, self.nz, self.ngf = image_size, nz, ngf
        widths = [m * ngf for m in width_multipliers(image_size)]
        layers: list[nn.Module] = []
        cin = nz
        for i, cout in enumerate(widths):
            # first: (nz, 1, 1) -> (cout, 4, 4); then each doubles the side
            kernel, stride, pad = (4, 1, 0) if i == 0 else (4, 2, 1)
            layers += [nn.ConvTranspose2d(cin, cout, kernel, stride, pad, bias=False),
                       nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True)]
            cin = cout
        layers += [nn.ConvTranspose2d(cin, 1, 4, 2, 1, bias=False), nn.Tanh()]  # (1, size, size)
        self.model = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z)


class Discriminator(nn.Module):
    """images (N, 1, size, size) in [-1, 1] -> probability real (N,) (spec 2.2).

    Convolutions without bias: the first (``first_kernel``, stride 2) has no
    BatchNorm; the hidden ones use ``kernel`` 6 / stride 2 / pad 2; a 4x4 valid
    convolution and a Sigmoid give one probability per image.
    """

    def __init__(self, image_size: int = 128, ndf: int = 45, *, first_kernel: int = 4,
                 kernel: int = 6) -> None:
        super().__init__()
        self.image_size, self.ndf = image_size, ndf
        widths = [m * ndf for m in reversed(width_multipliers(image_size))]
        pad_first, pad = (first_kernel - 2) // 2, (kernel - 2) // 2  # keep exact halving
        layers: list[nn.Module] = [nn.Conv2d(1, widths[0], first_kernel, 2, pad_first, bias=False),
                                   nn.LeakyReLU(0.2, inplace=True)]  # (ndf, size/2, size/2)
        for cin, cout in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(cin, cout, kernel, 2, pad, bias=False),  # halves the side
                       nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True)]
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False), nn.Sigmoid()]  # (1, 1, 1)
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)


def init_weights(module: nn.Module, *, std: float = 0.02, generator: torch.Generator | None = None) -> None:
    """DCGAN initialisation: conv weights N(0, std), BatchNorm weight N(1, std), bias 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std, generator=generator)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std, generator=generator)
            nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
