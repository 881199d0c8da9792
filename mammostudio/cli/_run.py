"""Drive a core job generator from the terminal with a progress bar."""
from __future__ import annotations

import sys
from typing import TypeVar

from tqdm import tqdm

from ..core.progress import Job, Progress

T = TypeVar("T")

__all__ = ["run_job", "fail"]


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


def fail(message: str, code: int = 2) -> int:
    """Print an error for the user (no traceback) and return an exit code."""
    print(f"mammostudio: error: {message}", file=sys.stderr)
    return code
