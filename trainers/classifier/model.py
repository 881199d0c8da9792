"""The classifier network: the DCGAN discriminator's layout, narrower, giving logits.

With ``ndf = 9`` the widths are 9, 18, 36, 72, 90 -> 1 and the network has
357,768 parameters at 128 pixels (spec 3.2). The layers are built by
:class:`trainers.dcgan.models.Discriminator` so the two stay one design; the
final Sigmoid is dropped because training uses ``BCEWithLogitsLoss``
(numerically safer than BCE on probabilities).
"""
from __future__ import annotations

import torch
from torch import nn

from ..dcgan.models import Discriminator

__all__ = ["LesionClassifier"]


class LesionClassifier(nn.Module):
    """images (N, 1, size, size) in [0, 1] -> lesion logits (N,)."""

    def __init__(self, image_size: int = 128, ndf: int = 9) -> None:
        super().__init__()
        body = Discriminator(image_size=image_size, ndf=ndf)
        body.main[-1] = nn.Identity()  # logits, not probabilities
        self.main = body.main
        self.image_size, self.ndf = image_size, ndf

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1)
