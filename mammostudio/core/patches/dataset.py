"""Reading a patch dataset back as arrays: :func:`load_patches`.

Two kinds of folder are understood:

* a **patch dataset** written by :func:`~mammostudio.core.patches.extract.extract_patches`:
  ``lesion/*.png``, ``tissue/*.png``, ``index.csv`` (one row per patch, with its
  provenance) and ``params.json``;
* a **plain folder of PNGs** (generated images, a hand-made set): every
  greyscale PNG below it (or below ``<folder>/<kind>/`` when that exists), in
  sorted path order.

Patches of any size are resized to ``size x size`` (bilinear, anti-aliased
when shrinking, as scikit-image does), so the paper's variable-size lesion
crops (spec 1.5) come back as one stack. The stack is consolidated once into
``<folder>/.cache/<kind>-<size>-<key>.npy`` and memory-mapped on later calls,
so 150,000 patches neither sit in RAM nor are decoded again. ``key`` hashes the
index (or the file names, sizes and times of a plain folder), so the cache is
rebuilt when the index changes; stale caches of the same kind and size are
removed. A folder that cannot be written falls back to an in-memory stack.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..images import ImageReadError, read_png

__all__ = ["INDEX_NAME", "PARAMS_NAME", "KINDS", "PatchDatasetError", "load_patches", "read_index", "to_uint8_patch"]

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


def to_uint8_patch(patch: np.ndarray, size: int) -> np.ndarray:
    """Resize one 2-D patch to ``(size, size)`` uint8 (no-op when it already is).

    16-bit input is scaled to 0..255 first. Resizing is bilinear with
    scikit-image's anti-aliasing when shrinking, then rounded.
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
    from skimage.transform import resize

    out = resize(patch.astype(np.float32), (size, size), order=1, preserve_range=True)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


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


def _key(folder: Path, index: pd.DataFrame, *, plain: bool) -> str:
    h = hashlib.sha1()
    if plain:
        for rel in index["file"]:
            st = (folder / rel).stat()
            h.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    else:
        h.update(index.to_csv(index=False).encode())
    return h.hexdigest()[:16]


def _build(folder: Path, files, size: int, dest: np.ndarray) -> None:
    for i, rel in enumerate(files):
        path = folder / rel
        if not path.is_file():
            raise PatchDatasetError(f"{path}: listed in {folder / INDEX_NAME} but missing")
        try:
            dest[i] = to_uint8_patch(read_png(path), size)
        except ImageReadError as exc:
            raise PatchDatasetError(str(exc)) from exc


def load_patches(
    folder: str | os.PathLike, kind: str = "lesion", *, size: int = 128, cache: bool = True
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
        If the folder is missing, or a listed file is missing or unreadable.
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
    n = len(index)
    if n == 0:
        return np.zeros((0, size, size), np.uint8), index
    if not cache:
        out = np.empty((n, size, size), np.uint8)
        _build(folder, index["file"], size, out)
        return out, index
    cache_dir = folder / CACHE_DIR
    target = cache_dir / f"{kind}-{size}-{_key(folder, index, plain=plain)}.npy"
    if target.is_file():
        try:
            arr = np.load(target, mmap_mode="r")
            if arr.shape == (n, size, size) and arr.dtype == np.uint8:
                return arr, index
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt below
    try:
        with atomic_path(target) as tmp:
            mm = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, size, size))
            try:
                _build(folder, index["file"], size, mm)
                mm.flush()
            finally:
                del mm
    except OSError:
        out = np.empty((n, size, size), np.uint8)  # read-only or full disk: no cache
        _build(folder, index["file"], size, out)
        return out, index
    for old in cache_dir.glob(f"{kind}-{size}-*.npy"):
        if old != target:
            with contextlib.suppress(OSError):
                old.unlink()
    return np.load(target, mmap_mode="r"), index
