"""Checking every file of a patch folder before any of it is trained on.

A patch folder is read whole: one bad PNG or patch store must not stop the
run at the first file (every bad file or patch is listed with its reason), and a folder that mixes sizes
or pixel formats (a stray whole mammogram, an RGB screenshot, 16-bit files
among 8-bit ones) must not be silently resized into one stack. The header of
each file is read (Pillow, no pixel decoding; a store's member headers); pixels
are decoded later by :mod:`.dataset`, which reports truncated files the same way.
A bad entry is named by its path, and a patch in a store by
``<store path>#<patch_id>`` (:func:`.store.patch_labels`).
"""
from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

__all__ = ["BadFile", "MIN_SIDE", "MAX_SIDE", "inspect_files", "describe_bad", "mode_class"]

MIN_SIDE = 4      # smaller is not a patch (a 1 x 1 file is a mistake, not a lesion)
MAX_SIDE = 4096   # larger is a whole image, not a patch
_GREY = {"L": "8-bit grey", "I;16": "16-bit grey", "I;16B": "16-bit grey", "I;16L": "16-bit grey",
         "I": "32-bit integer grey"}
_COLOUR = {"RGB": "RGB colour", "RGBA": "RGBA colour with alpha", "P": "palette colour", "LA": "grey with alpha",
           "1": "1-bit black and white", "CMYK": "CMYK colour", "PA": "palette with alpha"}

BadFile = tuple  # (path: str, reason: str)


def mode_class(mode: str) -> str:
    """A readable name of a Pillow mode ('8-bit grey', 'RGB colour', ...)."""
    return _GREY.get(mode) or _COLOUR.get(mode) or f"mode {mode}"


def _size_problem(rows: int, cols: int, expect: tuple | None) -> str | None:
    """Why a patch of ``rows x cols`` cannot be used (too small, too large, not its index size), or None."""
    if min(rows, cols) < MIN_SIDE:
        return f"{rows} x {cols} pixels, too small for a patch (at least {MIN_SIDE} x {MIN_SIDE})"
    if max(rows, cols) > MAX_SIDE:
        return f"{rows} x {cols} pixels, too large for a patch (a whole image?)"
    if expect is not None and all(e is not None for e in expect) and (rows, cols) != expect:
        return f"{rows} x {cols} pixels, the index says {expect[0]} x {expect[1]}"
    return None


def _one(folder: Path, root: Path, rel: str, expect: tuple | None):
    """(size (rows, cols), mode class) of one file, or a reason it is bad."""
    from PIL import Image, UnidentifiedImageError

    path = folder / rel
    try:
        path.resolve().relative_to(root)
    except ValueError:
        return "outside the patch folder (refused)"
    if not path.is_file():
        return "missing (listed in the index)" if expect is not None else "not a file"
    try:
        if path.stat().st_size == 0:
            return "empty file"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # size is judged below
            with Image.open(path) as im:
                fmt, mode, (cols, rows) = im.format, im.mode, im.size
    except UnidentifiedImageError:
        return "not an image Pillow can read (corrupt, or not a PNG)"
    except Image.DecompressionBombError as exc:
        return f"refused as a decompression bomb ({exc})"
    except (OSError, ValueError, SyntaxError) as exc:
        return f"unreadable ({' '.join(str(exc).split())})"
    if fmt != "PNG":
        return f"a {fmt} file, not a PNG"
    if mode not in _GREY:
        return f"{mode_class(mode)} ({mode}); patches must be greyscale"
    return _size_problem(rows, cols, expect) or ((rows, cols), mode_class(mode))


def _one_in_store(folder: Path, root: Path, rel: str, pid: str, expect: tuple | None, stores: dict):
    """As :func:`_one`, for a patch in a store (each store's member headers read once)."""
    from ..images import ImageReadError
    from .store import store_members

    path = folder / rel
    if rel not in stores:
        try:
            path.resolve().relative_to(root)
        except ValueError:
            stores[rel] = "outside the patch folder (refused)"
        else:
            try:
                stores[rel] = store_members(path)
            except ImageReadError as exc:
                stores[rel] = " ".join(str(exc).replace(f"{path}: ", "").split())
    members = stores[rel]
    if isinstance(members, str):
        return members
    info = members.get(pid)
    if info is None:
        return "missing from its store (listed in the index)"
    if isinstance(info, str):
        return info
    shape, dtype = info
    if len(shape) != 2 or dtype not in ("uint8", "uint16"):
        return f"{dtype} {shape}; patches must be greyscale 2-D arrays"
    rows, cols = shape
    return _size_problem(rows, cols, expect) or ((rows, cols), "8-bit grey" if dtype == "uint8" else "16-bit grey")


def _expected(index: pd.DataFrame, i: int) -> tuple | None:
    if "height" not in index.columns or "width" not in index.columns:
        return (None, None)
    h, w = index["height"].iloc[i], index["width"].iloc[i]
    return (None if pd.isna(h) else int(h), None if pd.isna(w) else int(w))


def inspect_files(folder: Path, index: pd.DataFrame, *, indexed: bool, skip_bad: bool,
                  mixed_sizes: bool = False) -> tuple[list, str | None]:
    """Check every file of ``index`` (its ``file`` column, relative to ``folder``; stores per ``patch_id``).

    Parameters
    ----------
    folder : pathlib.Path
    index : pandas.DataFrame
        One row per patch; ``height``/``width`` are checked when present.
    indexed : bool
        A patch dataset (sizes may differ by design: lesion crops; each file
        must match its index row) or a plain folder (one size for all).
    skip_bad : bool
        Files of a minority size or pixel format count as bad (and are
        skipped) instead of refusing the folder.
    mixed_sizes : bool
        A plain folder may mix sizes (variable-size lesion crops, resized by
        the caller on purpose); pixel formats must still agree.

    Returns
    -------
    bad : list of (path, reason)
        Files that cannot be used, in index order.
    refusal : str or None
        Why the folder as a whole is refused (mixed sizes or formats), with
        counts; None when the good files agree.
    """
    from .store import is_store, patch_locations

    root = folder.resolve()
    bad, info, stores = [], {}, {}
    where = patch_locations(folder, index)
    pids = index["patch_id"].astype(str).tolist() if "patch_id" in index.columns else [""] * len(index)
    for i, rel in enumerate(index["file"].astype(str)):
        expect = _expected(index, i) if indexed else None
        if is_store(rel):
            res = _one_in_store(folder, root, rel, pids[i], expect, stores)
        else:
            res = _one(folder, root, rel, expect)
        if isinstance(res, str):
            bad.append((where[i], res))
        else:
            info[i] = res
    refusal = None
    checks = [("pixel format", 1)] + ([] if indexed or mixed_sizes else [("size", 0)])
    for what, pos in checks:
        counts = Counter(v[pos] for v in info.values())
        if len(counts) <= 1:
            continue
        label = (lambda k: f"{k[0]} x {k[1]}") if pos == 0 else str
        summary = ", ".join(f"{label(k)}: {n} file(s)" for k, n in counts.most_common())
        top = counts.most_common(2)
        if skip_bad and top[0][1] > top[1][1]:
            keep = top[0][0]
            for i in sorted(info):
                if info[i][pos] != keep:
                    bad.append((where[i],
                                f"{label(info[i][pos])}, the folder's patches are {label(keep)}"))
                    del info[i]
            continue
        hint = " or --mixed-sizes to resize them all (variable-size lesion crops)" if pos == 0 else ""
        refusal = (f"{folder}: mixed {what}s ({summary}); patches are not resized or converted silently: "
                   "make the folder consistent" + ("" if skip_bad else ", or pass --skip-bad to use the majority")
                   + hint)
        break
    order = {w: k for k, w in enumerate(where)}
    bad.sort(key=lambda b: order.get(b[0], 0))
    return bad, refusal


def describe_bad(folder: Path, bad: list, n_total: int, *, limit: int = 8) -> str:
    """One line listing bad files (the first ``limit``) and how to go on without them."""
    shown = "; ".join(f"{p}: {r}" for p, r in bad[:limit])
    more = f"; and {len(bad) - limit} more" if len(bad) > limit else ""
    good = n_total - len(bad)
    return (f"{folder}: {len(bad)} of {n_total} patch file(s) cannot be used: {shown}{more}; "
            f"pass --skip-bad to continue with the {good} good one(s)")
