"""Simulate mode: lesion insertion by hand (live preview) and the batch simulation job."""
from .panel import SimulatePanel

__all__ = ["SimulatePanel"]
