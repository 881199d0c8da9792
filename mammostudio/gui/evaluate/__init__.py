"""Evaluation views: FID/KID/PRDC, the t-SNE map, the augmentation experiment grid (issue 8)."""
from .panel import EvaluatePanel

__all__ = ["EvaluatePanel"]
