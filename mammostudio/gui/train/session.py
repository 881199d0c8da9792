"""One running training job seen from the GUI: events in order, grids, pause/stop, endings.

The job (from :mod:`mammostudio.gui.jobs`) runs in a :class:`JobRunner`
whose progress is throttled, so items may be dropped; the job's append-only
event log (``data['events']``, ``data['count']``) lets this session hand the
monitors every event exactly once, in order.
"""
from __future__ import annotations

import sys
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot

from ..jobs import JobRunner, run_control

__all__ = ["RunSession", "LIVE_SWITCH_INTERVAL_S"]

# PySide releases the GIL around every Qt call; with a Python-busy trainer
# thread each re-acquire can wait a whole switch interval (5 ms by default), so
# repainting a plot (hundreds of Qt calls) stalled the event loop 150-300 ms on
# a loaded 2-core machine. While a run is live the interval is 0.5 ms
# (measured worst stall then: 50-85 ms); it is restored when no run is live.
LIVE_SWITCH_INTERVAL_S = 0.0005
_live = {"count": 0, "saved": None}


def _enter_live() -> None:
    if _live["count"] == 0:
        _live["saved"] = sys.getswitchinterval()
        sys.setswitchinterval(min(_live["saved"], LIVE_SWITCH_INTERVAL_S))
    _live["count"] += 1


def _leave_live() -> None:
    _live["count"] = max(0, _live["count"] - 1)
    if _live["count"] == 0 and _live["saved"] is not None:
        sys.setswitchinterval(_live["saved"])


class RunSession(QObject):
    """Runs ``make_job(control)`` in a worker and re-emits what it reports.

    Signals
    -------
    events(list)
        New event dicts since the last emission (every event exactly once).
    grid(object, int)
        The latest fixed-noise sample grid (uint8) and its epoch.
    realGrid(object)
        The real-patch grid, once.
    state(str)
        'running', 'paused', then the ending: 'finished', 'stopped', 'failed'.
    message(str)
        The job's latest status line.
    done(int)
        Epochs finished (the job's progress count).
    finished(object), failed(str, str)
        The job's result; or its one-line error and traceback.
    ended()
        After any ending (the worker thread is gone).
    """

    events = Signal(list)
    grid = Signal(object, int)
    realGrid = Signal(object)
    state = Signal(str)
    message = Signal(str)
    done = Signal(int)
    finished = Signal(object)
    failed = Signal(str, str)
    ended = Signal()

    def __init__(self, make_job: Callable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.control = run_control()
        self.runner = JobRunner(lambda: make_job(self.control), self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(self._on_failed)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.done.connect(self._on_done)
        self._log: list | None = None
        self._seen = 0
        self._grid_epoch = None
        self._real_sent = False
        self._state = ""

    @property
    def running(self) -> bool:
        return self.runner.running

    def start(self) -> None:
        self._set_state("running")
        _enter_live()
        self.runner.start()

    @Slot()
    def _on_done(self) -> None:
        _leave_live()
        self.ended.emit()

    def pause(self) -> None:
        """Hold the run at its next epoch end."""
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        """Stop cooperatively: the trainer keeps its last checkpoint and the job ends 'stopped'."""
        self.control.request_stop()

    def stop_and_wait(self, ms: int = 60000) -> bool:
        """Stop and block until the worker ended (window close): True when it did in time."""
        self.control.request_stop()
        return self.runner.wait(ms)

    def _set_state(self, state: str) -> None:
        if state and state != self._state:
            self._state = state
            self.state.emit(state)

    def _flush(self, count: int | None = None) -> None:
        if self._log is None:
            return
        count = len(self._log) if count is None else count
        new = self._log[self._seen:count]
        self._seen = count
        if new:
            self.events.emit(list(new))

    @Slot(object)
    def _on_progress(self, item) -> None:
        data = item.data
        if "events" in data:
            self._log = data["events"]
            self._flush(data["count"])
        if data.get("real_grid") is not None and not self._real_sent:
            self._real_sent = True
            self.realGrid.emit(data["real_grid"])
        if data.get("grid") is not None and data.get("grid_epoch") != self._grid_epoch:
            self._grid_epoch = data.get("grid_epoch")
            self.grid.emit(data["grid"], int(self._grid_epoch or 0))
        if data.get("state") in ("running", "paused"):
            self._set_state(data["state"])
        if item.message:
            self.message.emit(item.message)
        self.done.emit(int(item.done))

    @Slot(object)
    def _on_finished(self, result) -> None:
        self._flush()
        status = result.get("status", "finished") if isinstance(result, dict) else "finished"
        self._set_state(status)
        self.finished.emit(result)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._flush()
        self._set_state("failed")
        self.failed.emit(message, details)

    @Slot()
    def _on_cancelled(self) -> None:
        self._flush()
        self._set_state("stopped")
