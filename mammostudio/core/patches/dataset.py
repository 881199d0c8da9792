"""Reading a patch dataset back as arrays: :func:`load_patches`.

Two kinds of folder are understood:

* a **patch dataset** written by :func:`~mammostudio.core.patches.extract.extract_patches`:
  ``patches/<image>.npz`` (one store per source image, :mod:`.store`),
  ``index.csv`` (one row per patch, with its provenance and the store holding
  it) and ``params.json``; datasets of earlier versions, and PNG exports
  (:func:`.store.export_pngs`), have one PNG per row (``lesion/*.png``,
  ``tissue/*.png``) instead of stores, and read the same way;
* a **plain folder of PNGs** (generated images, a hand-made set): every
  greyscale PNG below it (or below ``<folder>/<kind>/`` when that exists), in
  sorted path order.

Every file is checked first (:mod:`.checks`): a bad file (missing, empty,
not a PNG or store, colour, truncated, too small or large, not the size its
index row says, a patch missing from its store) is reported with every other bad one, and the folder is refused unless
``skip_bad`` asks to go on with the good files; a plain folder must hold one
size and one pixel format (it is never resized or converted silently). Patches
are then resized to ``size x size`` (:func:`mammostudio.core.imageops.resize_image`), so the paper's variable-size lesion crops (spec 1.5) come
back as one stack. The stack is consolidated once into
``<folder>/.cache/<kind>-<size>-<key>.npy`` and memory-mapped on later calls,
so 150,000 patches neither sit in RAM nor are decoded again. ``key`` hashes the
index (or the file names, sizes and times of a plain folder), so the cache is
rebuilt when the index changes; stale caches of the same kind and size are
removed. A folder that cannot be written falls back to an in-memory stack.
The files skipped by ``skip_bad`` are listed in ``index.attrs['skipped']``.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_path, write_text
from ..boxes import box_from_region
from ..imageops import resize_image
from ..images import ImageReadError, read_png
from .checks import describe_bad, inspect_files
from .store import PatchReader, patch_locations

__all__ = ["INDEX_NAME", "PARAMS_NAME", "KINDS", "PatchDatasetError", "load_patches", "read_index", "to_uint8_patch",
           "patch_box", "lesion_box_in_patch"]

INDEX_NAME = "index.csv"
PARAMS_NAME = "params.json"
KINDS = ("lesion", "tissue")
CACHE_DIR = ".cache"


class PatchDatasetError(ValueError):
    """A patch folder cannot be loaded; the message names the folder or file."""


def read_index(folder: str | os.PathLike) -> pd.DataFrame:
    """Read ``<folder>/index.csv`` of a patch dataset (all kinds), ids as strings.

    Raises
    ------
    PatchDatasetError
        If the index is missing or unreadable.
    """
    path = Path(folder) / INDEX_NAME
    try:
        index = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise PatchDatasetError(f"{path}: cannot read the patch index ({exc})") from exc
    for col in ("kind", "file"):
        if col not in index.columns:
            raise PatchDatasetError(f"{path}: the patch index has no {col!r} column")
    for col in ("row", "col", "height", "width", "seed", "n_unique",
                "box_row_min", "box_col_min", "box_row_max", "box_col_max"):
        if col in index.columns:
            index[col] = pd.to_numeric(index[col], errors="coerce").astype("Int64")
    return index


def patch_box(rec) -> tuple[int, int, int, int]:
    """The inclusive source box of one index row's patch (its ``row, col, height, width``).

    ``index.csv`` stores a patch's region as top-left and size (its columns
    are a file format); this is where that form becomes the one box form
    (:mod:`mammostudio.core.boxes`). Raises ``ValueError`` when the row has
    no position (a plain folder, an old index).
    """
    try:
        return box_from_region(rec["row"], rec["col"], rec["height"], rec["width"])
    except KeyError as exc:
        raise ValueError(f"this patch has no source position in the index (no {exc} column)") from exc


def lesion_box_in_patch(rec) -> tuple[int, int, int, int]:
    """One index row's lesion box (``box_*`` columns), inclusive, relative to the patch's top-left."""
    try:
        r, c = int(rec["row"]), int(rec["col"])
        box = tuple(int(rec[f"box_{k}"]) for k in ("row_min", "col_min", "row_max", "col_max"))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"this patch has no lesion box in the index ({exc})") from exc
    return box[0] - r, box[1] - c, box[2] - r, box[3] - c


def to_uint8_patch(patch: np.ndarray, size: int) -> np.ndarray:
    """Resize one 2-D patch to ``(size, size)`` uint8 (no-op when it already is).

    16-bit input is scaled to 0..255 first; resizing is
    :func:`mammostudio.core.imageops.resize_image`.
    """
    patch = np.asarray(patch)
    if patch.ndim != 2:
        raise ValueError(f"patch must be 2-D (rows, cols), got shape {patch.shape}")
    if patch.dtype != np.uint8:
        if patch.dtype == np.uint16:
            patch = ((patch.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
        else:
            patch = np.clip(np.rint(patch), 0, 255).astype(np.uint8)
    if patch.shape == (size, size):
        return patch
    return resize_image(patch, (size, size))


def _plain_index(folder: Path, kind: str) -> pd.DataFrame:
    base = folder / kind if (folder / kind).is_dir() else folder
    files = []
    for p in base.rglob("*"):
        rel = p.relative_to(base)
        if any(part.startswith(".") for part in rel.parts):
            continue  # the cache, temporary files of atomic writes, hidden files
        if p.suffix.lower() == ".png" and p.is_file():
            files.append(p.relative_to(folder).as_posix())
    files.sort()
    return pd.DataFrame({"file": files, "kind": kind})


def _key(folder: Path, index: pd.DataFrame, *, plain: bool, skip_bad: bool, mixed: bool) -> str:
    h = hashlib.sha1((b"skip-bad\n" if skip_bad else b"") + (b"mixed\n" if mixed and plain else b""))
    if plain:
        for rel in index["file"]:
            try:
                st = (folder / rel).stat()
                h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{rel}\0missing\n".encode())
    else:
        h.update(index.to_csv(index=False).encode())
    return h.hexdigest()[:16]


def _build(folder: Path, index: pd.DataFrame, size: int, dest: np.ndarray) -> list:
    """Decode every row's patch into ``dest``; return [(row, path, reason)] of those that failed."""
    failed = []
    files = index["file"].astype(str).tolist()
    pids = index["patch_id"].astype(str).tolist() if "patch_id" in index.columns else [None] * len(files)
    with PatchReader(folder) as reader:
        for i, (rel, pid, where) in enumerate(zip(files, pids, patch_locations(folder, index))):
            try:
                dest[i] = to_uint8_patch(reader.read(rel, pid), size)
            except (ImageReadError, ValueError) as exc:
                reason = " ".join(str(exc).replace(f"{folder / rel}: ", "").split())
                failed.append((i, where, f"truncated or corrupt ({reason})"))
    return failed



def _checked(folder: Path, index: pd.DataFrame, *, plain: bool, skip_bad: bool, mixed_sizes: bool) -> pd.DataFrame:
    """``index`` without its bad files (``attrs['skipped']``), or PatchDatasetError listing them all."""
    bad, refusal = inspect_files(folder, index, indexed=not plain, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
    if refusal is not None:
        raise PatchDatasetError(refusal)
    if bad and not skip_bad:
        raise PatchDatasetError(describe_bad(folder, bad, len(index)))
    bad_paths = {p for p, _ in bad}
    keep = [w not in bad_paths for w in patch_locations(folder, index)]
    good = index[keep].reset_index(drop=True)
    good.attrs["skipped"] = list(bad)
    return good


def _decoded(folder: Path, index: pd.DataFrame, size: int, dest: np.ndarray, skip_bad: bool):
    """Fill ``dest``; drop rows that would not decode (skip_bad) or raise listing them."""
    failed = _build(folder, index, size, dest)
    if not failed:
        return dest, index
    bad = [(p, r) for _, p, r in failed]
    if not skip_bad:
        raise PatchDatasetError(describe_bad(folder, index.attrs.get("skipped", []) + bad, len(index)))
    rows = [i for i, _, _ in failed]
    good = index.drop(index.index[rows]).reset_index(drop=True)
    good.attrs["skipped"] = index.attrs.get("skipped", []) + bad
    return np.delete(np.asarray(dest), rows, axis=0), good


def load_patches(
    folder: str | os.PathLike, kind: str = "lesion", *, size: int = 128, cache: bool = True,
    skip_bad: bool = False, mixed_sizes: bool = False,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Load every patch of one kind as a ``(n, size, size)`` uint8 stack.

    Parameters
    ----------
    folder : path-like
        A patch dataset (with ``index.csv``) or a plain folder of PNGs.
    kind : {'lesion', 'tissue'}
        Which patches of a patch dataset; in a plain folder, the ``<kind>/``
        sub-folder when it exists, else every PNG.
    size : int
        Side of the returned patches; other sizes are resized.
    cache : bool
        Build / reuse the memory-mapped ``.npy`` cache (default True).
    skip_bad : bool
        Leave bad files out (listed in ``index.attrs['skipped']`` as
        (path, reason)) instead of refusing the folder; files of a minority
        size or pixel format in a plain folder count as bad.
    mixed_sizes : bool
        Let a plain folder mix patch sizes (e.g. variable-size lesion crops
        copied out of a patch dataset); they are resized like a patch
        dataset's. Without it such a folder is refused with counts per size.

    Returns
    -------
    patches : numpy.ndarray
        uint8 (n, size, size); a read-only memory map when cached (copy it
        before changing it).
    index : pandas.DataFrame
        One row per patch in the same order: the ``index.csv`` rows of a patch
        dataset, or ``file`` and ``kind`` for a plain folder.

    Raises
    ------
    PatchDatasetError
        If the folder is missing or refused (mixed sizes or formats), or
        (without ``skip_bad``) any file is bad: the message lists them all.
    ValueError
        If ``kind`` or ``size`` is invalid.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if int(size) != size or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    size = int(size)
    folder = Path(folder)
    if not folder.is_dir():
        raise PatchDatasetError(f"{folder}: no such folder")
    plain = not (folder / INDEX_NAME).is_file()
    if plain:
        index = _plain_index(folder, kind)
    else:
        index = read_index(folder)
        index = index[index["kind"] == kind].reset_index(drop=True)
    index.attrs["skipped"] = []
    if len(index) == 0:
        return np.zeros((0, size, size), np.uint8), index
    if not cache:
        index = _checked(folder, index, plain=plain, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
        out = np.empty((len(index), size, size), np.uint8)
        return _decoded(folder, index, size, out, skip_bad)
    cache_dir = folder / CACHE_DIR
    target = cache_dir / f"{kind}-{size}-{_key(folder, index, plain=plain, skip_bad=skip_bad, mixed=mixed_sizes)}.npy"
    skipped_file = target.with_suffix(".skipped.json")
    if target.is_file() and skipped_file.is_file():
        try:
            arr = np.load(target, mmap_mode="r")
            skipped = [tuple(b) for b in json.loads(skipped_file.read_text(encoding="utf-8"))]
            gone = {p for p, _ in skipped}
            good = index[[w not in gone for w in patch_locations(folder, index)]].reset_index(drop=True)
            good.attrs["skipped"] = skipped
            if arr.shape == (len(good), size, size) and arr.dtype == np.uint8:
                return arr, good
        except (OSError, ValueError, TypeError):
            pass  # a damaged cache is rebuilt below
    index = _checked(folder, index, plain=plain, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
    n = len(index)
    try:
        with atomic_path(target) as tmp:
            mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, size, size))
            try:
                failed = _build(folder, index, size, mm)
                mm.flush()
            finally:
                del mm
            if failed:
                raise _Undecodable()
        write_text(skipped_file, json.dumps(index.attrs["skipped"]))
    except _Undecodable:
        out = np.empty((n, size, size), np.uint8)  # a truncated file: report it, cache nothing
        return _decoded(folder, index, size, out, skip_bad)
    except OSError:
        out = np.empty((n, size, size), np.uint8)  # read-only or full disk: no cache
        return _decoded(folder, index, size, out, skip_bad)
    for old in cache_dir.glob(f"{kind}-{size}-*"):
        if old not in (target, skipped_file):
            with contextlib.suppress(OSError):
                old.unlink()
    return np.load(target, mmap_mode="r"), index


class _Undecodable(Exception):
    """Some file failed to decode while the cache was built (the cache is dropped)."""
