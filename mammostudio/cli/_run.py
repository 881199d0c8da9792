"""Drive a core job generator from the terminal, and the one error path of every command.

Every command's errors end here (:func:`report_error`, called by
``cli.main``): a known error (bad input, a refused setting, an ``OSError``)
is one line naming the file and the problem, exit status 2; anything else is
a bug, reported as one line plus the path of a log file holding the
traceback (exit status 1). ``mammostudio --debug`` shows tracebacks instead.
"""
from __future__ import annotations

import errno as _errno
import os
import sys
import time
import traceback
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from ..core.errors import describe_error, is_user_error
from ..core.progress import Job, Progress

T = TypeVar("T")

__all__ = ["run_job", "fail", "describe_error", "is_user_error", "report_error", "ensure_writable_folder"]

def run_job(job: Job[T], desc: str, *, quiet: bool = False) -> T:
    """Run ``job`` to completion with a tqdm bar; Ctrl-C closes it cleanly.

    The generator is closed on KeyboardInterrupt, so its ``finally`` blocks
    remove temporary files before the interrupt propagates.
    """
    bar = tqdm(desc=desc, unit="it", disable=quiet, file=sys.stderr, dynamic_ncols=True)
    try:
        while True:
            try:
                item: Progress = next(job)
            except StopIteration as done:
                return done.value
            if item.total is not None and bar.total != item.total:
                bar.total = item.total
            bar.n = item.done
            if item.message:
                bar.set_postfix_str(item.message[-60:], refresh=False)
            bar.refresh()
    finally:
        job.close()
        bar.close()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(message: str, code: int = 2) -> int:
    """Print an error for the user (one line, no traceback) and return an exit code."""
    print(f"mammostudio: error: {_one_line(message)}", file=sys.stderr)
    return code


def _log_path() -> Path:
    from ..core.paths import user_data_dir

    stamp = time.strftime("%Y%m%d-%H%M%S")
    return user_data_dir() / "logs" / f"error-{stamp}-{os.getpid()}.log"


def report_error(exc: BaseException, command: str | None = None) -> int:
    """Print ``exc`` as one line (user error, exit 2) or one line plus a log file (bug, exit 1)."""
    if is_user_error(exc):
        return fail(describe_error(exc))
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        log = _log_path()
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"mammostudio {command or ''}\n{text}", encoding="utf-8")
        where = f"details in {log}"
    except OSError:
        where = "no log could be written"
    summary = _one_line(str(exc))[:160]
    return fail(f"internal error ({type(exc).__name__}: {summary}); {where}; "
                "re-run with `mammostudio --debug ...` to see the traceback", code=1)


def ensure_writable_folder(path: str | os.PathLike) -> Path:
    """Check that folder ``path`` could be created and written, leaving no trace.

    Commands call this before long work so a read-only or wrong destination
    fails at once, not after an hour of training. Nothing is created: the
    probe file goes into ``path`` when it exists, else into its nearest
    existing parent, and is removed.

    Raises
    ------
    OSError
        Naming ``path`` (a file in the way, read-only, permission denied, disk full).
    """
    path = Path(path)
    probe_in = path
    while not probe_in.exists() and probe_in.parent != probe_in:
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise NotADirectoryError(_errno.ENOTDIR, "a file is in the way (not a folder)", str(probe_in))
    probe = probe_in / f".mammostudio-write-test-{os.getpid()}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"x")
        probe.unlink()
    except OSError as exc:
        if exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from exc
    return path
