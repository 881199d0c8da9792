"""Reader studies: can radiologists tell generated lesion patches from real ones?

- :mod:`.design`: study configuration, item pools, per-reader order, memorisation screen.
- :mod:`.sources`: loading real patches and generated folders.
- :mod:`.store`: the SQLite study database (single source of truth), reading sessions.
- :mod:`.stats`, :mod:`.report`: statistics and the study-level results.
- :mod:`.export`: Excel, tidy CSV, iMRMC and MRMCaov files.
- Detection studies (whole mammograms, marks with ratings): :mod:`.detect` (design),
  :mod:`.detect_session` (reading), :mod:`.detect_score` (LL / NL), :mod:`.froc` (FROC,
  AFROC, wAFROC, jackknife), :mod:`.detect_report`, :mod:`.export_detection` (RJafroc).
- :mod:`.storefile`: read-only opening, locked-file retries, the self-contained copy.
"""
from __future__ import annotations

from .design import (
    MODES,
    TASKS,
    Case,
    ImageSet,
    Item,
    ReaderProfile,
    StudyConfig,
    StudyDesign,
    design_study,
    display_pixels,
    reader_order,
    screen_memorisation,
)
from .report import StudyResults, summarise
from .store import CaseView, Feedback, QuizStore, ReadingSession, StudyError

__all__ = [
    "MODES", "TASKS", "Case", "CaseView", "Feedback", "ImageSet", "Item", "QuizStore", "ReaderProfile",
    "ReadingSession", "StudyConfig", "StudyDesign", "StudyError", "StudyResults", "design_study",
    "display_pixels", "reader_order", "screen_memorisation", "summarise",
]
