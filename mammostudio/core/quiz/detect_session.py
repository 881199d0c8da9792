"""A reader's pass through a detection pool: marks committed as made, then 'case done'.

Each :meth:`DetectionSession.add_mark` and :meth:`~DetectionSession.delete_mark` commits
at once (a crash loses no mark); :meth:`~DetectionSession.finish_case` commits the case as
read (a ``responses`` row, answer ``'done'``), after which its marks are final. A killed
session resumes at the first unfinished case with that case's committed marks shown again.
In training mode ``finish_case`` returns the truth (outlines, source, type) and how each
mark was scored; in assessment mode it returns None.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .detect_score import Mark, Outline, score_marks
from .session import ReadingSession, StudyError, now_iso

__all__ = ["DetectionSession", "DetectionCaseView", "DetectionView", "LesionTruth", "DetectionFeedback",
           "case_truth"]


@dataclass(frozen=True)
class DetectionView:
    """One image of a case as shown: pixels and the mapping to original pixels."""

    image_key: str
    label: str
    pixels: np.ndarray
    scale: float  # original = (display + 0.5) * scale - 0.5

    def to_original(self, row: float, col: float) -> tuple[float, float]:
        """Display (row, col) -> original pixel (row, col)."""
        return (row + 0.5) * self.scale - 0.5, (col + 0.5) * self.scale - 0.5

    def to_display(self, row: float, col: float) -> tuple[float, float]:
        """Original (row, col) -> display (row, col)."""
        return (row + 0.5) / self.scale - 0.5, (col + 0.5) / self.scale - 0.5


@dataclass(frozen=True)
class DetectionCaseView:
    """What the reading screen may know: images and the reader's own marks, no truth."""

    position: int
    total: int
    views: tuple[DetectionView, ...]
    marks: tuple[Mark, ...]


@dataclass(frozen=True)
class LesionTruth:
    """A lesion revealed in training mode."""

    lesion_no: int
    lesion_type: str
    status: str
    source: str  # 'real' | 'simulated'
    outlines: tuple[Outline, ...]
    found: bool


@dataclass(frozen=True)
class DetectionFeedback:
    """Training feedback after a case: the lesions and the score of each mark."""

    lesions: tuple[LesionTruth, ...]
    lesion_of: dict  # mark_id -> lesion number (LL) or None (NL)


def case_truth(conn, case_id: str) -> tuple[list[tuple], list[Outline]]:
    """(lesion_no, type, status, source) rows and every outline (with pixel spacing) of a case."""
    lesions = conn.execute("SELECT lesion_no, lesion_type, status, source FROM det_lesions WHERE case_id=? "
                           "ORDER BY lesion_no", (case_id,)).fetchall()
    outlines = [Outline(int(n), k, (r0, c0, r1, c1), sp) for n, k, r0, c0, r1, c1, sp in conn.execute(
        "SELECT o.lesion_no, o.image_key, o.row_min, o.col_min, o.row_max, o.col_max, i.spacing_mm "
        "FROM det_outlines o JOIN det_images i USING (image_key) WHERE o.case_id=? ORDER BY o.lesion_no",
        (case_id,))]
    return lesions, outlines


class DetectionSession(ReadingSession):
    """One reader's pass through a detection pool (see the module docstring)."""

    def _case_at(self, pos: int) -> str:
        return self._conn.execute("SELECT case_id FROM session_cases WHERE session_id=? AND position=?",
                                  (self.session_id, pos)).fetchone()[0]

    def next_case(self) -> DetectionCaseView | None:
        """The first unfinished case with its committed marks (starts the clock), or None."""
        pos = self._next_position()
        if pos is None:
            return None
        case_id = self._case_at(pos)
        views = []
        for key, label, scale in self._conn.execute(
                "SELECT image_key, view, scale FROM det_images WHERE case_id=? ORDER BY view_index", (case_id,)):
            views.append(DetectionView(key, label, self._store.detection_pixels(key), float(scale)))
        self._pos = pos
        self._keys = {v.image_key for v in views}
        self._shown_at, self._shown_clock = now_iso(), time.monotonic()
        return DetectionCaseView(pos, self.total, tuple(views), tuple(self.marks()))

    def marks(self) -> list[Mark]:
        """The current case's marks (not deleted), in the order made."""
        rows = self._conn.execute(
            "SELECT mark_id, image_key, row, col, rating FROM det_marks WHERE session_id=? AND position=? "
            "AND deleted_at IS NULL ORDER BY mark_id", (self.session_id, self._pos)).fetchall()
        return [Mark(int(i), k, float(r), float(c), int(g)) for i, k, r, c, g in rows]

    def _check_open(self) -> None:
        if self._shown_clock is None:
            raise StudyError("no case is open; call next_case() first")

    def add_mark(self, image_key: str, row: float, col: float, rating: int) -> int:
        """Commit a mark (original pixels) with its rating 1..K; returns its id."""
        self._check_open()
        if image_key not in self._keys:
            raise ValueError(f"image {image_key!r} is not part of the current case")
        levels = self.config.confidence_levels
        if not (isinstance(rating, (int, np.integer)) and 1 <= rating <= levels):
            raise ValueError(f"rating must be an integer 1..{levels}, got {rating!r}")
        with self._store._tx():
            cur = self._conn.execute(
                "INSERT INTO det_marks (session_id, position, image_key, row, col, rating, made_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (self.session_id, self._pos, image_key, float(row), float(col),
                                                 int(rating), now_iso()))
        return int(cur.lastrowid)

    def set_rating(self, mark_id: int, rating: int) -> int:
        """Change a mark's rating (committed as a new mark replacing the old one); returns the new id."""
        old = [m for m in self.marks() if m.mark_id == mark_id]
        if not old:
            raise ValueError(f"no mark {mark_id} on this case")
        new_id = self.add_mark(old[0].image_key, old[0].row, old[0].col, rating)
        self.delete_mark(mark_id)
        return new_id

    def delete_mark(self, mark_id: int) -> None:
        """Withdraw a mark of the current case (its row stays, marked deleted)."""
        self._check_open()
        with self._store._tx():
            n = self._conn.execute(
                "UPDATE det_marks SET deleted_at=? WHERE mark_id=? AND session_id=? AND position=? "
                "AND deleted_at IS NULL", (now_iso(), int(mark_id), self.session_id, self._pos)).rowcount
        if n != 1:
            raise ValueError(f"no mark {mark_id} on this case")

    def finish_case(self, *, rt_ms: float | None = None) -> DetectionFeedback | None:
        """Commit the current case as read; training mode returns its truth and scored marks."""
        self._check_open()
        if rt_ms is None:
            rt_ms = (time.monotonic() - self._shown_clock) * 1000.0
        pos = self._pos
        with self._store._tx():
            self._conn.execute("INSERT INTO responses VALUES (?, ?, 'done', NULL, ?, ?, ?, 0)",
                               (self.session_id, pos, self._shown_at, now_iso(), float(rt_ms)))
            done = self._next_position() is None
            if done:
                self._conn.execute("UPDATE sessions SET finished=? WHERE session_id=?", (now_iso(), self.session_id))
        self._shown_clock = None
        if done:
            self._store.checkpoint()
        return self._feedback(pos) if self.mode == "training" else None

    def record(self, *args, **kwargs):  # noqa: D102 (the patch tasks' entry point)
        raise StudyError("a detection study records marks: use add_mark() and finish_case()")

    def _feedback(self, pos: int) -> DetectionFeedback:
        case_id = self._case_at(pos)
        lesions, outlines = case_truth(self._conn, case_id)
        marks = [Mark(int(i), k, float(r), float(c), int(g)) for i, k, r, c, g in self._conn.execute(
            "SELECT mark_id, image_key, row, col, rating FROM det_marks WHERE session_id=? AND position=? "
            "AND deleted_at IS NULL ORDER BY mark_id", (self.session_id, pos))]
        lesion_of, ll = score_marks(marks, outlines, len(lesions), radius_mm=self.config.acceptance_radius_mm)
        truth = tuple(LesionTruth(int(n), t, s, src, tuple(o for o in outlines if o.lesion_no == n),
                                  ll[int(n) - 1] > -np.inf) for n, t, s, src in lesions)
        return DetectionFeedback(truth, lesion_of)

    def _truth_for_simulation(self, pos: int) -> list[Outline]:
        """Outlines of a position's lesions, for :mod:`.simulate` only (never for a reading screen)."""
        return case_truth(self._conn, self._case_at(pos))[1]
