"""In-process extraction as a pipeline: decode ahead, write behind, release in order.

With one worker process the stages still overlap: two compute threads
decode and sample the next images (file reads, min/max and look-ups release
the GIL) while two writer threads save the PNGs of the previous ones (deflate
and the file calls release the GIL too). A result is handed out only after every one of its patch files exists,
and always in task order, so the index never points at a missing file and the
output is the same as a plain loop's.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from .worker import process_image, write_patch

__all__ = ["Pipeline"]


def _write_all(writes: list) -> None:
    for path, patch in writes:
        write_patch(path, patch)


class Pipeline:
    """Run :func:`process_image` over ``tasks`` with overlapped decoding and writing.

    Parameters
    ----------
    tasks : list of dict
        Worker tasks (see :mod:`.worker`), handled in this order.
    lookahead : int
        Images decoded and sampled ahead of the oldest one still being written
        (each holds its full-size pixels while it is computed).
    computers, writers : int
        Compute and writer threads.

    Iterating yields the result dicts in task order, each once its patches are
    written; :class:`~.worker.FatalWriteError` (or any error of the compute
    stage) is raised there. Call :meth:`close` when done or stopping.
    """

    def __init__(self, tasks: list, *, lookahead: int = 2, computers: int = 2, writers: int = 2):
        self._tasks = iter(tasks)
        self._lookahead = max(int(lookahead), 1)
        self._compute = ThreadPoolExecutor(max_workers=max(int(computers), 1), thread_name_prefix="patch-compute")
        self._n_writers = max(int(writers), 1)
        self._writer = ThreadPoolExecutor(max_workers=self._n_writers, thread_name_prefix="patch-writer")
        self._computing: deque[Future] = deque()
        self._writing: deque[tuple[list[Future], dict]] = deque()

    def _feed(self) -> None:
        while len(self._computing) + len(self._writing) < self._lookahead + 1:
            task = next(self._tasks, None)
            if task is None:
                return
            self._computing.append(self._compute.submit(process_image, task, write=False))

    def _start_writes(self) -> None:
        """Hand finished computations (in order) to the writers."""
        while self._computing and self._computing[0].done():
            res = self._computing.popleft().result()
            writes = res.pop("writes")
            # One job per writer thread (alternate patches: the large lesion
            # crops come first and land on different threads).
            futs = [self._writer.submit(_write_all, writes[k :: self._n_writers]) for k in range(self._n_writers)
                    if writes[k :: self._n_writers]]
            res["writes"] = []
            self._writing.append((futs, res))

    def __iter__(self):
        self._feed()
        while self._computing or self._writing:
            if not self._writing:
                self._computing[0].result()  # wait for the oldest image's computation
            self._start_writes()
            self._feed()
            if self._writing:
                futs, res = self._writing.popleft()
                for fut in futs:
                    fut.result()  # raises FatalWriteError
                yield res
                self._start_writes()
                self._feed()

    def close(self) -> None:
        """Stop: drop what was not handed out yet, wait for the threads.

        Images computed or written but not yet handed out are dropped (the
        caller never saw them: its index does not list them, their files are
        orphans to remove, and a resumed run redoes them), so a cancel stops
        at the last image reported, however far ahead the threads had got.
        """
        self._compute.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True, cancel_futures=True)
        self._writing.clear()
        self._computing.clear()
