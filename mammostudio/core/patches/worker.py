"""The work on one image, run in a worker process (top-level, picklable, spawn-safe).

A task is a plain dict (the image's catalog fields, its lesion rows, the
parameters, the seed, the output folder); the result is a plain dict of index
rows and problems. The image's patch store (:mod:`.store`, one file holding
all its patches) is written atomically *before* the result is returned, so
any index row the parent records points at a complete file.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from .lesion import lesion_patch
from .params import ExtractParams
from .prepared import prepare
from .store import store_name
from .tissue import image_rng, n_unique, sample_tissue

__all__ = ["INDEX_COLUMNS", "safe_stem", "process_image", "write_image_store", "ignore_interrupts",
           "worker_init", "FatalWriteError"]

INDEX_COLUMNS = [
    "patch_id", "kind", "file", "image_id", "patient_id", "study_id", "laterality", "view", "source_path",
    "row", "col", "height", "width", "lesion_uid", "lesion_id", "lesion_type", "status", "severity",
    "box_row_min", "box_col_min", "box_row_max", "box_col_max", "mode", "seed", "n_unique",
]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FatalWriteError(OSError):
    """Writing a patch failed in a way every later image would too (disk full, no permission)."""


def ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle (it cancels, then waits)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _die_with_parent_linux() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float) -> None:
    """Leave as soon as the parent is gone (the portable half: macOS, Windows, or no prctl)."""
    if sys.platform == "win32":  # pragma: no cover - not testable here
        import ctypes

        synchronize, infinite = 0x00100000, 0xFFFFFFFF
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(synchronize, False, parent_pid)
        if handle:
            kernel32.WaitForSingleObject(handle, infinite)
        os._exit(1)
    while True:
        # An orphan is re-parented (to init or a subreaper): its parent pid changes.
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(interval)


def worker_init(parent_pid: int | None = None, interval: float = 0.5) -> None:
    """Worker-process initializer: ignore Ctrl-C, and end when the parent process dies.

    A parent killed with SIGKILL (or crashing) cannot shut its pool down, so
    each worker watches it: on Linux the kernel's parent-death signal
    (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), everywhere a daemon thread that
    exits the worker once the parent is gone (parent pid polled every
    ``interval`` seconds on POSIX; on Windows it waits on the parent's process
    handle).

    Linux sends the parent-death signal when the *thread* that started the
    worker ends: the pool must be created and shut down by one thread (as
    :func:`~mammostudio.core.patches.extract.extract_patches` does, whether
    driven by the CLI's main thread or the app's worker thread).
    """
    ignore_interrupts()
    if parent_pid is None:
        return
    if sys.platform.startswith("linux"):
        _die_with_parent_linux()
    if sys.platform != "win32" and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the watch was set up
    threading.Thread(target=_watch_parent, args=(parent_pid, interval), name="parent-watchdog",
                     daemon=True).start()


def safe_stem(image_id: str) -> str:
    """A file-name stem for ``image_id``; a short hash is added when characters were replaced."""
    stem = _UNSAFE.sub("_", str(image_id)).strip("._") or "image"
    if stem != str(image_id):
        stem += "-" + hashlib.sha1(str(image_id).encode()).hexdigest()[:6]
    return stem


def write_image_store(path: Path, items: list) -> None:
    """Write one image's patch store ``[(patch_id, uint8 patch), ...]`` atomically (raises FatalWriteError)."""
    from .store import write_store

    try:
        write_store(path, items)
    except OSError as exc:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise FatalWriteError(exc.errno, f"cannot write patches {path}: {reason}") from exc


def _load(image: dict) -> tuple[np.ndarray, tuple | None]:
    """The image's pixels, and their (min, max) when the read measured them (DICOM)."""
    if str(image.get("format", "") or "") == "dicom":
        from ..dicom import read_pixels_range

        return read_pixels_range(image["path"])  # a DicomError is an OSError, as load_pixels' errors
    from ..images import load_pixels

    return load_pixels(image), None


def process_image(task: dict, *, write: bool = True) -> dict:
    """Extract and save the lesion and tissue patches of one image.

    With ``write=False`` the patches are not written but returned as
    ``result['writes']`` ([(store path, [(patch_id, patch), ...])], empty
    when the image gave no patch) for the caller to write (a writer thread
    overlaps that with decoding the next image); the index rows must not be
    recorded before that write completed.

    Returns
    -------
    dict
        image_id, rows (index rows), problems (list of (path, message,
        severity)), writes, done (False when the image could not be read: retry on
        resume), low_variety (dropped tissue patches), short (fewer tissue
        patches than asked), seconds.

    Raises
    ------
    FatalWriteError
        When a patch cannot be written (the run should stop).
    """
    t0 = time.perf_counter()
    image, params = task["image"], ExtractParams.from_dict(task["params"])
    seed, out = int(task["seed"]), Path(task["out"])
    image_id, src = str(image["image_id"]), str(image["path"])
    result = {"image_id": image_id, "rows": [], "problems": [], "done": False, "low_variety": 0, "short": False,
              "seconds": 0.0, "writes": []}
    try:
        raw, value_range = _load(image)
        prep = prepare(raw, threshold=params.mask_threshold, value_range=value_range)
        del raw
    except (OSError, ValueError) as exc:  # ImageReadError / DicomError are OSErrors
        msg = str(exc) if src in str(exc) else f"cannot read image: {exc}"
        result["problems"].append((src, msg, "error"))
        return result
    stem = safe_stem(image_id)
    rel = store_name(stem)
    items = []
    base = {k: image.get(k, "") for k in ("image_id", "patient_id", "study_id", "laterality", "view")}
    # Lesion fields are blank on tissue rows (blank, not NaN: the CSV text must
    # not depend on which rows share a flush, so resumed runs write the same index).
    base.update({k: "" for k in ("lesion_uid", "lesion_id", "lesion_type", "status", "severity",
                                 "box_row_min", "box_col_min", "box_row_max", "box_col_max")})
    base["source_path"], base["seed"] = task.get("source_path", src), seed
    boxes = []
    for k, les in enumerate(task["lesions"]):
        box = (les["row_min"], les["col_min"], les["row_max"], les["col_max"])
        boxes.append(box)
        if not params.lesions:
            continue
        try:
            patch, (r, c, h, w) = lesion_patch(prep, box, params)
        except ValueError as exc:
            result["problems"].append((src, f"lesion {les['lesion_id']}: {exc}", "warning"))
            continue
        pid = f"{stem}_lesion{k:02d}"
        items.append((pid, patch))
        result["rows"].append({
            **base, "patch_id": pid, "kind": "lesion", "file": rel,
            "row": r, "col": c, "height": h, "width": w,
            "lesion_uid": les["lesion_uid"], "lesion_id": les["lesion_id"], "lesion_type": les["lesion_type"],
            "status": les["status"], "severity": les["severity"],
            "box_row_min": box[0], "box_col_min": box[1], "box_row_max": box[2], "box_col_max": box[3],
            "mode": params.lesion_mode, "n_unique": n_unique(patch),
        })
    if params.tissue:
        res = sample_tissue(prep, np.array(boxes, dtype=np.int64).reshape(-1, 4), params, image_rng(seed, image_id))
        mode = "exhaustive" if params.exhaustive else "random"
        for k, (patch, (r, c), nu) in enumerate(zip(res.patches, res.positions, res.uniques)):
            pid = f"{stem}_tissue{k:02d}"
            items.append((pid, patch))
            result["rows"].append({
                **base, "patch_id": pid, "kind": "tissue", "file": rel,
                "row": r, "col": c, "height": params.patch_size, "width": params.patch_size,
                "mode": mode, "n_unique": nu,
            })
        result["low_variety"] = sum(1 for a in res.audit if a[3] == "low variety")
        result["short"] = len(res.patches) < params.n_tissue
        if res.note:  # a reason beyond chance (size, background, crowding)
            result["problems"].append((src, f"{len(res.patches)} of {params.n_tissue} tissue patches: {res.note}",
                                       "warning"))
    if items:
        result["writes"] = [(out / rel, items)]
    if write:
        for path, store in result["writes"]:
            write_image_store(path, store)
        result["writes"] = []
    result["done"] = True
    result["seconds"] = time.perf_counter() - t0
    return result
