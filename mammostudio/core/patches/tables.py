"""Writing the patch dataset's tables (index.csv, images.csv) fast and in order.

The text is the one ``pandas.DataFrame(records, columns=...).to_csv(index=False)``
gives (pandas writes through the same :mod:`csv` writer: minimal quoting,
``\\n`` line ends, missing values empty), without building a DataFrame, which
cost more than the rest of a short run. Several tables are replaced as one
step: all fsynced at once, then renamed in the order given.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from ..atomic import atomic_path

__all__ = ["csv_text", "write_in_order"]

_SYNC_POOL: ThreadPoolExecutor | None = None  # kept for the process: a run flushes several times
_SYNC_LOCK = threading.Lock()


def _sync_pool() -> ThreadPoolExecutor:
    global _SYNC_POOL
    with _SYNC_LOCK:
        if _SYNC_POOL is None:
            _SYNC_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="table-sync")
        return _SYNC_POOL


def csv_text(records: list[dict], columns: list[str]) -> str:
    """CSV text of ``records`` (dicts) with a header row of ``columns``.

    A key missing from a record, or None, is written as an empty field.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([rec.get(c) for c in columns] for rec in records)
    return buf.getvalue()


def write_in_order(files: list[tuple[Path, str]]) -> None:
    """Atomically replace each (path, text), fsyncing all at once, renaming in list order.

    The same guarantees as one :func:`~mammostudio.core.atomic.write_text`
    after another (each file is durable before its rename; a later file is
    never renamed before an earlier one), but the fsyncs overlap, so the disk
    is waited for once instead of once per file.

    Raises
    ------
    OSError
        Writing or renaming failed (``filename`` is the destination); no file
        after the failing one is replaced.
    """
    def sync(path: Path, tmp: Path, text: str) -> None:
        try:
            with open(tmp, "wb") as fh:
                fh.write(text.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc

    with contextlib.ExitStack() as stack:
        # Contexts exit last-in first-out: entering the last file first makes
        # the first file's rename happen first.
        temps = [(path, stack.enter_context(atomic_path(path)), text) for path, text in reversed(files)]
        if len(temps) == 1:
            sync(*temps[0])
            return
        futs = [_sync_pool().submit(sync, *t) for t in temps]
        wait(futs)  # every write ended (none still holds its temporary) before the first error is raised
        for fut in futs:
            fut.result()
