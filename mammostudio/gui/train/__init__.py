"""Train mode: run form, live monitors, run history, comparisons, generation (issue 8)."""
from .panel import TrainPanel, default_workspace

__all__ = ["TrainPanel", "default_workspace"]
