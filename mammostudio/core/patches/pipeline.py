"""In-process extraction as a pipeline: decode ahead, write behind, release in order.

With one worker process the stages still overlap: two compute threads decode
and sample the next images (file reads, min/max and look-ups release the GIL)
while two writer threads save the patch stores of images already computed
(the file calls release the GIL too). A result is handed out only after its
store exists, and always in task order, so the index never points at a
missing file and the output is the same as a plain loop's.
"""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .worker import process_image, write_image_store

__all__ = ["Pipeline"]

# Thread pools kept for the process: starting four threads per run cost more
# than a short run's images on a loaded machine (a new thread waits to be
# scheduled before start() returns). Pipelines share them; each one cancels
# and waits for only its own work.
_POOLS: dict[tuple[str, int], ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def _pool(kind: str, n: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        if (kind, n) not in _POOLS:
            _POOLS[kind, n] = ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"patch-{kind}")
        return _POOLS[kind, n]


class Pipeline:
    """Run :func:`process_image` over ``tasks`` with overlapped decoding and writing.

    Parameters
    ----------
    tasks : list of dict
        Worker tasks (see :mod:`.worker`), handed out in this order.
    lookahead : int
        Images queued for computation beyond the ``computers`` running ones
        (each holds its full-size pixels only while it is computed).
    computers, writers : int
        Compute and writer threads.
    ahead : int
        At most this many images computed or being written but not handed out
        yet (their patches wait in memory).

    Iterating yields the result dicts in task order, each once its patches are
    written; :class:`~.worker.FatalWriteError` (or any error of the compute
    stage) is raised when the image it belongs to is next in order. Images
    finish out of order (a slow one does not hold up the writing of the
    next ones). Call :meth:`close` when done or stopping.
    """

    def __init__(self, tasks: list, *, lookahead: int = 1, computers: int = 2, writers: int = 2, ahead: int = 8):
        self._tasks = iter(tasks)
        self._n_compute = max(int(computers), 1)
        self._n_writers = max(int(writers), 1)
        self._max_computing = self._n_compute + max(int(lookahead), 0)
        self._ahead = max(int(ahead), self._max_computing)
        self._compute = _pool("compute", self._n_compute)
        self._writer = _pool("writer", self._n_writers)
        # Entries in task order: [compute future, write futures or None, result or None].
        self._order: deque[list] = deque()

    def _computing(self) -> list[Future]:
        return [e[0] for e in self._order if e[1] is None and not e[0].done()]

    def _feed(self) -> None:
        while len(self._order) < self._ahead and len(self._computing()) < self._max_computing:
            task = next(self._tasks, None)
            if task is None:
                return
            self._order.append([self._compute.submit(process_image, task, write=False), None, None])

    def _start_writes(self) -> None:
        """Hand every finished computation to the writers (in any order)."""
        for entry in self._order:
            fut = entry[0]
            if entry[1] is not None or not fut.done() or fut.cancelled() or fut.exception() is not None:
                continue  # an error is raised when its image is next in order
            res = fut.result()
            writes = res.pop("writes")
            res["writes"] = []
            entry[1] = [self._writer.submit(write_image_store, path, items) for path, items in writes]
            entry[2] = res

    def __iter__(self):
        self._feed()
        while self._order:
            self._start_writes()
            self._feed()
            front = self._order[0]
            if front[1] is None and front[0].done():
                front[0].result()  # its computation failed: raise in task order
            if front[1] is not None and all(f.done() for f in front[1]):
                self._order.popleft()
                for fut in front[1]:
                    fut.result()  # raises FatalWriteError
                yield front[2]
                continue
            # Only futures still running: a done one would make wait() return at once (a busy loop).
            waiting = self._computing() + [f for f in front[1] or [] if not f.done()]
            if waiting:
                wait(waiting, return_when=FIRST_COMPLETED)

    def close(self) -> None:
        """Stop: drop what was not handed out yet, wait for this pipeline's running work.

        Images computed or written but not yet handed out are dropped (the
        caller never saw them: its index does not list them, their files are
        orphans to remove, and a resumed run redoes them), so a cancel stops
        at the last image reported, however far ahead the threads had got.
        """
        self._tasks = iter(())
        futs = [f for entry in self._order for f in [entry[0], *(entry[1] or [])]]
        for fut in futs:
            fut.cancel()  # those not started yet
        wait(futs)  # the running ones end; a computed image starts no writes any more
        self._order.clear()
