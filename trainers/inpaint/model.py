"""The in-painting network: a three-level encoder-decoder with skip connections (a small U-Net)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["InpaintNet"]


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, inplace=True))


class InpaintNet(nn.Module):
    """(context, hole, noise) -> patch, all (N, 1, s, s); ``s`` a multiple of 8.

    Parameters
    ----------
    width : int
        Channels of the first level (doubled at each of the three levels).
    """

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = int(width)
        self.width = w
        self.enc1 = _block(3, w)                                   # s
        self.enc2 = nn.Sequential(nn.MaxPool2d(2), _block(w, 2 * w))      # s/2
        self.enc3 = nn.Sequential(nn.MaxPool2d(2), _block(2 * w, 4 * w))  # s/4
        self.mid = nn.Sequential(nn.MaxPool2d(2), _block(4 * w, 4 * w),   # s/8
                                 nn.Upsample(scale_factor=2, mode="nearest"))
        self.dec3 = nn.Sequential(_block(8 * w, 2 * w), nn.Upsample(scale_factor=2, mode="nearest"))
        self.dec2 = nn.Sequential(_block(4 * w, w), nn.Upsample(scale_factor=2, mode="nearest"))
        self.dec1 = nn.Sequential(_block(2 * w, w), nn.Conv2d(w, 1, 1), nn.Tanh())

    def forward(self, context: torch.Tensor, hole: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        x1 = self.enc1(torch.cat([context * (1 - hole), hole, noise * hole], dim=1))
        x2 = self.enc2(x1)
        x3 = self.enc3(x2)
        y = self.mid(x3)
        y = self.dec3(torch.cat([y, x3], dim=1))
        y = self.dec2(torch.cat([y, x2], dim=1))
        return self.dec1(torch.cat([y, x1], dim=1))
