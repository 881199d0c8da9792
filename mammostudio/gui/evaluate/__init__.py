"""Evaluate mode: FID/KID/PRDC, the t-SNE map, the augmentation experiment grid."""
from .page import EvaluatePage
from .panel import EvaluatePanel

__all__ = ["EvaluatePage", "EvaluatePanel"]
