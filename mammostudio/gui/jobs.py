"""The one GUI module that runs work on other threads.

* :class:`JobRunner` drives a core job generator (``yield Progress``, ``return``
  result; see :mod:`mammostudio.core.progress`) on its own ``QThread``. It
  re-emits throttled progress, the result, an error message or a cancellation
  as signals of an object living in the GUI thread, so widgets are only ever
  touched from the GUI thread. Cancel is cooperative: the worker closes the
  generator at its next ``yield`` (its ``finally`` blocks clean up).
* :func:`submit` runs a short function (decode an image, make a thumbnail) on
  the global ``QThreadPool`` and delivers its result to a GUI-thread slot.

* Thin wrappers over :mod:`trainers.jobs` (the only place the GUI reaches the
  trainers and torch), imported lazily.
"""
from __future__ import annotations

import threading
import time
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from ..core.progress import Job, Progress

__all__ = ["submit_each", "JobRunner", "confirm_stop", "function_job", "submit", "PoolTask", "trainer_presets", "load_trainer_presets", "gan_training_job", "classifier_job",
           "experiment_job", "fid_job", "tsne_job", "generate_job", "run_control", "list_runs", "read_run",
           "weights_status"]

THROTTLE_S = 0.1


def function_job(fn: Callable[..., Any], *args, message: str = "", **kwargs) -> Job:
    """Wrap a plain call as a one-step job (for work that has no progress)."""
    yield Progress(0, None, message)
    return fn(*args, **kwargs)


def _describe(exc: BaseException) -> str:
    from ..core.errors import describe_error, is_user_error

    if is_user_error(exc):  # the same one line as the command line prints
        return describe_error(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__



def confirm_stop(parent, *, loader, running: bool, title: str, question: str, stop: Callable[[], None]) -> bool:
    """Before closing a page with a job: let an import finish, ask, then stop and wait.

    ``loader`` is the page's trainer-import runner (or None): an import cannot
    be interrupted, so it is waited for. Returns False when the user keeps the
    window open.
    """
    from PySide6.QtWidgets import QMessageBox

    if loader is not None and loader.running:
        loader.wait(60000)
    if not running:
        return True
    if QMessageBox.question(parent, title, question) != QMessageBox.StandardButton.Yes:
        return False
    stop()
    return True

class _Worker(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()

    def __init__(self, make_job: Callable[[], Job], stop: threading.Event) -> None:
        super().__init__()
        self._make_job = make_job
        self._stop = stop

    @Slot()
    def run(self) -> None:
        gen = None
        try:
            gen = self._make_job()
            last, item, sent = 0.0, None, None
            while True:
                if self._stop.is_set():
                    gen.close()
                    self.cancelled.emit()
                    return
                try:
                    item = next(gen)
                except StopIteration as done:
                    if item is not None and item is not sent:  # the last item, once
                        self.progress.emit(item)
                    self.finished.emit(done.value)
                    return
                now = time.monotonic()
                if now - last >= THROTTLE_S:
                    last, sent = now, item
                    self.progress.emit(item)
        except Exception as exc:  # noqa: BLE001 - every failure goes to the GUI, not the console
            if gen is not None:
                gen.close()
            self.failed.emit(_describe(exc), traceback.format_exc())


class JobRunner(QObject):
    """Run one core job generator in a ``QThread``.

    Parameters
    ----------
    make_job : callable
        Called *in the worker thread* with no arguments; returns the generator
        (so even the job's set-up stays off the GUI thread).
    parent : QObject, optional

    Signals
    -------
    progress(Progress)
        At most every ~100 ms, plus the last item.
    finished(object)
        The job's return value.
    failed(str, str)
        A one-line message and the traceback text (for a details box).
    cancelled()
        The job was closed on request.
    done()
        After any of the three endings; the thread has quit.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str, str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, make_job: Callable[[], Job], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread = QThread()
        self._worker = _Worker(make_job, self._stop)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progress.connect(self._on_progress)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.cancelled.connect(self._on_cancelled)
        self._running = False

    @property
    def running(self) -> bool:
        """True between :meth:`start` and the end signal."""
        return self._running

    def start(self) -> None:
        """Start the worker thread."""
        self._running = True
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to stop at its next progress step."""
        self._stop.set()

    def wait(self, ms: int = 5000) -> bool:
        """Cancel and block until the thread ended (for window close)."""
        self.cancel()
        self._thread.quit()
        return self._thread.wait(ms)

    def _stop_thread(self) -> None:
        # Not running any more before anyone hears of the end, so a slot may
        # start the next job at once.
        self._running = False
        self._thread.quit()
        self._thread.wait()

    @Slot(object)
    def _on_progress(self, item: Progress) -> None:
        if not self._stop.is_set():
            self.progress.emit(item)

    @Slot(object)
    def _on_finished(self, result: object) -> None:
        self._stop_thread()
        self.finished.emit(result)
        self.done.emit()

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._stop_thread()
        self.failed.emit(message, details)
        self.done.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self._stop_thread()
        self.cancelled.emit()
        self.done.emit()


class PoolTask(QObject):
    """Carries one pool result back to the GUI thread (``result`` / ``error``)."""

    result = Signal(object, object)  # (key, value)
    error = Signal(object, str)  # (key, message)


class _Runnable(QRunnable):
    def __init__(self, task: PoolTask, key, fn, args) -> None:
        super().__init__()
        self.task, self.key, self.fn, self.args = task, key, fn, args

    def run(self) -> None:
        try:
            value = self.fn(*self.args)
        except Exception as exc:  # noqa: BLE001 - reported in the GUI
            self._emit(self.task.error, _describe(exc))
            return
        self._emit(self.task.result, value)

    def _emit(self, signal, value) -> None:
        try:
            signal.emit(self.key, value)
        except RuntimeError:  # the widget that asked was closed meanwhile: nobody to tell
            pass


class _BatchRunnable(QRunnable):
    """Runs the first of ``items``, then puts the rest back in the pool's queue, so a
    request of higher priority (the image the user asked for) never waits behind a
    whole batch."""

    def __init__(self, task: PoolTask, fn, items, priority: int) -> None:
        super().__init__()
        self.task, self.fn, self.items, self.priority = task, fn, items, priority

    def run(self) -> None:
        (key, args), rest = self.items[0], self.items[1:]
        _Runnable(self.task, key, self.fn, args).run()
        if rest:
            QThreadPool.globalInstance().start(_BatchRunnable(self.task, self.fn, rest, self.priority),
                                               self.priority)


def submit(task: PoolTask, key, fn: Callable[..., Any], *args, priority: int = 0) -> None:
    """Run ``fn(*args)`` on the global thread pool; ``task`` emits the outcome with ``key``.

    ``task`` must live in the GUI thread and be connected to GUI-thread slots.
    """
    QThreadPool.globalInstance().start(_Runnable(task, key, fn, args), priority)


def submit_each(task: PoolTask, fn: Callable[..., Any], items: list[tuple[Any, tuple]], *,
                priority: int = 0) -> None:
    """Run ``fn(*args)`` for each ``(key, args)`` of ``items`` on the pool, started from
    this thread only once per pool thread; ``task`` emits each outcome with its key as
    soon as it is known.

    For many small jobs asked for at once (the thumbnails of a screenful of rows):
    each start from the GUI thread wakes a pool thread that then competes with it
    for the interpreter lock. Here each chain runs one item and queues the rest
    itself, at ``priority``, so other pool work is not held up behind the batch.
    """
    pool = QThreadPool.globalInstance()
    items = list(items)
    n = min(len(items), max(1, pool.maxThreadCount()))
    for i in range(n):  # one chain per pool thread, each taking every n-th item (the first rows first)
        pool.start(_BatchRunnable(task, fn, items[i::n], priority), priority)


# -- trainers ------------------------------------------------------------------------
# The GUI's only road to the trainers and torch. Each wrapper imports
# ``trainers.jobs`` when called: job factories run inside a JobRunner's worker
# (so the first, slow torch import never blocks the GUI thread); the plain
# helpers are called once ``presets`` has loaded the trainers in a worker.
def _trainer_jobs():
    import trainers.jobs

    return trainers.jobs


def trainer_presets() -> Job:
    """Job returning the config presets of every run kind and the CUDA devices."""
    yield Progress(0, None, "loading the trainers (torch)")
    return _trainer_jobs().presets()


def load_trainer_presets(owner: QObject, on_loaded, on_failed) -> "JobRunner":
    """Start :func:`trainer_presets` in a worker (the first torch import takes seconds) and return its runner.

    ``on_loaded(presets)`` runs when they arrive, ``on_failed(message)`` if
    the trainers cannot be loaded.
    """
    loader = JobRunner(trainer_presets, owner)
    loader.finished.connect(on_loaded)
    loader.failed.connect(lambda msg, _tb: on_failed(msg))
    loader.start()
    return loader


def gan_training_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.gan_training_job`."""
    return _trainer_jobs().gan_training_job(*args, **kwargs)


def classifier_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.classifier_job`."""
    return _trainer_jobs().classifier_job(*args, **kwargs)


def experiment_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.experiment_job`."""
    return _trainer_jobs().experiment_job(*args, **kwargs)


def fid_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.fid_job`."""
    return _trainer_jobs().fid_job(*args, **kwargs)


def tsne_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.tsne_job`."""
    return _trainer_jobs().tsne_job(*args, **kwargs)


def generate_job(*args, **kwargs) -> Job:
    """:func:`trainers.jobs.generate_job`."""
    return _trainer_jobs().generate_job(*args, **kwargs)


def lesion_generation_job(*args, **kwargs) -> Job:
    """Generated lesion arrays for Simulate mode (``trainers.jobs.simulate``)."""
    from trainers.jobs.simulate import lesion_generation_job as job

    return job(*args, **kwargs)


def inpainter_job(checkpoint, *, size_mm: float = 15.0) -> Job:
    """Load an in-painting checkpoint (torch) in a worker: returns (pool item, inpainter function)."""
    yield Progress(0, None, f"loading the in-painting generator {checkpoint}")
    from trainers.jobs.simulate import make_inpainter

    return make_inpainter(checkpoint, size_mm=size_mm)


def run_control():
    """A new :class:`trainers.jobs.RunControl` (pause / resume / stop a training)."""
    return _trainer_jobs().RunControl()


def list_runs(workspace) -> list[dict]:
    """:func:`trainers.jobs.list_runs`: the run folders of a workspace as plain dicts."""
    return _trainer_jobs().list_runs(workspace)


def read_run(run_dir) -> dict:
    """:func:`trainers.jobs.read_run`: one run folder as plain values."""
    return _trainer_jobs().read_run(run_dir)


def weights_status(kind: str, weights=None) -> tuple[bool, str]:
    """:func:`trainers.jobs.weights_status`: (found, path or the missing-weights guidance)."""
    return _trainer_jobs().weights_status(kind, weights)
