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
from typing import Callable

import numpy as np
import pandas as pd

from .design import MODES, ReaderProfile, StudyConfig, StudyDesign, reader_order
from .detect_store import DETECTION_SCHEMA, insert_detection
from .session import CaseView, Feedback, ReadingSession, StudyError, now_iso as _now
from .storefile import RetryingTransaction, backup_copy, connect_study

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


def _png_bytes(pixels: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8), mode="L").save(buf, format="PNG")
    return buf.getvalue()


def _png_pixels(blob: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as im:
        return np.asarray(im.convert("L")).copy()


def _png_ok(blob: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(blob)) as im:
            im.verify()
        return True
    except Exception:  # noqa: BLE001 (PIL raises many types for damaged data)
        return False


class QuizStore:
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
            conn.close()
            raise StudyError(f"{path}: a study of schema version {version}; open it read-only for results, "
                             "or create a new study to read")
        return cls(path, conn, readonly=readonly, version=version)

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

    # --- examiner side -----------------------------------------------------
    def responses(self) -> pd.DataFrame:
        """Every answer joined with its hidden truth (for analysis; not for readers).

        Columns: reader, experience_years, subspecialty, session_id, mode,
        position, case_id, task, item_id (the generated one for 2AFC), truth,
        source, lesion_type, status, answer, confidence, rt_ms, timed_out,
        shown_at, answered_at, answer_generated, truth_generated, correct, rating.
        """
        q = """
        SELECT r.code AS reader, {profile}, s.session_id, s.mode, sc.position,
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
        # Schema 2 keeps the profile each session was read with; schema 1 only the latest one.
        profile = ("COALESCE(s.experience_years, r.experience_years) AS experience_years, "
                   "COALESCE(s.subspecialty, r.subspecialty) AS subspecialty") if self.version >= 2 else \
            "r.experience_years, r.subspecialty"
        df = pd.read_sql_query(q.format(profile=profile), self._conn)
        damaged = self.damaged_items()
        self.warnings = []
        if damaged:
            bad = df["item_a"].isin(damaged) | df["item_b"].isin(damaged)
            cases = sorted(set(df.loc[bad, "case_id"]))
            self.warnings.append(f"{len(cases)} damaged case(s) left out of the statistics: {', '.join(cases)}")
            df = df[~bad].reset_index(drop=True)
        from .stats import score_responses

        return score_responses(df, self.config)

    def item_pixels(self, item_id: str) -> np.ndarray:
        """Pixels (uint8, display size) of one item.

        Raises
        ------
        StudyError
            When the stored image is damaged (names the case and the item).
        """
        row = self._conn.execute("SELECT png FROM items WHERE item_id=?", (item_id,)).fetchone()
        if row is None:
            raise KeyError(item_id)
        try:
            return _png_pixels(row[0])
        except Exception as exc:  # noqa: BLE001 (PIL raises many types for damaged data)
            case = self._conn.execute("SELECT case_id FROM cases WHERE item_a=? OR item_b=?",
                                      (item_id, item_id)).fetchone()
            raise StudyError(f"{self.path}: case {case[0] if case else '?'} (image {item_id}) is damaged and "
                             f"cannot be shown ({exc})") from exc

    def detection_pixels(self, image_key: str) -> np.ndarray:
        """Display pixels of one detection image (StudyError naming the case when damaged)."""
        row = self._conn.execute("SELECT png, case_id FROM det_images WHERE image_key=?", (image_key,)).fetchone()
        if row is None:
            raise KeyError(image_key)
        try:
            return _png_pixels(row[0])
        except Exception as exc:  # noqa: BLE001 (PIL raises many types for damaged data)
            raise StudyError(f"{self.path}: case {row[1]} (image {image_key}) is damaged and cannot be shown "
                             f"({exc})") from exc

    def damaged_items(self) -> set[str]:
        """Ids of items (and detection images) whose stored PNG does not verify."""
        bad = {i for i, blob in self._conn.execute("SELECT item_id, png FROM items") if not _png_ok(blob)}
        if self.version >= 2:
            bad |= {k for k, blob in self._conn.execute("SELECT image_key, png FROM det_images") if not _png_ok(blob)}
        return bad

    def items(self) -> pd.DataFrame:
        """Item table without pixels: item_id, pool, truth, source, lesion_type, status, nn_distance."""
        return pd.read_sql_query(
            "SELECT item_id, pool, truth, source, lesion_type, status, nn_distance FROM items ORDER BY item_id",
            self._conn)

