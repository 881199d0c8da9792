"""Extraction over a catalog: worker processes, progress, cancel, resume.

Output folder (the patch dataset, see :mod:`.dataset`)::

    out/patches/<image>.npz            the image's patches (:mod:`.store`): <image>_lesionNN, variable
                                       size ('crop') or patch_size ('centred'); <image>_tissueNN,
                                       patch_size x patch_size
    out/index.csv                      one row per patch, provenance (worker.INDEX_COLUMNS)
    out/images.csv                     images finished (a resumed run skips them)
    out/params.json                    ExtractParams + seed + source dataset + identifier mode
    out/problems.csv                   what went wrong, per image

Exports are pseudonymous unless ``keep_identifiers`` (see
:mod:`mammostudio.core.privacy`): ``patient_id`` / ``study_id`` are salted
hashes, ``source_path`` is relative to the dataset root with patient ids
replaced, and problems.csv loses the dataset's absolute path.

An image's store is written before its index rows; ``index.csv`` and ``images.csv``
are rewritten atomically (index first) every few seconds and when the job ends
or is closed, so the index never points at a missing file. ``params.json`` is
written at the start and made durable (fsynced) with the first of those
flushes, ``problems.csv`` with the last one of a run that ends normally. Stores
are not fsynced: a power cut may leave one renamed but empty. A resumed run drops
the index rows of images not recorded as finished, or whose file is missing or
not whole (:func:`.store.file_is_whole`), and redoes those images; patches of an image depend only on (seed, image_id), so the result does not
depend on interruptions or on the number of workers.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from ..catalog import Catalog, Problem
from ..pool import as_finished
from ..privacy import Pseudonymiser
from ..progress import Job, Progress
from .dataset import INDEX_NAME
from .output import IMAGES_NAME, PROBLEMS_NAME, flush, indexed_state, open_output, problems_text, remove_orphans
from .params import ExtractParams
from .pipeline import Pipeline
from .worker import FatalWriteError, process_image, worker_init

__all__ = ["extract_patches", "IMAGES_NAME"]

_FLUSH_SECONDS = 5.0


def _plain(value):
    if value is None or value is pd.NA:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def _records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")`` through one object array (~10x faster on catalog tables).

    Values are Python scalars or pandas' missing-value markers, which
    :func:`_plain` turns into plain values.
    """
    cols = list(frame.columns)
    return [dict(zip(cols, row)) for row in frame.to_numpy(dtype=object).tolist()]


def _tasks(catalog: Catalog, params: ExtractParams, seed: int, out: Path, skip: set,
           pseudo: Pseudonymiser) -> list[dict]:
    lesions: dict[str, list] = {}
    for les in _records(catalog.lesions):  # in catalog order within each image, as groupby kept it
        lesions.setdefault(str(les["image_id"]), []).append({k: _plain(v) for k, v in les.items()})
    tasks = []
    settings = params.to_dict()  # one dict shared by every task (read only)
    for rec in _records(catalog.images):
        iid = str(rec["image_id"])
        if iid in skip:
            continue
        les_rows = lesions.get(iid, [])
        image = {k: _plain(v) for k, v in rec.items()}
        # What goes into index.csv: pseudonyms and a relative path (the worker
        # still reads the pixels from image["path"]).
        image["patient_id"] = pseudo.patient(image.get("patient_id", ""))
        image["study_id"] = pseudo.study(image.get("study_id", ""))
        tasks.append({"image": image, "lesions": les_rows, "source_path": pseudo.path(image.get("path", "")),
                      "params": settings, "seed": seed, "out": str(out)})
    return tasks


def extract_patches(catalog: Catalog, out, params: ExtractParams | None = None, *,
                    workers: int = 1, seed: int = 0, keep_identifiers: bool = False) -> Job[dict]:
    """Extract lesion and tissue patches of every image of ``catalog`` into ``out``.

    Parameters
    ----------
    catalog : Catalog
        Images and lesion boxes (apply the acquisition filter before).
    out : path-like
        Output folder: empty, or a previous run with the same params and seed
        (it resumes; finished images are skipped).
    params : ExtractParams, optional
        Defaults to the paper's (:meth:`ExtractParams.paper`).
    workers : int
        Worker processes (1 = in this process). Results do not depend on it.
    seed : int
        Base seed; each image's stream is derived from (seed, image_id).
    keep_identifiers : bool
        Write the original patient/study ids and absolute source paths
        (default False: pseudonyms, see :mod:`mammostudio.core.privacy`).

    Returns
    -------
    generator
        Yields :class:`Progress` per image and returns a summary dict (out,
        images, done (finished in all), new (this run), skipped (finished
        before), lesion_patches, tissue_patches,
        low_variety_dropped, images_short_of_tissue, problems (list of str), seconds,
        identifiers (one line saying what was done with them), pseudonym_map (path or None)).
        Closing it cancels pending images and keeps what is complete.

    Raises
    ------
    ValueError
        Bad ``workers``/``seed``, or an output folder holding something else.
    FatalWriteError
        A patch or the index could not be written (disk full, read-only); the
        message says how much is indexed ("nothing indexed yet" when nothing).
    """
    params = params or ExtractParams()
    if isinstance(workers, bool) or int(workers) != workers or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    out = Path(out)
    pseudo = Pseudonymiser.for_dataset(catalog.root, keep_identifiers=keep_identifiers)
    rows, done, params_file = open_output(out, params, int(seed), catalog, pseudo)
    skip = {str(d["image_id"]) for d in done}
    tasks = _tasks(catalog, params, int(seed), out, skip, pseudo)
    pseudo.save()  # before any patch exists: the mapping of every id written below
    return _run(out, tasks, rows, done, len(skip), int(workers), catalog.n_images, pseudo, params_file)


def _run(out: Path, tasks: list, rows: list, done: list, skipped: int, workers: int, total: int,
         pseudo: Pseudonymiser, params_file: tuple) -> Job[dict]:
    try:
        return (yield from _run_inner(out, tasks, rows, done, skipped, workers, total, pseudo, params_file))
    except FatalWriteError as exc:
        raise FatalWriteError(exc.errno, f"{exc.strerror}; {indexed_state(out)}") from exc
    except OSError as exc:  # the index or images.csv itself (a periodic flush)
        if exc.errno is None:
            raise
        raise FatalWriteError(exc.errno, f"cannot write {exc.filename or out}: {exc.strerror}; "
                              f"{indexed_state(out)}") from exc


def _run_inner(out: Path, tasks: list, rows: list, done: list, skipped: int, workers: int, total: int,
               pseudo: Pseudonymiser, params_file: tuple) -> Job[dict]:
    t0, last_flush = time.perf_counter(), time.perf_counter()
    problems: list[Problem] = []
    finished = 0
    pool = writer = None
    unsynced = [params_file]  # made durable by the first flush, with the index

    def flush_tables(also=()) -> None:
        flush(out, rows, done, also, first=unsynced)
        unsynced.clear()

    def record(res: dict) -> None:
        nonlocal finished
        problems.extend(Problem(*p) for p in res["problems"])
        if res["done"]:
            rows.extend(res["rows"])
            kinds = [r["kind"] for r in res["rows"]]
            done.append({"image_id": res["image_id"], "lesion": kinds.count("lesion"),
                         "tissue": kinds.count("tissue"), "low_variety": res["low_variety"],
                         "short": int(bool(res["short"])), "seconds": round(res["seconds"], 4)})
        finished += 1

    pending: set = set()      # worker-process futures

    def results():
        if workers == 1:
            # Decode and sample the next image in a thread while writer threads
            # save the previous ones' stores; a result comes out (in order) only
            # once its file exists.
            yield from writer
            return
        for fut in as_finished(pool, process_image, tasks, depth=2 * workers, pending=pending):
            yield fut.result()

    completed_ok = False
    try:
        if workers > 1 and tasks:
            pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=worker_init, initargs=(os.getpid(),))
        else:
            writer = Pipeline(tasks)
        yield Progress(skipped, total, f"{skipped} images already done" if skipped else "starting")
        for res in results():
            record(res)
            n_les = sum(1 for r in res["rows"] if r["kind"] == "lesion")
            yield Progress(skipped + finished, total,
                           f"{res['image_id']}: {n_les} lesion, {len(res['rows']) - n_les} tissue",
                           {"image_id": res["image_id"], "patches": len(res["rows"])})
            if time.perf_counter() - last_flush > _FLUSH_SECONDS:
                flush_tables()
                last_flush = time.perf_counter()
        completed_ok = True
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            for fut in pending:  # images that finished while we were stopping
                if fut.done() and not fut.cancelled() and fut.exception() is None:
                    record(fut.result())
        if writer is not None:
            writer.close()  # images not handed out yet are dropped (orphans, redone on resume)
        # The problems of a finished run, for the GUI's list and for later reading
        # (the summary alone is lost when a terminal closes), fsynced with the tables.
        also = [(out / PROBLEMS_NAME, problems_text(problems, pseudo))] if completed_ok else []
        try:
            try:
                flush_tables(also)
            except OSError:
                # A full disk: the patches of unfinished images are not indexed and
                # would be redone anyway; removing them frees room for the index.
                remove_orphans(out, rows)
                flush_tables(also)
        except OSError as exc:
            if completed_ok:
                raise FatalWriteError(exc.errno, f"cannot write {exc.filename or out / INDEX_NAME}: "
                                      f"{exc.strerror or exc}") from exc
    remove_orphans(out, rows)
    kinds = pd.Series([r["kind"] for r in rows], dtype=object)
    low_variety = sum(int(d.get("low_variety") or 0) for d in done)
    short = sum(int(d.get("short") or 0) for d in done)
    return {
        "out": str(out), "images": total, "done": len(done), "new": finished,
        "skipped": skipped, "lesion_patches": int((kinds == "lesion").sum()),
        "tissue_patches": int((kinds == "tissue").sum()), "low_variety_dropped": low_variety,
        "images_short_of_tissue": short,
        "problems": [str(p) for p in problems], "seconds": round(time.perf_counter() - t0, 3),
        "identifiers": pseudo.notice,
        "pseudonym_map": None if pseudo.mapping_path is None else str(pseudo.mapping_path),
    }
