"""Decode every image of a catalog in parallel and report the ones that fail (``scan --verify``).

The header checks at open (:func:`mammostudio.core.dicom.pixel_problem`) catch
colour images, sizes over the decode cap and native data shorter than its
header says, without decoding. Corrupt *compressed* data shows only when the
codec runs: this job runs it on every image, in worker processes, one image
per worker at a time (so memory stays at workers x the decode cap).
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

from .catalog import Catalog, Problem
from .pool import as_finished
from .progress import Progress

__all__ = ["verify_job", "decode_check"]


def decode_check(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Worker task: (path, '' or the failure message) for each (path, format)."""
    from .images import ImageReadError, load_pixels

    out = []
    for path, fmt in rows:
        try:
            load_pixels({"path": path, "format": fmt})
            out.append((path, ""))
        except (ImageReadError, OSError, ValueError, MemoryError) as exc:
            text = str(exc) or type(exc).__name__
            out.append((path, text if path in text else f"{path}: {text}"))
    return out


def verify_job(catalog: Catalog, *, workers: int | None = None, chunk: int = 8):
    """Job: decode every image of ``catalog``; returns a Problem for each that fails.

    Images already listed with a problem at open (their pixel data was refused
    from the header) are not decoded again.
    """
    known = {p.path for p in catalog.problems}
    rows = [(p, f) for p, f in zip(catalog.images["path"].tolist(), catalog.images["format"].tolist())
            if p not in known]
    total = len(rows)
    tasks = [rows[i : i + chunk] for i in range(0, total, chunk)]
    workers = max(1, min(workers or os.cpu_count() or 1, 8, len(tasks) or 1))
    problems: list[Problem] = []
    done = 0
    yield Progress(0, total, f"decoding {total:,} images")
    if workers == 1:
        for task in tasks:
            for path, msg in decode_check(task):
                if msg:
                    problems.append(Problem(path, f"pixel data cannot be decoded: {msg}"))
            done += len(task)
            yield Progress(done, total, f"decoded {done:,} of {total:,}; {len(problems)} failed")
        return problems
    import multiprocessing

    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: set = set()
    try:
        for fut in as_finished(pool, decode_check, tasks, depth=2 * workers, pending=pending):
            try:
                results = fut.result()
            except Exception as exc:  # a worker died (killed for memory): say so, carry on
                results = [("(a worker process)", f"died while decoding: {type(exc).__name__}: {exc}")]
            for path, msg in results:
                if msg:
                    problems.append(Problem(path, f"pixel data cannot be decoded: {msg}"))
            done += len(results)
            yield Progress(min(done, total), total, f"decoded {min(done, total):,} of {total:,}; "
                           f"{len(problems)} failed")
        return problems
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
