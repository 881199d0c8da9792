"""Opening a dataset as a job: list the files, read new headers in parallel, run the reader.

:func:`open_dataset_job` is what ``scan`` (with a progress bar) and the GUI (in a
worker, with Cancel) run; :func:`mammostudio.core.readers.open_dataset` drives it
to the end for everyone else. The steps:

1. walk the folder once (``os.scandir``), noting each candidate DICOM file's
   size and mtime (cancellable every few thousand files);
2. compare with the dataset's header index (:mod:`mammostudio.core.header_index`)
   and read only new or changed files, with :func:`~mammostudio.core.dicom.scan_file`
   on a pool of worker processes (header parsing is pure Python: threads would
   share one core through the GIL), with progress and cancel between chunks;
3. save the index, then run the reader with a :class:`ScanContext` set, so that
   its ``header_row`` / ``scan_dicom_tree`` calls are answered from memory
   (readers keep their ``read(root)`` signature and know nothing of this);
4. add a Problem for every catalog image whose pixel data cannot be decoded
   (colour, a size over the cap, data shorter than Rows x Columns; PGM and PNG
   headers are checked too), found without decoding anything;
5. save the whole catalog (:mod:`mammostudio.core.catalog_cache`): while no
   file of the folder changes, the next open loads it after step 1 and skips
   steps 2-4.
"""
from __future__ import annotations

import contextvars
import operator
import os
import sqlite3
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog, Problem
from ..pool import as_finished
from ..progress import Progress

__all__ = ["ScanContext", "current_scan", "open_dataset_job", "walk_candidates", "read_headers", "CHUNK"]

CHUNK = 256  # files per worker task: small enough to cancel quickly, big enough to amortise
_PARALLEL_FROM = 20_000  # below this, spawning the pool (imports in each worker) costs more than it saves
_HIDDEN = (".", "~$")
_SCAN: contextvars.ContextVar["ScanContext | None"] = contextvars.ContextVar("mammostudio_scan", default=None)


@dataclass
class ScanContext:
    """Headers of one dataset folder, read before its reader runs.

    Attributes
    ----------
    root : str
        The resolved dataset folder.
    files : list of str
        Candidate DICOM files (absolute), in walk order.
    others : list of str
        Files with a suffix that is neither DICOM nor a known side file.
    entries : dict
        {path: (size, mtime_ns, error, pixel_problem, header or None)}.
    linked : set of str
        Files reached through a symbolic link (their path is not their real path).
    stats : dict
        {path: (size, mtime_ns)} of every file of the walk (side files too).
    cache : bool
        The open uses the header index; readers may keep pixel-derived values there.
    """

    root: str
    files: list = field(default_factory=list)
    others: list = field(default_factory=list)
    entries: dict = field(default_factory=dict)
    linked: set = field(default_factory=set)
    stats: dict = field(default_factory=dict)
    cache: bool = False  # the open uses the header index (readers may cache derived values in it)

    def lookup(self, path) -> tuple | None:
        """The entry of ``path`` (absolute or relative to the working folder), or None."""
        entry = self.entries.get(os.path.abspath(path))
        return entry if entry is not None else self.entries.get(os.path.realpath(path))


def current_scan() -> ScanContext | None:
    """The context of the dataset being opened in this thread, if any."""
    return _SCAN.get()


def _kinds():
    from .workbook_tree import _IGNORED_SUFFIXES, DICOM_SUFFIXES

    return frozenset(DICOM_SUFFIXES), frozenset(_IGNORED_SUFFIXES)


def walk_candidates(root: str, ctx: ScanContext, stats: dict | None = None):
    """Walk ``root``: fill ``ctx.files`` (candidate DICOM files), ``ctx.others`` (files of
    an unknown type), ``ctx.linked`` and ``ctx.stats`` {path: (size, mtime_ns)} of every
    file; yields Progress every few thousand files (a generator, so it can be cancelled)."""
    dicom, side = _kinds()
    stats = ctx.stats if stats is None else stats
    stack, seen = [(root, False)], 0
    by_name = operator.attrgetter("name")
    while stack:
        folder, linked = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            continue
        entries.sort(key=by_name)
        subdirs = []
        for entry in entries:
            name = entry.name
            if name.startswith(_HIDDEN):
                continue
            try:
                if entry.is_dir():
                    subdirs.append((entry.path, linked or entry.is_symlink()))
                    continue
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue
            path = entry.path
            stats[path] = (st.st_size, st.st_mtime_ns)
            dot = name.rfind(".")
            suffix = name[dot:].lower() if dot > 0 else ""  # as os.path.splitext, without its cost
            if suffix in dicom:
                ctx.files.append(path)
                if linked or entry.is_symlink():
                    ctx.linked.add(path)
            elif suffix not in side:
                ctx.others.append(path)
            seen += 1
            if seen % 5000 == 0:
                yield Progress(seen, None, f"listing files: {seen:,}")
        stack.extend(reversed(subdirs))


def _scan_chunk(paths: list[str], cap: int) -> list[tuple]:
    """Worker task: (path, error, pixel_problem, header or None) for each file."""
    from ..dicom import DicomError, scan_file

    out = []
    for p in paths:
        try:
            header, problem = scan_file(p, max_pixels=cap)
            out.append((p, "", problem, header))
        except (DicomError, OSError, ValueError) as exc:
            text = str(exc)
            out.append((p, text if p in text else f"{p}: {text}", "", None))
    return out


def read_headers(paths: list[str], *, workers: int | None = None, mode: str = "process"):
    """Job: scan ``paths`` with :func:`_scan_chunk` in ``workers`` processes (or threads);
    yields Progress per chunk and returns {path: (error, pixel_problem, header)}."""
    from ..dicom import max_pixels

    cap = max_pixels()
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    workers = workers or min(os.cpu_count() or 1, 8)
    results: dict = {}
    total = len(paths)
    if workers <= 1 or len(paths) < _PARALLEL_FROM or mode == "serial":
        for chunk in chunks:
            for p, err, prob, head in _scan_chunk(chunk, cap):
                results[p] = (err, prob, head)
            yield Progress(len(results), total, f"reading headers: {len(results):,} of {total:,}")
        return results
    if mode == "thread":
        pool = ThreadPoolExecutor(workers)
    else:
        import multiprocessing

        # spawn, not fork: the GUI calls this from a worker thread of a Qt process
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    pending: set = set()
    try:
        try:
            for fut in as_finished(pool, _scan_chunk, chunks, cap, depth=2 * workers, pending=pending):
                for p, err, prob, head in fut.result():
                    results[p] = (err, prob, head)
                yield Progress(len(results), total, f"reading headers: {len(results):,} of {total:,}")
        except (BrokenExecutor, RuntimeError, OSError):
            # No worker processes here (a script without a __main__ guard, a sandbox):
            # read the rest in this process.
            pass
        for chunk in chunks:
            if all(p in results for p in chunk):
                continue
            for p, err, prob, head in _scan_chunk(chunk, cap):
                results[p] = (err, prob, head)
            yield Progress(len(results), total, f"reading headers: {len(results):,} of {total:,}")
        return results
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _pixel_problems(catalog: Catalog, ctx: ScanContext) -> list[Problem]:
    """A Problem for each catalog image whose pixels cannot be decoded (header checks only)."""
    from ..dicom import DicomError, scan_file
    from ..images import ImageReadError, image_problem

    out = []
    for path, fmt in zip(catalog.images["path"].tolist(), catalog.images["format"].tolist()):
        if fmt == "dicom":
            entry = ctx.lookup(path)
            if entry is not None:
                problem = entry[3] or entry[2]
            else:  # found by the reader outside the walk (a link out of the folder)
                try:
                    problem = scan_file(path)[1]
                except (DicomError, OSError) as exc:
                    problem = str(exc)
        else:
            try:
                problem = image_problem(path, fmt)
            except ImageReadError as exc:
                problem = str(exc)
        if problem:
            out.append(Problem(path, f"pixel data cannot be shown: {problem}"))
    return out


def open_dataset_job(root: str | os.PathLike, *, fmt: str | None = None, cache: bool = True,
                     workers: int | None = None, mode: str = "process", isolate_from: int | None = None,
                     saved_key=None):
    """Job: read a dataset folder into a :class:`Catalog` (see the module docstring).

    Parameters
    ----------
    root : path-like
        The dataset folder.
    fmt : str, optional
        Force a reader instead of detecting one.
    cache : bool
        Use and update the header index (False: read every header, save nothing).
    workers : int, optional
        Header-reading processes (default: the CPU count, at most 8).
    mode : str
        'process' (default), 'thread' or 'serial' (benchmarks compare them).
    isolate_from : int, optional
        With this many candidate files or more, and no saved catalog to load,
        read in a child process (:mod:`.isolated`): for callers that must stay
        responsive (the GUI). None (default): always in this process.
    saved_key : callable, optional
        Called with the snapshot key once the catalog is saved (None when it
        was not saved).

    Returns
    -------
    Catalog
        ``catalog.problems`` also lists every image whose pixel data cannot be decoded.
    """
    from ..header_index import index_path, load_index, save_index
    from . import READERS, DatasetError, _module, detect_format

    name = fmt or detect_format(root)
    if name not in READERS:
        raise DatasetError(f"unknown dataset format {name!r}; choose from {READERS}")
    from ..catalog_cache import load_snapshot, save_snapshot, snapshot_key, snapshot_path
    from ..dicom import max_pixels

    real = os.path.realpath(root)
    ctx = ScanContext(real, cache=cache)
    yield Progress(0, None, f"listing files in {root}")
    yield from walk_candidates(real, ctx)
    stats = ctx.stats
    key = snapshot_key(stats, reader=name, extra=f"{os.fspath(root)}|{max_pixels()}", root=real)
    if cache:
        yield Progress(0, None, f"{len(stats):,} files: loading the catalog saved at the last open")
        snap = load_snapshot(snapshot_path(real), key)
        if snap is not None:  # nothing changed since the last open
            return snap
    if isolate_from is not None and len(ctx.files) >= isolate_from:
        from .isolated import read_in_child

        catalog = yield from read_in_child(root, fmt=name, cache=cache, workers=workers, mode=mode)
        if catalog is not None:
            return catalog
    where = index_path(real)
    old = load_index(where) if cache else {}
    stale = [p for p in ctx.files if (old.get(p) or (None, None))[:2] != stats[p]]
    yield Progress(0, len(stale), f"{len(ctx.files):,} DICOM files, {len(stale):,} to read")
    fresh = yield from read_headers(stale, workers=workers, mode=mode)
    changed = {p: (*stats[p], *fresh[p]) for p in stale}
    ctx.entries = {p: changed.get(p) or old[p] for p in ctx.files}
    if cache:
        removed = [p for p in old if p not in stats]
        if changed or removed:
            try:
                save_index(where, changed, removed, existing=bool(old))
            except (OSError, sqlite3.Error):
                pass  # a read-only cache folder: next time reads the headers again
    yield Progress(len(stale), len(stale), f"building the catalog ({name})")
    token = _SCAN.set(ctx)
    try:
        catalog = _module(name).read(Path(root))
    finally:
        _SCAN.reset(token)
    yield Progress(len(stale), len(stale), "checking pixel data")
    catalog.problems.extend(_pixel_problems(catalog, ctx))
    saved = False
    if cache:
        try:
            saved = save_snapshot(snapshot_path(real), key, catalog)
        except OSError:
            pass
    if saved_key is not None:
        saved_key(key if saved else None)
    return catalog
