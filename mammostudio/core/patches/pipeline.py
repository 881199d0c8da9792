"""In-process extraction as a pipeline: decode ahead, write behind, release in order.

With one worker the images are still handled one at a time, but the stages
overlap: a compute thread decodes and samples the next image (file reads,
min/max and look-ups release the GIL) while a small pool of writer threads
saves the PNGs of the previous ones (zlib and the file calls release the GIL
too). A result is handed out only after every one of its patch files exists,
and always in task order, so the index never points at a missing file and the
output is the same as a plain loop's.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from .worker import process_image, write_patch

__all__ = ["Pipeline"]


class Pipeline:
    """Run :func:`process_image` over ``tasks`` with overlapped decoding and writing.

    Parameters
    ----------
    tasks : list of dict
        Worker tasks (see :mod:`.worker`), handled in this order.
    lookahead : int
        Images decoded and sampled ahead of the oldest one still being written.
    writers : int
        Writer threads.

    Iterating yields the result dicts in task order, each once its patches are
    written; :class:`~.worker.FatalWriteError` (or any error of the compute
    stage) is raised there. :meth:`close` stops it and returns the results whose
    files were all written but that were not yet handed out.
    """

    def __init__(self, tasks: list, *, lookahead: int = 2, writers: int = 2):
        self._tasks = iter(tasks)
        self._lookahead = max(int(lookahead), 1)
        self._compute = ThreadPoolExecutor(max_workers=1, thread_name_prefix="patch-compute")
        self._writer = ThreadPoolExecutor(max_workers=max(int(writers), 1), thread_name_prefix="patch-writer")
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
            futs = [self._writer.submit(write_patch, path, patch) for path, patch in res.pop("writes")]
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

    def close(self) -> list[dict]:
        """Stop: cancel computations not started, wait for running ones and for every write.

        Returns
        -------
        list of dict
            Results (in task order) whose patch files all exist and that were
            not handed out yet; the caller may record them.
        """
        self._compute.shutdown(wait=True, cancel_futures=True)
        self._writer.shutdown(wait=True)
        complete = []
        for futs, res in self._writing:
            if all(not f.cancelled() and f.exception() is None for f in futs):
                complete.append(res)
        self._writing.clear()
        self._computing.clear()  # computed but never written: redone on resume
        return complete
