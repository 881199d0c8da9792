"""Extraction over a catalog: worker processes, progress, cancel, resume.

Output folder (the patch dataset, see :mod:`.dataset`)::

    out/lesion/<image>_lesionNN.png    variable size ('crop') or patch_size ('centred')
    out/tissue/<image>_tissueNN.png    patch_size x patch_size
    out/index.csv                      one row per patch, provenance (worker.INDEX_COLUMNS)
    out/images.csv                     images finished (a resumed run skips them)
    out/params.json                    ExtractParams + seed + source dataset

Patches are written before their index rows; ``index.csv`` and ``images.csv``
are rewritten atomically (index first) every few seconds and when the job ends
or is closed, so the index never points at a missing file. A resumed run
drops index rows of images not recorded as finished and redoes those images;
patches of an image depend only on (seed, image_id), so the result does not
depend on interruptions or on the number of workers.
"""
from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import pandas as pd

from ..atomic import write_text
from ..catalog import Catalog, Problem
from ..progress import Job, Progress
from .dataset import INDEX_NAME, PARAMS_NAME, KINDS
from .params import ExtractParams
from .pipeline import Pipeline
from .tables import csv_text, write_in_order
from .worker import INDEX_COLUMNS, ignore_interrupts, process_image

__all__ = ["extract_patches", "IMAGES_NAME"]

IMAGES_NAME = "images.csv"
_IMAGE_COLUMNS = ["image_id", "lesion", "tissue", "low_variety", "short", "seconds"]
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
    """``frame.to_dict("records")`` through column lists (~10x faster on catalog tables)."""
    cols = list(frame.columns)
    return [dict(zip(cols, row)) for row in zip(*(frame[c].tolist() for c in cols))]


def _tasks(catalog: Catalog, params: ExtractParams, seed: int, out: Path, skip: set) -> list[dict]:
    lesions: dict[str, list] = {}
    for les in _records(catalog.lesions):  # in catalog order within each image, as groupby kept it
        lesions.setdefault(str(les["image_id"]), []).append({k: _plain(v) for k, v in les.items()})
    tasks = []
    for rec in _records(catalog.images):
        iid = str(rec["image_id"])
        if iid in skip:
            continue
        les_rows = lesions.get(iid, [])
        tasks.append({"image": {k: _plain(v) for k, v in rec.items()}, "lesions": les_rows,
                      "params": params.to_dict(), "seed": seed, "out": str(out)})
    return tasks


def _open_output(out: Path, params: ExtractParams, seed: int, catalog: Catalog):
    """Check/record params.json; return (index rows kept, finished image rows)."""
    meta = {"params": params.to_dict(), "seed": seed, "source": str(catalog.root),
            "source_format": catalog.source_format, "index_columns": INDEX_COLUMNS}
    pfile = out / PARAMS_NAME
    if pfile.is_file():
        try:
            old = json.loads(pfile.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{pfile}: unreadable ({exc}); choose an empty output folder") from exc
        if old.get("params") != meta["params"] or old.get("seed") != seed:
            raise ValueError(f"{out} already holds patches made with other parameters or seed "
                             f"({pfile}); choose an empty output folder or the same settings to resume")
    elif out.exists() and any(p.name != ".cache" for p in out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no {PARAMS_NAME}; choose an empty output folder")
    for kind in KINDS:
        (out / kind).mkdir(parents=True, exist_ok=True)
    write_text(pfile, json.dumps(meta, indent=2, sort_keys=True))
    if not (out / IMAGES_NAME).is_file():  # a fresh run (no DataFrame round trip: it costs milliseconds)
        return [], []
    done = pd.read_csv(out / IMAGES_NAME, dtype={"image_id": str}, keep_default_na=False)
    rows = []
    if (out / INDEX_NAME).is_file():
        index = pd.read_csv(out / INDEX_NAME, dtype=str, keep_default_na=False)
        index = index[index["image_id"].isin(set(done["image_id"]))]
        index = index[[(out / f).is_file() for f in index["file"]]]
        rows = index.to_dict("records")
    return rows, done.to_dict("records")


def _flush(out: Path, rows: list, done: list) -> None:
    index = sorted(rows, key=lambda r: (r["image_id"], r["kind"], r["file"]))  # stable, as sort_values was
    write_in_order([(out / INDEX_NAME, csv_text(index, INDEX_COLUMNS)),  # index first: never ahead of the files
                    (out / IMAGES_NAME, csv_text(done, _IMAGE_COLUMNS))])


def _remove_orphans(out: Path, rows: list) -> None:
    keep = {r["file"] for r in rows}
    for kind in KINDS:
        for p in (out / kind).iterdir():
            rel = f"{kind}/{p.name}"
            if p.is_file() and rel not in keep and (p.suffix == ".png" or ".part" in p.name):
                p.unlink(missing_ok=True)


def extract_patches(catalog: Catalog, out, params: ExtractParams | None = None, *,
                    workers: int = 1, seed: int = 0) -> Job[dict]:
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

    Returns
    -------
    generator
        Yields :class:`Progress` per image and returns a summary dict (out,
        images, done (finished in all), new (this run), skipped (finished
        before), lesion_patches, tissue_patches,
        low_variety_dropped, images_short_of_tissue, problems (list of str), seconds). Closing it
        cancels pending images and keeps what is complete.

    Raises
    ------
    ValueError
        Bad ``workers``/``seed``, or an output folder holding something else.
    """
    params = params or ExtractParams()
    if isinstance(workers, bool) or int(workers) != workers or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    out = Path(out)
    rows, done = _open_output(out, params, int(seed), catalog)
    skip = {str(d["image_id"]) for d in done}
    tasks = _tasks(catalog, params, int(seed), out, skip)
    return _run(out, tasks, rows, done, len(skip), int(workers), catalog.n_images)


def _run(out: Path, tasks: list, rows: list, done: list, skipped: int, workers: int, total: int) -> Job[dict]:
    t0, last_flush = time.perf_counter(), time.perf_counter()
    problems: list[Problem] = []
    finished = 0
    pool = writer = None

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
            # save the previous ones' PNGs; a result comes out (in order) only
            # once its files exist.
            yield from writer
            return
        queue = iter(tasks)
        for task in queue:
            pending.add(pool.submit(process_image, task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            ready, _ = wait(pending, return_when=FIRST_COMPLETED)
            for _ in ready:
                for task in queue:  # keep the workers fed through a bounded queue
                    pending.add(pool.submit(process_image, task))
                    break
            for fut in ready:
                pending.discard(fut)
                yield fut.result()

    completed_ok = False
    try:
        if workers > 1 and tasks:
            pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)),
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=ignore_interrupts)
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
                _flush(out, rows, done)
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
        try:
            _flush(out, rows, done)
        except OSError:
            if completed_ok:
                raise
    _remove_orphans(out, rows)
    # The problems of this run, for the GUI's list and for later reading (the
    # summary alone is lost when a terminal closes).
    write_text(out / "problems.csv", pd.DataFrame([vars(p) for p in problems],
                                                   columns=["path", "message", "severity"]).to_csv(index=False))
    kinds = pd.Series([r["kind"] for r in rows], dtype=object)
    low_variety = sum(int(d.get("low_variety") or 0) for d in done)
    short = sum(int(d.get("short") or 0) for d in done)
    return {
        "out": str(out), "images": total, "done": len(done), "new": finished,
        "skipped": skipped, "lesion_patches": int((kinds == "lesion").sum()),
        "tissue_patches": int((kinds == "tissue").sum()), "low_variety_dropped": low_variety,
        "images_short_of_tissue": short,
        "problems": [str(p) for p in problems], "seconds": round(time.perf_counter() - t0, 3),
    }
