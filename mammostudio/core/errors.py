"""One line for an error a user can act on: shared by the command line and the desktop app.

Bad input raises ``ValueError`` (every "this input is wrong" error of
mammostudio derives from it) or ``OSError`` (files, disks, permissions);
:func:`describe_error` turns either into one line naming the file and the
problem, :func:`is_user_error` tells them from bugs.
"""
from __future__ import annotations

import errno as _errno
import os

__all__ = ["describe_error", "is_user_error"]

_FOLDER_PROBLEMS = {_errno.ENOTDIR: "a file is in the way (not a folder)",
                    _errno.EEXIST: "a file is in the way (not a folder)"}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def is_user_error(exc: BaseException) -> bool:
    """True for errors a user can act on (bad input, settings, files); False for bugs.

    ``ValueError`` (every "this input is wrong" error of mammostudio derives
    from it), ``OSError`` (files, disks, permissions) and the runtime errors
    that mammostudio itself raises (divergence, a busy cell) are the user's;
    anything else is a bug.
    """
    if isinstance(exc, (ValueError, OSError)):
        return True
    return isinstance(exc, RuntimeError) and type(exc).__module__.split(".")[0] in ("mammostudio", "trainers")


def describe_error(exc: BaseException) -> str:
    """One line for a user error: an OSError as 'PATH: strerror', others their message."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.filename is not None:
        what = _FOLDER_PROBLEMS.get(exc.errno) if exc.errno in _FOLDER_PROBLEMS else None
        reason = what or exc.strerror or os.strerror(exc.errno)
        if exc.errno == _errno.ENOSPC:
            reason = "no space left on the disk"
        target = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
        return _one_line(f"{target}: {reason}")
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        return _one_line(exc.strerror)  # OSError(errno, "a sentence of ours"): no "[Errno N]" prefix
    return _one_line(str(exc)) or type(exc).__name__
