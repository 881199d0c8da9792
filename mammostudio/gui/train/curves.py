"""Curve helpers of the training monitors: TensorBoard-style smoothing, colours, titles, times."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["FID_LABELS", "PENS", "BANNER", "smooth", "title", "fmt_eta"]

FID_LABELS = {"fid": "FID (standard Inception)", "fid_authors": "FID (authors' backbone, not standard)",
              "fid_random": "random-feature distance (not FID)"}
PENS = {"d": (214, 39, 40), "g": (31, 119, 180), "x": (44, 160, 44), "z": (255, 127, 14), "floor": (120, 120, 120)}
BANNER = {"error": "background:#b00020; color:white; font-weight:bold; padding:6px;",
          "warning": "background:#ff8f00; color:black; font-weight:bold; padding:6px;"}


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average (TensorBoard-style, debiased); weight 0 = raw."""
    values = np.asarray(values, float)
    if weight <= 0 or len(values) == 0:
        return values
    out, acc = np.empty_like(values), 0.0
    for i, v in enumerate(values):
        acc = weight * acc + (1 - weight) * v
        out[i] = acc / (1 - weight ** (i + 1))
    return out


def title(text: str, *keys: tuple[str, str]) -> str:
    """A plot title naming its curves in their colours (a legend box would sit on the curves)."""
    names = "  ".join(f"<span style='color:rgb{PENS[k]}'>&#9644; {name}</span>" for k, name in keys)
    return f"{text}&nbsp;&nbsp;{names}" if names else text


def fmt_eta(seconds: float) -> str:
    """h:mm:ss, or '?' for an unknown time."""
    if not math.isfinite(seconds):
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
