"""Feeding a worker pool through a bounded queue, for the jobs that fan out over processes.

Extraction (``core/patches/extract.py``), the header scan
(``core/readers/opening.py``) and the decode check (``core/verify.py``) keep
only a few tasks per worker queued, so a cancelled job (``gen.close()``) stops
after the tasks in flight instead of draining a queue of thousands.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait

__all__ = ["as_finished"]


def as_finished(pool: Executor, fn: Callable, tasks: Iterable, *args, depth: int,
                pending: set) -> Iterator[Future]:
    """Run ``fn(task, *args)`` for every task on ``pool``, at most ``depth`` queued at once.

    Parameters
    ----------
    pool : Executor
    fn : callable
        Called as ``fn(task, *args)`` in the pool.
    tasks : iterable
        Submitted lazily, in order; None is not a valid task.
    depth : int
        Futures in flight at the most (e.g. two per worker).
    pending : set
        The caller's set of futures in flight, kept up to date here, so that
        the caller's ``finally`` can cancel them when the job is closed.

    Yields
    ------
    Future
        Each finished future, in completion order; the next task is
        submitted before it is yielded. ``future.result()`` is the caller's
        to call, so each caller decides what a failed task means.
    """
    todo = iter(tasks)
    for task in todo:
        pending.add(pool.submit(fn, task, *args))
        if len(pending) >= depth:
            break
    while pending:
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in finished:
            pending.discard(fut)
            nxt = next(todo, None)
            if nxt is not None:
                pending.add(pool.submit(fn, nxt, *args))
            yield fut
