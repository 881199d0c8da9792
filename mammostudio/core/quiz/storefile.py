"""The study file on disk: safe opening, locked-file retries and a self-contained copy.

Rules (issue 16):

- Read commands open a study **read-only** (``mode=ro``; on read-only media, where SQLite
  cannot create the ``-shm`` file, ``immutable=1``): they never create, convert or
  checkpoint a file. A 0-byte file, a file that is not SQLite and a SQLite file without
  the study's ``meta`` table are refused with a message that says which.
- Only a file already recognised as a study is switched to write-ahead logging.
- A write that finds the file locked by another program waits, reports what it waits
  for through a callback, retries, and gives up with a :class:`StudyError` that says
  nothing was saved (never a raw ``sqlite3.OperationalError``).
- :func:`backup_copy` writes one self-contained file (SQLite backup API, rollback
  journal, no ``-wal``) that includes answers still in the write-ahead log.
"""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from .session import StudyError

__all__ = ["connect_study", "RetryingTransaction", "backup_copy", "part_file", "SQLITE_MAGIC"]

SQLITE_MAGIC = b"SQLite format 3\x00"
_NOT_STUDY = "not a mammostudio reader study"


def _check_header(path: Path) -> None:
    if not path.is_file():
        raise StudyError(f"{path}: no such study file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc.strerror or exc})") from exc
    if not head:
        raise StudyError(f"{path}: empty file (0 bytes), {_NOT_STUDY}")
    if head != SQLITE_MAGIC:
        raise StudyError(f"{path}: not an SQLite file, {_NOT_STUDY}")


def _uri(path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(path.resolve()))}?{query}"


def connect_study(path: str | os.PathLike, *, readonly: bool, timeout_s: float = 0.25) -> sqlite3.Connection:
    """Open a study file (checks it is one before anything is written).

    Parameters
    ----------
    readonly : bool
        True for analysis: no write, no journal-mode change, no checkpoint.
    timeout_s : float
        SQLite's own wait for a lock before :class:`RetryingTransaction` takes over (short,
        so the wait is reported while it lasts).

    Raises
    ------
    StudyError
        Naming the file and the problem (missing, empty, not SQLite, not a study, unreadable).
    """
    path = Path(path)
    _check_header(path)
    conn = None
    try:
        if readonly and not _log_files(path):
            # Closed cleanly (no -wal, no -shm): nothing is pending and no program has it open in
            # WAL mode. ``immutable`` reads the file as it is, so SQLite creates no -wal/-shm beside it.
            conn = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, isolation_level=None)
        elif readonly:
            # Open in another program, or left by a crash: read through its write-ahead log.
            try:
                conn = sqlite3.connect(_uri(path, mode="ro"), uri=True, isolation_level=None, timeout=timeout_s)
                _has_meta(conn)
            except sqlite3.OperationalError:
                if conn is not None:
                    conn.close()
                if os.access(path.parent, os.W_OK):
                    raise
                # Read-only media: no -shm can be made; nobody can write here either.
                conn = sqlite3.connect(_uri(path, mode="ro", immutable="1"), uri=True, isolation_level=None)
        else:
            conn = sqlite3.connect(path, isolation_level=None, timeout=timeout_s)
        if not _has_meta(conn):
            conn.close()
            raise StudyError(f"{path}: an SQLite database without a study table, {_NOT_STUDY}")
        if not readonly:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        return conn
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        msg = str(exc)
        if "not a database" in msg or "malformed" in msg:
            raise StudyError(f"{path}: damaged or {_NOT_STUDY} ({msg})") from exc
        raise StudyError(f"{path}: cannot open the study ({msg})") from exc


def _log_files(path: Path) -> bool:
    return any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm", "-journal"))


def _has_meta(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone() is not None


def _is_lock(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class RetryingTransaction:
    """BEGIN IMMEDIATE ... COMMIT that waits out another program's lock.

    Parameters
    ----------
    conn : sqlite3.Connection
        Autocommit connection.
    path : Path
        For messages.
    max_wait_s : float
        Give up after this long (raises :class:`StudyError`: nothing saved).
    on_wait : callable(str), optional
        Told, once per retry, what is being waited for (GUI status bar, CLI stderr).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, max_wait_s: float = 60.0,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.conn, self.path, self.max_wait_s, self.on_wait = conn, path, max_wait_s, on_wait

    def __enter__(self) -> sqlite3.Connection:
        start = time.monotonic()
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return self.conn
            except sqlite3.OperationalError as exc:
                if not _is_lock(exc):
                    raise StudyError(f"{self.path}: cannot write to the study ({exc})") from exc
                waited = time.monotonic() - start
                if waited >= self.max_wait_s:
                    raise StudyError(f"{self.path}: the study is locked by another program; waited "
                                     f"{waited:.0f} s, nothing was saved - close the other program and retry") from exc
                if self.on_wait is not None:
                    self.on_wait(f"{self.path.name} is locked by another program; retrying "
                                 f"({waited:.0f} of {self.max_wait_s:.0f} s)")
                time.sleep(min(0.5, max(0.0, self.max_wait_s - waited)))

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.conn.execute("ROLLBACK")
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as err:
            self.conn.execute("ROLLBACK")
            raise StudyError(f"{self.path}: the answer could not be saved ({err})") from err


def part_file(path: Path, what: str) -> Path:
    """The cleared temporary name (``.<name>.part`` beside ``path``) a new study file is built under.

    Raises
    ------
    StudyError
        If ``path`` exists (a study is never overwritten); ``what`` names it
        in the message ("study file", "file for the copy").
    """
    if path.exists():
        raise StudyError(f"{path}: already exists; choose a new {what}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.unlink(missing_ok=True)
    return tmp


def backup_copy(conn: sqlite3.Connection, dest: str | os.PathLike) -> Path:
    """Copy an open study into one self-contained file (SQLite backup API, no ``-wal``).

    The copy is written beside ``dest`` under a temporary name, checked, then renamed.
    """
    dest = Path(dest)
    tmp = part_file(dest, "file for the copy")
    try:
        out = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")
            ok = out.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            out.close()
        if ok != "ok":
            raise StudyError(f"{dest}: the copy failed its integrity check ({ok})")
        os.replace(tmp, dest)
    except (sqlite3.Error, OSError) as exc:
        raise StudyError(f"{dest}: cannot write the study copy ({exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return dest
