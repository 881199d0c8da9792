"""Quiz mode widgets: reading screen, study design dialog, results view.

The main window embeds :class:`QuizPanel`; the others are usable on their own.
"""
from __future__ import annotations

from .design_dialog import DesignDialog
from .panel import QuizPanel
from .patch_view import PatchView
from .reading import ReadingWidget
from .results import ResultsView

__all__ = ["DesignDialog", "PatchView", "QuizPanel", "ReadingWidget", "ResultsView"]
