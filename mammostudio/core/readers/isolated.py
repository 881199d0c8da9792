"""Reading a large dataset in a child process, so the calling process stays responsive.

Building a catalog of 200,000 images makes millions of short-lived Python
objects (one dict per header, per row, per box). Creating them, turning them
into DataFrame columns and, above all, freeing them each hold the interpreter
lock for 0.2-0.4 s at a time; a GUI running the same job in a worker thread
freezes for that long. :func:`read_in_child` runs the whole open
(:func:`~mammostudio.core.readers.opening.open_dataset_job`) in a spawned
process instead and loads its result from the catalog snapshot
(:mod:`mammostudio.core.catalog_cache`), whose columns decode one array at a
time. The calling process never holds the per-image objects.

Protocol: the child sends ``("progress", done, total, message)`` (at most ten a
second, plus the last), then ``("done", path, key, temporary)`` or
``("error", exception)``, or ``("unsaved",)`` when the catalog holds text a
snapshot cannot (U+001E / U+001F): the caller then reads in its own process,
from the header index the child filled. Closing the job (cancel) ends the child
and the header-reading pool it started.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

from ..catalog import Catalog
from ..progress import Progress

__all__ = ["read_in_child"]

_PROGRESS_EVERY = 0.1  # seconds between progress messages from the child


class ChildOpenError(RuntimeError):
    """The child process ended without handing over a catalog (message names the folder)."""


def read_in_child(root: str | os.PathLike, *, fmt: str, cache: bool = True, workers: int | None = None,
                  mode: str = "process"):
    """Job: :func:`~.opening.open_dataset_job` on ``root`` in a spawned process.

    Parameters
    ----------
    root : path-like
        The dataset folder.
    fmt : str
        The reader to use (already detected).
    cache : bool
        Use and update the header index and the catalog snapshot, as in the
        process itself. With False, the catalog still travels through a
        snapshot, in a temporary folder removed afterwards.
    workers, mode
        Passed on to the child's header reading.

    Yields
    ------
    Progress
        The child's progress reports.

    Returns
    -------
    Catalog or None
        The same catalog :func:`~.opening.open_dataset_job` returns in-process;
        None when it cannot travel as a snapshot (read it in-process then).

    Raises
    ------
    Exception
        The child's own error (a :class:`~mammostudio.core.readers.DatasetError`,
        an ``OSError``...) is raised again here; a child that dies without one
        (killed, out of memory) raises :class:`ChildOpenError` naming the folder.
    """
    from ..catalog_cache import load_snapshot

    ctx = multiprocessing.get_context("spawn")
    spare = tempfile.mkdtemp(prefix="mammostudio-open-")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child_main, name="mammostudio-open",
                        args=(send, os.fspath(root), fmt, cache, workers, mode, spare))
    child.start()
    send.close()  # only the child writes: its end closes when it exits
    try:
        while True:
            if not receive.poll(0.1) and child.is_alive():
                continue
            try:
                message = receive.recv()
            except EOFError:  # the child ended without a word (killed, out of memory)
                child.join(5)
                raise ChildOpenError(f"{root}: the process reading the dataset ended "
                                     f"(exit code {child.exitcode}) before it finished") from None
            kind = message[0]
            if kind == "progress":
                yield Progress(message[1], message[2], message[3])
            elif kind == "error":
                raise message[1]
            elif kind == "unsaved":
                return None
            else:
                _, path, key = message
                catalog = load_snapshot(path, key)
                if catalog is None:
                    raise ChildOpenError(f"{root}: the catalog handed over in {path} could not be read")
                return catalog
    finally:
        receive.close()
        _stop(child)
        shutil.rmtree(spare, ignore_errors=True)


def _stop(child) -> None:
    """End ``child``: a child that handed its catalog over is given a moment to exit by
    itself; otherwise it is asked to stop (its pool shuts down) and killed after 5 s."""
    child.join(0.5)
    if child.is_alive():
        child.terminate()
        child.join(5)
    if child.is_alive():
        child.kill()
    child.join()


def _child_main(conn, root: str, fmt: str, cache: bool, workers, mode: str, spare: str) -> None:
    """Entry point of the child process: open ``root`` and hand the catalog over."""
    signal.signal(signal.SIGTERM, _exit_on_term)  # run the finally blocks (the header pool shuts down)
    try:
        catalog = None
        job = _open(root, fmt, cache, workers, mode)
        last = 0.0
        try:
            while True:
                p = next(job)
                now = time.monotonic()
                if now - last >= _PROGRESS_EVERY:
                    conn.send(("progress", p.done, p.total, p.message))
                    last = now
        except StopIteration as done:
            catalog, path, key = done.value
        conn.send(("progress", 0, None, f"{catalog.n_images:,} images: handing the catalog over"))
        if path is None:
            path, key = _save_spare(catalog, spare)
        conn.send(("done", path, key) if path is not None else ("unsaved",))
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that does not pickle
            conn.send(("error", ChildOpenError(f"{root}: {type(exc).__name__}: {exc}")))
        if not isinstance(exc, Exception):
            raise
    finally:
        conn.close()


def _exit_on_term(signum, frame):
    raise SystemExit(128 + signum)


def _open(root: str, fmt: str, cache: bool, workers, mode: str):
    """The in-process open, returning (catalog, snapshot path or None, key)."""
    from ..catalog_cache import snapshot_path
    from .opening import open_dataset_job

    keys: list = []
    catalog = yield from open_dataset_job(root, fmt=fmt, cache=cache, workers=workers, mode=mode,
                                          saved_key=keys.append)
    path = snapshot_path(os.path.realpath(root)) if cache and keys and keys[-1] is not None else None
    return catalog, path, (keys[-1] if keys else None)


def _save_spare(catalog: Catalog, spare: str) -> tuple[str | None, str | None]:
    """Save ``catalog`` as a snapshot in the parent's temporary folder ((None, None):
    it holds text the snapshot format cannot)."""
    from ..catalog_cache import save_snapshot

    path = str(Path(spare) / "catalog.npz")
    return (path, "handed-over") if save_snapshot(path, "handed-over", catalog) else (None, None)
