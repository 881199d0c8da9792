"""The patch dataset folder of one extraction run: parameters, index flushes, orphans, what is indexed.

See :mod:`.extract` for the layout. ``index.csv`` and ``images.csv`` are
rewritten atomically, index first, so the index never points at a missing
file; a resumed run keeps the index rows of images recorded as finished.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..atomic import write_bytes
from ..catalog import Catalog
from ..privacy import Pseudonymiser
from .dataset import INDEX_NAME, KINDS, PARAMS_NAME
from .params import ExtractParams
from .store import STORE_DIR, STORE_SUFFIX, file_is_whole
from .tables import csv_text, write_in_order
from .worker import INDEX_COLUMNS

__all__ = ["IMAGES_NAME", "IMAGE_COLUMNS", "PROBLEMS_NAME", "PROBLEM_COLUMNS", "open_output", "flush",
           "problems_text", "remove_orphans", "indexed_state"]

IMAGES_NAME = "images.csv"
IMAGE_COLUMNS = ["image_id", "lesion", "tissue", "low_variety", "short", "seconds"]
PROBLEMS_NAME = "problems.csv"
PROBLEM_COLUMNS = ["path", "message", "severity"]


def open_output(out: Path, params: ExtractParams, seed: int, catalog: Catalog, pseudo: Pseudonymiser):
    """Check and record params.json; return (index rows kept, finished image rows, params entry).

    params.json is replaced at once but not fsynced: the caller passes the
    params entry ``(path, text)`` to its first :func:`flush`, which makes it
    durable with the first index, so a short run waits for the disk once.
    Until then nothing is indexed: a power cut that leaves params.json empty
    leaves a folder that the next run simply starts afresh.
    """
    source = str(catalog.root) if pseudo.keep else Path(str(catalog.root)).name
    meta = {"params": params.to_dict(), "seed": seed, "source": source, "identifiers": pseudo.mode,
            "source_format": catalog.source_format, "index_columns": INDEX_COLUMNS}
    pfile = out / PARAMS_NAME
    # An empty params.json with no index: a power cut before the first flush, nothing was indexed; start afresh.
    cut_before_first_flush = pfile.is_file() and pfile.stat().st_size == 0 and not (out / INDEX_NAME).exists()
    if pfile.is_file() and not cut_before_first_flush:
        try:
            old = json.loads(pfile.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{pfile}: unreadable ({exc}); choose an empty output folder") from exc
        if not isinstance(old, dict):
            raise ValueError(f"{pfile}: not a patch dataset's parameters (expected a JSON object)")
        if old.get("params") != meta["params"] or old.get("seed") != seed:
            raise ValueError(f"{out} already holds patches made with other parameters or seed "
                             f"({pfile}); choose an empty output folder or the same settings to resume")
        old_mode = old.get("identifiers", "kept")  # runs before pseudonymisation kept them
        if old_mode != pseudo.mode:
            flag = "with" if old_mode == "kept" else "without"
            raise ValueError(f"{out} holds patches whose identifiers were {old_mode} ({pfile}); resume "
                             f"{flag} --keep-identifiers, or choose an empty output folder")
    elif not cut_before_first_flush and out.exists() and any(p.name != ".cache" for p in out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no {PARAMS_NAME}; choose an empty output folder")
    (out / STORE_DIR).mkdir(parents=True, exist_ok=True)
    text = json.dumps(meta, indent=2, sort_keys=True)
    write_bytes(pfile, text.encode("utf-8"), sync=False)
    entry = (pfile, text)
    if not (out / IMAGES_NAME).is_file():  # a fresh run (no DataFrame round trip: it costs milliseconds)
        return [], [], entry
    done = pd.read_csv(out / IMAGES_NAME, dtype={"image_id": str}, keep_default_na=False)
    rows = []
    if (out / INDEX_NAME).is_file():
        index = pd.read_csv(out / INDEX_NAME, dtype=str, keep_default_na=False)
        index = index[index["image_id"].isin(set(done["image_id"]))]
        # An image whose file is missing or cut short (a power cut after the index
        # was flushed, a file deleted by hand) is redone, not half kept.
        whole = {f: file_is_whole(out / f) for f in set(index["file"])}  # one store serves an image's rows
        broken = set(index.loc[[not whole[f] for f in index["file"]], "image_id"])
        index = index[~index["image_id"].isin(broken)]
        done = done[~done["image_id"].isin(broken)]
        rows = index.to_dict("records")
    return rows, done.to_dict("records"), entry


def flush(out: Path, rows: list, done: list, also: list | tuple = (), first: list | tuple = ()) -> None:
    """Replace the ``first`` files, index.csv, images.csv, then the ``also`` files, all fsynced at once.

    ``first`` and ``also`` are lists of (path, text).
    """
    index = sorted(rows, key=lambda r: (r["image_id"], r["kind"], r["patch_id"]))  # stable, as sort_values was
    # pandas' exact CSV text without DataFrames; the files fsynced at once, index renamed before images.csv.
    write_in_order([*first, (out / INDEX_NAME, csv_text(index, INDEX_COLUMNS)),  # never ahead of the files
                    (out / IMAGES_NAME, csv_text(done, IMAGE_COLUMNS)), *also])


def problems_text(problems: list, pseudo: Pseudonymiser) -> str:
    """problems.csv's text: this run's problems, dataset paths and identifiers pseudonymised."""
    return csv_text([{"path": pseudo.path(p.path), "message": pseudo.text(p.message), "severity": p.severity}
                     for p in problems], PROBLEM_COLUMNS)


def remove_orphans(out: Path, rows: list) -> None:
    """Delete patch files no index row names, and temporaries of interrupted writes.

    Stores live in ``patches/``; ``lesion/`` and ``tissue/`` hold the PNGs of
    a dataset begun before the store (resumed by this version).
    """
    keep = {r["file"] for r in rows}
    for sub, suffix in [(STORE_DIR, STORE_SUFFIX)] + [(kind, ".png") for kind in KINDS]:
        if not (out / sub).is_dir():
            continue
        for p in (out / sub).iterdir():
            rel = f"{sub}/{p.name}"
            if p.is_file() and rel not in keep and (p.suffix == suffix or ".part" in p.name):
                p.unlink(missing_ok=True)


def indexed_state(out: Path) -> str:
    """What a resumed run will find, read from the disk (not from what this run hoped to write)."""
    if not (out / INDEX_NAME).is_file():
        return "nothing indexed yet; re-run the same command to resume"
    try:
        done = set(pd.read_csv(out / IMAGES_NAME, dtype=str, keep_default_na=False)["image_id"]) \
            if (out / IMAGES_NAME).is_file() else set()
        index = pd.read_csv(out / INDEX_NAME, dtype=str, keep_default_na=False)
        n = int(index["image_id"].isin(done).sum())
    except (OSError, ValueError, KeyError):
        return "the index could not be checked; re-run the same command to resume"
    if not done:
        return "nothing indexed yet (index.csv lists no finished image); re-run the same command to resume"
    return f"{len(done)} finished image(s) are indexed ({n} patches); re-run the same command to resume"
