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

import json
import os
import sqlite3
from pathlib import Path
from typing import Callable

import pandas as pd

from .design import MODES, ReaderProfile, StudyConfig, StudyDesign, reader_order
from .detect_store import DETECTION_SCHEMA, insert_detection
from .session import CaseView, Feedback, ReadingSession, StudyError, now_iso as _now
from .storefile import RetryingTransaction, backup_copy, connect_study, part_file
from .store_read import StudyContents, png_bytes as _png_bytes

__all__ = ["SCHEMA_VERSION", "QuizStore", "ReadingSession", "CaseView", "Feedback", "StudyError"]

SCHEMA_VERSION = 2  # 2: reader profile per session, detection tables, cases.item_a may be NULL
READABLE_VERSIONS = (1, 2)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    item_id TEXT PRIMARY KEY, pool TEXT NOT NULL, truth TEXT NOT NULL CHECK (truth IN ('real', 'generated')),
    source TEXT NOT NULL, origin TEXT NOT NULL, lesion_type TEXT NOT NULL, status TEXT NOT NULL,
    nn_distance REAL, png BLOB NOT NULL);
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY, pool TEXT NOT NULL, item_a TEXT REFERENCES items,
    item_b TEXT REFERENCES items);
CREATE TABLE readers (
    reader_id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, experience_years REAL,
    subspecialty TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE sessions (
    session_id INTEGER PRIMARY KEY, reader_id INTEGER NOT NULL REFERENCES readers, mode TEXT NOT NULL,
    session_index INTEGER NOT NULL, started TEXT NOT NULL, finished TEXT,
    experience_years REAL, subspecialty TEXT);
CREATE TABLE session_cases (
    session_id INTEGER NOT NULL REFERENCES sessions, position INTEGER NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases, swap INTEGER NOT NULL, PRIMARY KEY (session_id, position));
CREATE TABLE responses (
    session_id INTEGER NOT NULL, position INTEGER NOT NULL, answer TEXT, confidence INTEGER,
    shown_at TEXT NOT NULL, answered_at TEXT NOT NULL, rt_ms REAL NOT NULL, timed_out INTEGER NOT NULL,
    PRIMARY KEY (session_id, position), FOREIGN KEY (session_id, position) REFERENCES session_cases);
""" + DETECTION_SCHEMA


class QuizStore(StudyContents):
    """A reader study database (see the module docstring for its tables)."""

    def __init__(self, path: str | os.PathLike, conn: sqlite3.Connection, *, readonly: bool = False,
                 version: int = SCHEMA_VERSION) -> None:
        self.path = Path(path)
        self._conn = conn
        self._closed = False
        self.readonly = readonly
        self.version = version
        self.on_wait: Callable[[str], None] | None = None  # told while a locked file is retried
        self.max_wait_s = 60.0
        self.warnings: list[str] = []  # damaged cases left out of the last analysis
        self.config = StudyConfig.from_json(self._meta("config"))

    @classmethod
    def create(cls, path: str | os.PathLike, design: StudyDesign) -> "QuizStore":
        """Write a new study database from a design (refuses to overwrite).

        The file is built under a temporary name and renamed when complete.
        """
        path = Path(path)
        tmp = part_file(path, "study file")
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            meta = {"schema_version": str(SCHEMA_VERSION), "config": design.config.to_json(),
                    "log": json.dumps(design.log), "created": _now(),
                    "screening": design.screening.to_json(orient="records")}
            conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            if design.config.task == "detection":
                insert_detection(conn, design, _png_bytes)
            else:
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
    def open(cls, path: str | os.PathLike, *, readonly: bool = False) -> "QuizStore":
        """Open an existing study; checks that it is one and of a readable schema version.

        Parameters
        ----------
        readonly : bool
            For analysis and exports: nothing is created, converted or checkpointed
            (see :mod:`.storefile`). Reading sessions need ``readonly=False``.
        """
        path = Path(path)
        conn = connect_study(path, readonly=readonly)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            version = int(row[0]) if row is not None else None
        except (sqlite3.DatabaseError, ValueError) as exc:
            conn.close()
            raise StudyError(f"{path}: not a mammostudio reader study ({exc})") from exc
        if version not in READABLE_VERSIONS:
            conn.close()
            raise StudyError(f"{path}: study schema version {version}, this program reads {READABLE_VERSIONS}")
        if version < SCHEMA_VERSION and not readonly:
            version = cls._upgrade(conn, path)
        store = cls(path, conn, readonly=readonly, version=version)
        wal = Path(f"{path}-wal")
        if readonly and wal.exists() and wal.stat().st_size > 0:
            store.warnings.append(f"{wal.name} holds answers not yet in {path.name} (the study is open in the app, "
                                  "or was not closed); they are included here, but copy the study with "
                                  "`mammostudio quiz-export-copy`, not as a plain file")
        return store

    @staticmethod
    def _upgrade(conn: sqlite3.Connection, path: Path) -> int:
        """Schema 1 -> 2 in one transaction (only when opened for reading sessions)."""
        statements = [s.strip() for s in DETECTION_SCHEMA.split(";") if s.strip()]
        with RetryingTransaction(conn, path):
            conn.execute("ALTER TABLE sessions ADD COLUMN experience_years REAL")
            conn.execute("ALTER TABLE sessions ADD COLUMN subspecialty TEXT")
            for statement in statements:
                conn.execute(statement)
            conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION),))
        return SCHEMA_VERSION

    def close(self) -> None:
        """Fold the write-ahead log into the study file and close (answers are already committed).

        After close the ``.sqlite`` file alone holds everything and can be copied.
        Closing twice is harmless.
        """
        if self._closed:
            return
        self._closed = True
        if not self.readonly:
            self.checkpoint()
        self._conn.close()

    def checkpoint(self) -> bool:
        """Fold the write-ahead log into the study file (True when it is now self-contained)."""
        if self.readonly:
            return False
        try:
            busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error:
            return False  # another connection is reading: the log is folded in when the last one closes
        return not busy

    def export_copy(self, dest: str | os.PathLike) -> Path:
        """One self-contained copy of the study, answers in the write-ahead log included."""
        return backup_copy(self._conn, dest)

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
        """Register a reader, or update an existing code's profile with the fields given; returns its id.

        The profile given is also recorded with the reader's next session (experience
        changes over time; each session keeps the values it was read with).
        """
        self._profile = profile
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
        profile = getattr(self, "_profile", None)
        if profile is None or profile.code.strip() != reader_code.strip():
            profile = ReaderProfile(reader_code.strip())
        row = self._conn.execute("SELECT reader_id FROM readers WHERE code=?", (reader_code.strip(),)).fetchone()
        if row is None:
            raise StudyError(f"unknown reader {reader_code!r}; add the reader profile first")
        reader_id = int(row[0])
        open_row = self._conn.execute(
            "SELECT session_id FROM sessions WHERE reader_id=? AND mode=? AND finished IS NULL "
            "ORDER BY session_id DESC LIMIT 1", (reader_id, mode)).fetchone()
        if open_row is not None:
            return self._session(int(open_row[0]))
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
                "INSERT INTO sessions (reader_id, mode, session_index, started, experience_years, subspecialty) "
                "VALUES (?, ?, ?, ?, ?, ?)", (reader_id, mode, done, _now(), profile.experience_years,
                                              profile.subspecialty))
            sid = int(cur.lastrowid)
            self._conn.executemany("INSERT INTO session_cases VALUES (?, ?, ?, ?)",
                                   [(sid, p, c, int(s)) for p, (c, s) in enumerate(zip(order, swap))])
        return self._session(sid)

    def _session(self, sid: int) -> ReadingSession:
        if self.config.task == "detection":
            from .detect_session import DetectionSession

            return DetectionSession(self, sid)
        return ReadingSession(self, sid)

    def _tx(self):
        if self.readonly:
            raise StudyError(f"{self.path}: opened read-only")
        return RetryingTransaction(self._conn, self.path, max_wait_s=self.max_wait_s, on_wait=self.on_wait)
