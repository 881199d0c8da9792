"""Atomic file writes: a temporary file in the target folder, then a rename.

A crash, a full disk or a Ctrl-C at any moment leaves either the old file or the
new one, never half of one. Every writer in mammostudio goes through here.

The temporary file is created the way a plain ``open(path, "w")`` creates a new
file (mode 0666 less the umask), not with ``tempfile.mkstemp``'s private 0600:
colleagues sharing a lab folder must be able to read the results. Files that
must stay private (the pseudonym mapping) pass ``mode=0o600``.

Errors name the destination, not the temporary file: an ``OSError`` raised
while creating the folder, the temporary file or renaming it carries the
final path as its ``filename`` (its errno and class are kept).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "write_bytes", "write_text"]

_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def _named(exc: OSError, path: Path) -> OSError:
    """The same kind of OSError, naming ``path`` (the destination the user asked for)."""
    if exc.errno is None:
        return exc
    new = type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
    new.__cause__ = exc
    return new


def _create_temp(path: Path, suffix: str, mode: int | None, *, keep_open: bool = False):
    """Create an empty temporary file next to ``path``: its path, or (path, fd) with ``keep_open``."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.part{suffix}"
        try:
            # Like open(): the kernel applies the umask to 0o666 (or to ``mode``).
            fd = os.open(tmp, _OPEN_FLAGS, 0o666 if mode is None else mode)
        except FileExistsError:
            continue
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)  # an explicit mode is exact, whatever the umask
        except BaseException:
            os.close(fd)
            raise
        if keep_open:
            return tmp, fd
        os.close(fd)
        return tmp
    raise FileExistsError(17, "could not pick a free temporary name", str(path))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path : path-like
        The final destination. Its parent folders are created.
    suffix : str, optional
        Suffix of the temporary file (some writers pick the format from it);
        defaults to the destination's suffix.
    mode : int, optional
        Permission bits of the new file. Default: what ``open`` would give a
        new file (0o666 less the umask). ``0o600`` for private files.

    Yields
    ------
    pathlib.Path
        Where the caller writes (the file exists, empty). Removed if the block raises.

    Raises
    ------
    OSError
        Creating the folder or the temporary file, or the final rename, failed;
        ``filename`` is ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temporary name keeps the real suffix last, so writers that pick the
        # format by extension (PNG, xlsx) still work; ".part" marks a crashed write.
        real_tmp = _create_temp(path, path.suffix if suffix is None else suffix, mode)
    except OSError as exc:
        raise _named(exc, path) from exc
    try:
        try:
            yield real_tmp
            os.replace(real_tmp, path)
        except OSError as exc:
            # A writer that failed on the temporary file (a full disk) or on
            # nothing in particular: say which destination could not be written.
            if exc.filename in (None, str(real_tmp), real_tmp, str(path)):
                raise _named(exc, path) from exc
            raise
    except BaseException:
        with contextlib.suppress(OSError):
            real_tmp.unlink()
        raise


def write_bytes(path: str | os.PathLike, data: bytes, *, mode: int | None = None, sync: bool = True) -> Path:
    """Atomically write ``data`` to ``path``, fsynced before the rename unless ``sync=False``.

    The bytes go through the descriptor that created the temporary file: one
    open, and no truncation (reopening it with ``"wb"`` truncates it, after
    which ext4 starts writing the file back when it is closed; measured here
    at 0.1-0.3 ms more per small file). ``sync=False`` is for many small files
    (patch PNGs): a killed process still leaves the old file or the new one;
    only a power cut may leave an unsynced file empty.

    Errors while writing (a full disk) name ``path``, as in :func:`atomic_path`.
    """
    path = Path(path)
    try:
        try:
            tmp, fd = _create_temp(path, path.suffix, mode, keep_open=True)
        except FileNotFoundError:  # the folder is missing (checked only then: one call less per file)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp, fd = _create_temp(path, path.suffix, mode, keep_open=True)
    except OSError as exc:
        raise _named(exc, path) from exc
    try:
        try:
            with open(fd, "wb") as fh:  # closes fd
                fh.write(data)
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise _named(exc, path) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def write_text(path: str | os.PathLike, text: str, *, encoding: str = "utf-8", mode: int | None = None) -> Path:
    """Atomically write ``text`` to ``path``."""
    return write_bytes(path, text.encode(encoding), mode=mode)
