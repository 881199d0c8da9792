"""Atomic file writes: a temporary file in the target folder, then a rename.

A crash, a full disk or a Ctrl-C at any moment leaves either the old file or the
new one, never half of one. Every writer in mammostudio goes through here.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "write_bytes", "write_text"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final destination. Its parent folders are created.
    suffix : str, optional
        Suffix of the temporary file (some writers pick the format from it);
        defaults to the destination's suffix.

    Yields
    ------
    pathlib.Path
        Where the caller writes. Removed if the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name keeps the real suffix last, so writers that pick the
    # format by extension (PNG, xlsx) still work; ".part" marks a crashed write.
    real_suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{real_suffix}", dir=path.parent)
    os.close(fd)
    real_tmp = Path(tmp)
    try:
        yield real_tmp
        os.replace(real_tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            real_tmp.unlink()
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Atomically write ``data`` to ``path`` (fsynced before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


def write_text(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Atomically write ``text`` to ``path``."""
    return write_bytes(path, text.encode(encoding))
