"""The per-dataset header index: every DICOM header of a dataset, cached between opens.

One SQLite file per dataset folder, in the user cache folder (never inside the
dataset, which may be a read-only archive), named after the folder's resolved
path. One row per DICOM file: its path, size and modification time (the key: a
file whose size or mtime changed is read again, nothing else is), the catalog
fields of :func:`~mammostudio.core.dicom.scan_file`, its pixel problem, or the
error that made it unreadable. This module is the only reader and writer of the
format. A new index is written to a temporary file and renamed into place; an
existing one is updated in one SQLite transaction, so a crash leaves the old
index or the new one. A damaged or outdated index is rebuilt, never an error.

Readers may also keep values they derive from a file's pixels (CBIS-DDSM: the
lesion box of an ROI mask) in the same file, one ``derived`` table keyed by
(kind, path) with the file's size and mtime: :func:`load_derived` /
:func:`save_derived`. A changed file's value is derived again; a rebuilt
index starts without them.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from pathlib import Path

from .atomic import atomic_path

__all__ = ["HEADER_FIELDS", "SCHEMA_VERSION", "cache_dir", "index_path", "load_index", "save_index", "drop_index",
           "load_derived", "save_derived"]

SCHEMA_VERSION = 4  # bump when what scan_file reports changes
HEADER_FIELDS = ("image_id", "patient_id", "study_id", "series_id", "laterality", "view", "rows", "cols",
                 "manufacturer", "model_name", "tube_current_ma", "magnification", "for_presentation",
                 "photometric", "pixel_spacing_mm")
# Fields header_of gives beyond HEADER_FIELDS (series_description, ...) go to one JSON column,
# so a field added there is cached without a schema change.
_COLUMNS = ("path", "size", "mtime_ns", "error", "pixel_problem", *HEADER_FIELDS, "extra")
_FIELD_SET = frozenset(HEADER_FIELDS)


def cache_dir() -> Path:
    """The user cache folder (``MAMMOSTUDIO_CACHE_DIR`` overrides; :mod:`mammostudio.core.paths`)."""
    from .paths import user_cache_dir

    return user_cache_dir()


def index_path(root: str | os.PathLike) -> Path:
    """Where the index of the dataset folder ``root`` lives."""
    real = os.path.realpath(root)
    tag = hashlib.sha1(real.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return cache_dir() / "header-index" / f"{Path(real).name or 'root'}-{tag}.sqlite"


def _open_current(path: str | os.PathLike) -> sqlite3.Connection | None:
    """A read-only connection to the index at ``path``, or None when it is missing,
    damaged or of another schema version (the caller closes it)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return con
    except sqlite3.Error:
        pass
    con.close()
    return None


def load_index(path: str | os.PathLike) -> dict[str, tuple]:
    """The index at ``path`` as {file path: (size, mtime_ns, error, pixel_problem, header dict or None)}.

    Missing, damaged or of another schema version: an empty dict.
    """
    con = _open_current(path)
    if con is None:
        return {}
    try:
        out = {}
        n = len(HEADER_FIELDS)
        for row in con.execute(f"SELECT {', '.join(_COLUMNS)} FROM headers"):
            path_, size, mtime, error, problem, *fields = row
            header = None
            if not error:
                header = dict(zip(HEADER_FIELDS, fields[:n]))
                fp = header["for_presentation"]
                header["for_presentation"] = None if fp is None else bool(fp)
                if fields[n]:
                    header.update(json.loads(fields[n]))
            out[path_] = (size, mtime, error or "", problem or "", header)
        return out
    except sqlite3.Error:
        return {}
    finally:
        con.close()


def _row(path: str, entry: tuple) -> tuple:
    size, mtime, error, problem, header = entry
    header = header or {}
    values = [header.get(k) for k in HEADER_FIELDS]
    fp = header.get("for_presentation")
    values[HEADER_FIELDS.index("for_presentation")] = None if fp is None else int(bool(fp))
    extra = {k: v for k, v in header.items() if k not in _FIELD_SET}
    return (path, size, mtime, error or None, problem or None, *values, json.dumps(extra) if extra else None)


def _create(con: sqlite3.Connection) -> None:
    con.execute(f"CREATE TABLE headers ({_COLUMNS[0]} TEXT PRIMARY KEY, "
                + ", ".join(_COLUMNS[1:]) + ")")
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def save_index(path: str | os.PathLike, changed: dict[str, tuple], removed=(), *, existing: bool) -> None:
    """Record ``changed`` entries and drop ``removed`` paths.

    Parameters
    ----------
    path : path-like
        The index file.
    changed : dict
        {file path: (size, mtime_ns, error, pixel_problem, header dict or None)}.
    removed : iterable of str
        Paths no longer in the dataset.
    existing : bool
        True to update the index in place (one transaction); False to write a
        new one (temporary file, then a rename).
    """
    path = Path(path)
    rows = [_row(p, e) for p, e in changed.items()]
    removed = [(p,) for p in removed]
    marks = ", ".join("?" * len(_COLUMNS))
    if existing and path.is_file():
        con = sqlite3.connect(path, timeout=30)
        try:
            with con:  # one transaction: all of it or nothing
                con.executemany("DELETE FROM headers WHERE path = ?", removed)
                con.executemany(f"INSERT OR REPLACE INTO headers VALUES ({marks})", rows)
        finally:
            con.close()
        return
    with atomic_path(path) as tmp:
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("PRAGMA synchronous = OFF")
            with con:
                _create(con)
                con.executemany(f"INSERT INTO headers VALUES ({marks})", rows)
        finally:
            con.close()


def drop_index(path: str | os.PathLike) -> None:
    """Delete an index or a catalog snapshot (``scan --rebuild``)."""
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()


_DERIVED = "CREATE TABLE IF NOT EXISTS derived (kind TEXT, path TEXT, size INTEGER, mtime_ns INTEGER, value TEXT, " \
           "PRIMARY KEY (kind, path))"


def load_derived(path: str | os.PathLike, kind: str) -> dict[str, tuple]:
    """Pixel-derived values of ``kind`` in the index at ``path``: {file path: (size, mtime_ns, value)}.

    ``value`` is what :func:`save_derived` was given (JSON-able). Missing, damaged or of
    another schema version: an empty dict.
    """
    con = _open_current(path)
    if con is None:
        return {}
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'derived'").fetchone():
            return {}
        return {p: (size, mtime, json.loads(value)) for p, size, mtime, value in
                con.execute("SELECT path, size, mtime_ns, value FROM derived WHERE kind = ?", (kind,))}
    except (sqlite3.Error, ValueError):
        return {}
    finally:
        con.close()


def save_derived(path: str | os.PathLike, kind: str, changed: dict[str, tuple]) -> None:
    """Record pixel-derived values {file path: (size, mtime_ns, JSON-able value)} of ``kind``.

    Only into an existing index of this schema version (one transaction); otherwise
    nothing is saved and the next open derives them again.
    """
    path = Path(path)
    if not changed or not path.is_file():
        return
    con = sqlite3.connect(path, timeout=30)
    try:
        if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return
        with con:
            con.execute(_DERIVED)
            con.executemany("INSERT OR REPLACE INTO derived VALUES (?, ?, ?, ?, ?)",
                            [(kind, p, size, mtime, json.dumps(value)) for p, (size, mtime, value) in changed.items()])
    finally:
        con.close()
