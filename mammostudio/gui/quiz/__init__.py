"""Quiz mode widgets: reading screens (patches, detection), study design dialog, results views.

The main window embeds :class:`QuizPanel`; the others are usable on their own.
"""
from __future__ import annotations

from .design_dialog import DesignDialog
from .detection import DetectionWidget
from .detection_dialog import DetectionDesignDialog
from .detection_results import DetectionResultsView
from .panel import QuizPanel
from .patch_view import PatchView
from .reading import ReadingWidget
from .results import ResultsView

__all__ = ["DesignDialog", "DetectionDesignDialog", "DetectionResultsView", "DetectionWidget", "PatchView", "QuizPanel", "ReadingWidget", "ResultsView"]
