"""Pause / stop requests and the event log that GUI-facing training jobs share.

A GUI worker may drop progress items (it throttles them to about ten a second),
but a training curve must not lose points. So every training job here keeps
one append-only list of plain event dicts and yields it with each item:
``item.data['events']`` is that list and ``item.data['count']`` how long it was
at that yield. A receiver remembers how many it has read and takes
``events[seen:count]`` - nothing is lost whichever items it sees. The list is
only ever appended to (by the job's thread); readers never change it.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Iterator

from mammostudio.core.progress import Job, Progress, StopToken

__all__ = ["RunControl", "EventLog", "logged"]


class RunControl:
    """Thread-safe requests to a running training: pause (between epochs), resume, stop.

    ``stop`` is a :class:`~mammostudio.core.progress.StopToken` the trainers
    check between steps; a stop also ends a pause.
    """

    def __init__(self) -> None:
        self.stop = StopToken()
        self._running = threading.Event()
        self._running.set()

    @property
    def paused(self) -> bool:
        """True while a pause is requested (and no stop)."""
        return not self._running.is_set()

    def pause(self) -> None:
        """Hold the run at its next epoch end."""
        if not self.stop.requested:
            self._running.clear()

    def resume(self) -> None:
        """Let a paused run continue."""
        self._running.set()

    def request_stop(self) -> None:
        """Stop at the next step; the trainers keep their last checkpoint."""
        self.stop.request()
        self._running.set()

    def wait_while_paused(self, poll_s: float = 0.1) -> None:
        """Block (polling) until resumed or stopped."""
        while not self._running.wait(poll_s):
            pass


class EventLog:
    """The append-only event list of one job plus the latest bulky values (grids).

    Bulky values (sample grids) are kept only in their latest version in
    ``latest`` so a long run does not hold every grid in memory.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.latest: dict[str, Any] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, **values) -> None:
        """Append one event ``{'kind': kind, **values}`` (thread-safe)."""
        with self._lock:
            self.events.append({"kind": kind, **values})

    def set_latest(self, **values) -> None:
        """Replace bulky latest values (e.g. ``grid=..., grid_epoch=...``)."""
        with self._lock:
            self.latest.update(values)

    def progress(self, done: int, total: int | None, message: str, **extra) -> Progress:
        """A Progress carrying the log (see the module docstring)."""
        with self._lock:
            data = {"events": self.events, "count": len(self.events), **self.latest, **extra}
        return Progress(done, total, message, data)


def logged(job: Job, log: EventLog, kind: str, *, control: RunControl | None = None) -> Iterator[Progress]:
    """Re-yield an inner job's items with its ``data`` also appended to ``log`` as ``kind`` events.

    Between items, a pause requested on ``control`` holds the job (yielding
    ``paused`` heartbeats so a closing caller is still served). Returns the
    inner job's result.
    """
    while True:
        try:
            item = next(job)
        except StopIteration as done:
            return done.value
        log.add(kind, done=item.done, total=item.total, message=item.message, **dict(item.data))
        yield log.progress(item.done, item.total, item.message)
        if control is not None and control.paused:
            log.add("paused")
            while control.paused:
                yield log.progress(item.done, item.total, "paused", state="paused")
                time.sleep(0.1)
            log.add("resumed")
