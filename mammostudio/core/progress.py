"""The long-work protocol shared by the CLI, the GUI workers and the tests.

A long job is a plain generator function that yields :class:`Progress` items and
*returns* its result (``StopIteration.value``). It knows nothing of Qt or of
progress bars. A caller cancels it by closing the generator (``gen.close()``),
which raises ``GeneratorExit`` at the current ``yield``: the job cleans up in
``finally`` blocks, so no half-written file survives. Callback-driven work that
cannot yield (a training loop calling hooks) takes a :class:`StopToken` instead
and checks it between steps.

Examples
--------
>>> def count(n):
...     for i in range(n):
...         yield Progress(i + 1, n, f"item {i}")
...     return n
>>> drive(count(3))
3
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generator, Mapping, TypeVar

T = TypeVar("T")

__all__ = ["Progress", "StopToken", "Cancelled", "Job", "drive"]


@dataclass(frozen=True)
class Progress:
    """One progress report of a long job.

    Parameters
    ----------
    done : int
        Units of work finished so far.
    total : int or None
        Units of work in all, or None when unknown.
    message : str
        Short human-readable status ("mdb001.pgm: 10 tissue patches").
    data : mapping, optional
        Plain values for a GUI (numbers, strings, numpy arrays); never torch
        objects or Qt objects.
    """

    done: int
    total: int | None = None
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        """Fraction done in [0, 1], or None when the total is unknown."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.done / self.total))


class Cancelled(Exception):
    """Raised by :meth:`StopToken.raise_if_requested` when a stop was asked for."""


class StopToken:
    """A thread-safe stop request, checked by a job between its steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def request(self) -> None:
        """Ask the job to stop at its next check."""
        self._event.set()

    @property
    def requested(self) -> bool:
        """True once :meth:`request` was called."""
        return self._event.is_set()

    def raise_if_requested(self) -> None:
        """Raise :class:`Cancelled` when a stop was requested."""
        if self._event.is_set():
            raise Cancelled("stopped on request")


Job = Generator[Progress, None, T]


def drive(
    job: Job[T],
    on_progress: Callable[[Progress], None] | None = None,
    *,
    stop: StopToken | None = None,
) -> T:
    """Run a job generator to the end and return its result.

    Parameters
    ----------
    job : generator
        A generator that yields :class:`Progress` and returns a result.
    on_progress : callable, optional
        Called with every progress item, in the calling thread.
    stop : StopToken, optional
        When requested, the job is closed at its next yield and
        :class:`Cancelled` is raised.

    Returns
    -------
    object
        The generator's return value.

    Raises
    ------
    Cancelled
        If ``stop`` was requested before the job finished.
    """
    try:
        while True:
            if stop is not None and stop.requested:
                job.close()
                raise Cancelled("stopped on request")
            try:
                item = next(job)
            except StopIteration as done:
                return done.value
            if on_progress is not None:
                on_progress(item)
    finally:
        job.close()
