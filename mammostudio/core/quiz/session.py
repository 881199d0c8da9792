"""A reader's pass through one pool of a study: next case, record, feedback.

Every answer is committed in its own transaction before :meth:`ReadingSession.next_case`
can show the next case; the next case is always the first unanswered position
of the session's fixed order, so a killed session resumes exactly there.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

__all__ = ["ReadingSession", "CaseView", "Feedback", "StudyError", "now_iso"]


class StudyError(ValueError):
    """A study file is missing, of another schema version, or used against its rules."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 with milliseconds (timestamps in the database)."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class CaseView:
    """What the reading screen may know about a case: no truth, no source."""

    position: int  # 0-based within the session
    total: int
    images: tuple[np.ndarray, ...]  # one, or (left, right) for 2AFC


@dataclass(frozen=True)
class Feedback:
    """Training-mode feedback after an answer."""

    correct: bool | None  # None when timed out
    truth: str  # single: 'real' | 'generated'; 2AFC: 'left' | 'right' (the generated side)
    lesion_type: str
    status: str
    source: str


class ReadingSession:
    """One reader's pass through a pool; resumes at the first unanswered case."""

    def __init__(self, store: QuizStore, session_id: int) -> None:
        self._store = store
        self._conn = store._conn
        self.session_id = session_id
        row = self._conn.execute(
            "SELECT s.mode, r.code FROM sessions s JOIN readers r USING (reader_id) WHERE session_id=?",
            (session_id,)).fetchone()
        self.mode, self.reader = row[0], row[1]
        self.config = store.config
        self.total = int(self._conn.execute("SELECT COUNT(*) FROM session_cases WHERE session_id=?",
                                            (session_id,)).fetchone()[0])
        self._shown_at: str | None = None
        self._shown_clock: float | None = None

    @property
    def answered(self) -> int:
        """Cases answered so far in this session (committed)."""
        return int(self._conn.execute("SELECT COUNT(*) FROM responses WHERE session_id=?",
                                      (self.session_id,)).fetchone()[0])

    @property
    def finished(self) -> bool:
        """True when every case has an answer."""
        return self.answered >= self.total

    def _next_position(self) -> int | None:
        row = self._conn.execute(
            "SELECT MIN(sc.position) FROM session_cases sc LEFT JOIN responses r "
            "ON r.session_id = sc.session_id AND r.position = sc.position "
            "WHERE sc.session_id=? AND r.position IS NULL", (self.session_id,)).fetchone()
        return None if row[0] is None else int(row[0])

    def next_case(self) -> CaseView | None:
        """The next unanswered case (starts its response clock), or None when done."""
        pos = self._next_position()
        if pos is None:
            return None
        case_id, swap = self._conn.execute(
            "SELECT case_id, swap FROM session_cases WHERE session_id=? AND position=?",
            (self.session_id, pos)).fetchone()
        a, b = self._conn.execute("SELECT item_a, item_b FROM cases WHERE case_id=?", (case_id,)).fetchone()
        ids = (a,) if b is None else ((b, a) if swap else (a, b))
        self._shown_at, self._shown_clock = now_iso(), time.monotonic()
        return CaseView(pos, self.total, tuple(self._store.item_pixels(i) for i in ids))

    def record(self, answer: str | None, confidence: int | None = None, *,
               rt_ms: float | None = None, timed_out: bool = False) -> Feedback | None:
        """Commit the answer to the case last returned by :meth:`next_case`.

        Parameters
        ----------
        answer : {'real', 'generated'} for single images, {'left', 'right'} (the
            side picked as generated) for 2AFC, or None when timed out.
        confidence : int, 1..confidence_levels (None when the study asks for none).
        rt_ms : float, optional
            Response time; by default measured since :meth:`next_case`.

        Returns
        -------
        Feedback or None
            Feedback in training mode; None in assessment mode.
        """
        if self._shown_clock is None:
            raise StudyError("record() called before next_case()")
        pos = self._next_position()
        if pos is None:
            raise StudyError("this session is already complete")
        pair = self.config.task == "2afc"
        allowed = ("left", "right") if pair else ("real", "generated")
        if timed_out:
            answer, confidence = None, None
        elif answer not in allowed:
            raise ValueError(f"answer must be one of {allowed}, got {answer!r}")
        levels = self.config.confidence_levels
        if not timed_out and levels and not (isinstance(confidence, (int, np.integer)) and 1 <= confidence <= levels):
            raise ValueError(f"confidence must be an integer 1..{levels}, got {confidence!r}")
        if rt_ms is None:
            rt_ms = (time.monotonic() - self._shown_clock) * 1000.0
        with self._store._tx():
            self._conn.execute(
                "INSERT INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (self.session_id, pos, answer, None if not levels or confidence is None else int(confidence),
                 self._shown_at, now_iso(), float(rt_ms), int(timed_out)))
            done = self._next_position() is None
            if done:
                self._conn.execute("UPDATE sessions SET finished=? WHERE session_id=?", (now_iso(), self.session_id))
        self._shown_clock = None
        if done:
            self._store.checkpoint()  # session end: the .sqlite alone holds every answer
        return self._feedback(pos, answer) if self.mode == "training" else None

    def _truth_row(self, pos: int) -> tuple[str, str, str, str]:
        case_id, swap = self._conn.execute(
            "SELECT case_id, swap FROM session_cases WHERE session_id=? AND position=?",
            (self.session_id, pos)).fetchone()
        a, b = self._conn.execute("SELECT item_a, item_b FROM cases WHERE case_id=?", (case_id,)).fetchone()
        if b is None:
            return self._conn.execute(
                "SELECT truth, lesion_type, status, source FROM items WHERE item_id=?", (a,)).fetchone()
        ltype, status = self._conn.execute("SELECT lesion_type, status FROM items WHERE item_id=?", (a,)).fetchone()
        source = self._conn.execute("SELECT source FROM items WHERE item_id=?", (b,)).fetchone()[0]
        # item_a is the real image, item_b the generated one; swap shows item_b on the left.
        return ("left" if swap else "right"), ltype, status, source

    def _truth_for_simulation(self, pos: int) -> str:
        """Truth of a position, for :mod:`.simulate` only (never for a reading screen)."""
        return self._truth_row(pos)[0]

    def _feedback(self, pos: int, answer: str | None) -> Feedback:
        truth, ltype, status, source = self._truth_row(pos)
        return Feedback(None if answer is None else answer == truth, truth, ltype, status, source)

