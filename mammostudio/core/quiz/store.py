"""The study database: one SQLite file per study, the single source of truth.

Tables: ``meta`` (schema version, config, design log), ``items`` (pixels as PNG
blobs under opaque ids, with the hidden truth), ``cases``, ``readers``,
``sessions``, ``session_cases`` (each session's seeded order, fixed at its
start) and ``responses``. Write-ahead logging with ``synchronous=FULL``: every
answer is committed in its own transaction before the next case is shown, so a
session killed between answers loses nothing and resumes at the next
unanswered case.

The reading side (:class:`ReadingSession`) hands out pixels and positions only;
truth leaves the database only through :meth:`QuizStore.responses` (the
examiner's analysis) and, in training mode, through the feedback after an answer.
"""
from __future__ import annotations

import io
import json
import os
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from .design import MODES, ReaderProfile, StudyConfig, StudyDesign, reader_order
from .session import CaseView, Feedback, ReadingSession, StudyError, now_iso as _now

__all__ = ["SCHEMA_VERSION", "QuizStore", "ReadingSession", "CaseView", "Feedback", "StudyError"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    item_id TEXT PRIMARY KEY, pool TEXT NOT NULL, truth TEXT NOT NULL CHECK (truth IN ('real', 'generated')),
    source TEXT NOT NULL, origin TEXT NOT NULL, lesion_type TEXT NOT NULL, status TEXT NOT NULL,
    nn_distance REAL, png BLOB NOT NULL);
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY, pool TEXT NOT NULL, item_a TEXT NOT NULL REFERENCES items,
    item_b TEXT REFERENCES items);
CREATE TABLE readers (
    reader_id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, experience_years REAL,
    subspecialty TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE sessions (
    session_id INTEGER PRIMARY KEY, reader_id INTEGER NOT NULL REFERENCES readers, mode TEXT NOT NULL,
    session_index INTEGER NOT NULL, started TEXT NOT NULL, finished TEXT);
CREATE TABLE session_cases (
    session_id INTEGER NOT NULL REFERENCES sessions, position INTEGER NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases, swap INTEGER NOT NULL, PRIMARY KEY (session_id, position));
CREATE TABLE responses (
    session_id INTEGER NOT NULL, position INTEGER NOT NULL, answer TEXT, confidence INTEGER,
    shown_at TEXT NOT NULL, answered_at TEXT NOT NULL, rt_ms REAL NOT NULL, timed_out INTEGER NOT NULL,
    PRIMARY KEY (session_id, position), FOREIGN KEY (session_id, position) REFERENCES session_cases);
"""


def _png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def _png_pixels(blob: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as im:
        return np.asarray(im.convert("L")).copy()


class QuizStore:
    """A reader study database (see the module docstring for its tables)."""

    def __init__(self, path: str | os.PathLike, conn: sqlite3.Connection) -> None:
        self.path = Path(path)
        self._conn = conn
        self._closed = False
        self.config = StudyConfig.from_json(self._meta("config"))

    # --- opening -----------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @classmethod
    def create(cls, path: str | os.PathLike, design: StudyDesign) -> "QuizStore":
        """Write a new study database from a design (refuses to overwrite).

        The file is built under a temporary name and renamed when complete.
        """
        path = Path(path)
        if path.exists():
            raise StudyError(f"{path}: already exists; choose a new study file")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.part")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            meta = {"schema_version": str(SCHEMA_VERSION), "config": design.config.to_json(),
                    "log": json.dumps(design.log), "created": _now(),
                    "screening": design.screening.to_json(orient="records")}
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            conn.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(it.item_id, it.pool, it.truth, it.source, it.origin, it.lesion_type, it.status,
                  None if it.nn_distance is None else float(it.nn_distance), _png_bytes(it.pixels))
                 for it in design.items])
            conn.executemany(
                "INSERT INTO cases VALUES (?, ?, ?, ?)",
                [(c.case_id, c.pool, c.item_ids[0], c.item_ids[1] if len(c.item_ids) > 1 else None)
                 for c in design.cases])
            conn.execute("COMMIT")
        except BaseException:
            conn.close()
            tmp.unlink(missing_ok=True)
            raise
        conn.close()
        os.replace(tmp, path)
        return cls.open(path)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "QuizStore":
        """Open an existing study; checks that it is one and of this schema version."""
        path = Path(path)
        if not path.is_file():
            raise StudyError(f"{path}: no such study file")
        conn = None
        try:
            conn = cls._connect(path)
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise StudyError(f"{path}: not a mammostudio reader study ({exc})") from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            conn.close()
            raise StudyError(f"{path}: study schema version {row and row[0]}, this program reads {SCHEMA_VERSION}")
        return cls(path, conn)

    def close(self) -> None:
        """Fold the write-ahead log into the study file and close (answers are already committed).

        After close the ``.sqlite`` file alone holds everything and can be copied.
        Closing twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        try:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            pass  # another connection is reading: the log is folded in when the last one closes
        self._conn.close()

    def __enter__(self) -> "QuizStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _meta(self, key: str) -> str:
        return self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()[0]

    @property
    def log(self) -> list[str]:
        """The design and screening log written when the study was created."""
        return json.loads(self._meta("log"))

    # --- readers and sessions ----------------------------------------------
    def add_reader(self, profile: ReaderProfile) -> int:
        """Register a reader, or update an existing code's profile with the fields given; returns its id."""
        with self._tx():
            self._conn.execute(
                "INSERT INTO readers (code, experience_years, subspecialty, created) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(code) DO UPDATE SET "
                "experience_years=COALESCE(excluded.experience_years, readers.experience_years), "
                "subspecialty=CASE WHEN excluded.subspecialty != '' THEN excluded.subspecialty "
                "ELSE readers.subspecialty END",
                (profile.code.strip(), profile.experience_years, profile.subspecialty, _now()))
        return int(self._conn.execute("SELECT reader_id FROM readers WHERE code=?", (profile.code.strip(),)).fetchone()[0])

    def readers(self) -> pd.DataFrame:
        """Reader profiles: reader_id, code, experience_years, subspecialty, created."""
        return pd.read_sql_query("SELECT * FROM readers ORDER BY reader_id", self._conn)

    def n_cases(self, pool: str) -> int:
        """Number of cases in a pool ('training' or 'assessment')."""
        return int(self._conn.execute("SELECT COUNT(*) FROM cases WHERE pool=?", (pool,)).fetchone()[0])

    def start_session(self, reader_code: str, mode: str) -> "ReadingSession":
        """Resume the reader's unfinished session in ``mode``, or start a new one.

        Raises
        ------
        StudyError
            If the reader is unknown, or already completed the assessment (one
            assessment per reader: a second reading would not be independent).
        """
        if mode not in MODES:
            raise StudyError(f"mode must be one of {MODES}, got {mode!r}")
        row = self._conn.execute("SELECT reader_id FROM readers WHERE code=?", (reader_code.strip(),)).fetchone()
        if row is None:
            raise StudyError(f"unknown reader {reader_code!r}; add the reader profile first")
        reader_id = int(row[0])
        open_row = self._conn.execute(
            "SELECT session_id FROM sessions WHERE reader_id=? AND mode=? AND finished IS NULL "
            "ORDER BY session_id DESC LIMIT 1", (reader_id, mode)).fetchone()
        if open_row is not None:
            return ReadingSession(self, int(open_row[0]))
        done = int(self._conn.execute("SELECT COUNT(*) FROM sessions WHERE reader_id=? AND mode=?",
                                      (reader_id, mode)).fetchone()[0])
        if mode == "assessment" and done:
            raise StudyError(f"reader {reader_code!r} has already completed the assessment")
        case_ids = [r[0] for r in self._conn.execute("SELECT case_id FROM cases WHERE pool=?", (mode,))]
        if not case_ids:
            raise StudyError(f"this study has no {mode} cases")
        order, swap = reader_order(case_ids, seed=self.config.seed, reader_code=reader_code.strip(),
                                   mode=mode, session_index=done)
        with self._tx():
            cur = self._conn.execute(
                "INSERT INTO sessions (reader_id, mode, session_index, started) VALUES (?, ?, ?, ?)",
                (reader_id, mode, done, _now()))
            sid = int(cur.lastrowid)
            self._conn.executemany("INSERT INTO session_cases VALUES (?, ?, ?, ?)",
                                   [(sid, p, c, int(s)) for p, (c, s) in enumerate(zip(order, swap))])
        return ReadingSession(self, sid)

    def _tx(self):
        return _Transaction(self._conn)

    # --- examiner side -----------------------------------------------------
    def responses(self) -> pd.DataFrame:
        """Every answer joined with its hidden truth (for analysis; not for readers).

        Columns: reader, experience_years, subspecialty, session_id, mode,
        position, case_id, task, item_id (the generated one for 2AFC), truth,
        source, lesion_type, status, answer, confidence, rt_ms, timed_out,
        shown_at, answered_at, answer_generated, truth_generated, correct, rating.
        """
        q = """
        SELECT r.code AS reader, r.experience_years, r.subspecialty, s.session_id, s.mode, sc.position,
               sc.case_id, c.item_b IS NOT NULL AS is_pair, sc.swap, c.item_a, c.item_b,
               ia.truth AS truth_a, ia.source AS source_a, ia.lesion_type, ia.status,
               ib.source AS source_b, resp.answer, resp.confidence, resp.rt_ms, resp.timed_out,
               resp.shown_at, resp.answered_at
        FROM responses resp
        JOIN session_cases sc ON sc.session_id = resp.session_id AND sc.position = resp.position
        JOIN sessions s ON s.session_id = resp.session_id
        JOIN readers r ON r.reader_id = s.reader_id
        JOIN cases c ON c.case_id = sc.case_id
        JOIN items ia ON ia.item_id = c.item_a
        LEFT JOIN items ib ON ib.item_id = c.item_b
        ORDER BY s.session_id, sc.position"""
        df = pd.read_sql_query(q, self._conn)
        from .stats import score_responses

        return score_responses(df, self.config)

    def item_pixels(self, item_id: str) -> np.ndarray:
        """Pixels (uint8, display size) of one item."""
        row = self._conn.execute("SELECT png FROM items WHERE item_id=?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        return _png_pixels(row[0])

    def items(self) -> pd.DataFrame:
        """Item table without pixels: item_id, pool, truth, source, lesion_type, status, nn_distance."""
        return pd.read_sql_query(
            "SELECT item_id, pool, truth, source, lesion_type, status, nn_distance FROM items ORDER BY item_id",
            self._conn)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
