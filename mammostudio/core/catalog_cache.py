"""The catalog snapshot: a whole Catalog saved after an open, reused while no file changed.

Re-opening an unchanged archive of 200,000 images should not re-run its reader
(per-image Python work: seconds). After each full open, the catalog (images,
lesions, problems) is saved in the user cache folder with a key: a hash of the
path, size and mtime of every file the walk saw (the annotation sidecar left
out: the app applies it itself), the reader, the decode cap and the program
version. The next open with the same key loads the snapshot instead of reading.

Format (this module is its only reader and writer): one ``.npz`` written with
``allow_pickle=False`` (no code can hide in it), atomically. Text columns are
one UTF-8 byte array each, values separated by U+001F (a value containing
U+001E or U+001F is not snapshotted: the next open just reads the dataset);
numeric and boolean columns are float64 with NaN for missing; a JSON member
holds the dtypes, root, format, problems and key.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog import Catalog, Problem

__all__ = ["snapshot_key", "snapshot_path", "save_snapshot", "load_snapshot", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_SEP, _NA = "\x1f", "\x1e"
_SKIP_NAMES = {"mammostudio-annotations.json"}


def snapshot_key(stats: dict, *, reader: str, extra: str = "", root: str = "") -> str:
    """Hash of every file's (path, size, mtime_ns), the reader and ``extra``; the
    annotation sidecar at ``root`` is left out (the app applies it itself)."""
    from .. import __version__
    from .catalog import IMAGE_COLUMNS, LESION_COLUMNS
    from .header_index import SCHEMA_VERSION

    skip = {os.path.join(root, name) for name in _SKIP_NAMES}
    code = f"{FORMAT_VERSION}|{SCHEMA_VERSION}|{__version__}|{sorted(IMAGE_COLUMNS.items())}|" \
           f"{sorted(LESION_COLUMNS.items())}|{_code_stamp(reader)}"  # a changed reader or schema: read again
    h = hashlib.sha1(f"{code}|{reader}|{extra}\n".encode())
    lines = [f"{p}\0{s}\0{m}" for p, (s, m) in stats.items() if p not in skip]
    h.update("\n".join(lines).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _code_stamp(reader: str) -> str:
    """Size and mtime of the reader's module and the modules every reader shares."""
    import importlib.util

    out = []
    for name in (f"mammostudio.core.readers.{reader}", "mammostudio.core.readers.workbook_tree",
                 "mammostudio.core.readers.validate", "mammostudio.core.dicom_header", "mammostudio.core.catalog"):
        try:
            spec = importlib.util.find_spec(name)
            st = os.stat(spec.origin)
            out.append(f"{st.st_size}:{st.st_mtime_ns}")
        except (ImportError, AttributeError, TypeError, OSError):
            out.append("-")
    return ",".join(out)


def snapshot_path(root: str | os.PathLike) -> Path:
    """Where the snapshot of the dataset folder ``root`` lives (beside its header index)."""
    from .header_index import index_path

    return index_path(root).with_suffix(".catalog.npz")


def _encode(df: pd.DataFrame, prefix: str, arrays: dict, meta: dict) -> bool:
    cols = []
    for name in df.columns:
        s = df[name]
        dtype = str(s.dtype)
        if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
            arrays[f"{prefix}f{len(cols)}"] = pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(
                float, na_value=np.nan)
            cols.append([name, dtype, "f"])
            continue
        values = s.astype(object).where(s.notna(), _NA).tolist()
        text = _SEP.join(map(str, values))
        if text.count(_SEP) != max(len(values) - 1, 0) or text.count(_NA) != int(s.isna().sum()):
            return False  # a separator inside a value: do not snapshot
        arrays[f"{prefix}s{len(cols)}"] = np.frombuffer(text.encode("utf-8", "surrogateescape"), np.uint8)
        cols.append([name, dtype, "s"])
    meta[prefix] = {"columns": cols, "rows": len(df)}
    return True


def _decode(data, prefix: str, meta: dict) -> pd.DataFrame:
    spec, n = meta[prefix]["columns"], meta[prefix]["rows"]
    out = {}
    for i, (name, dtype, kind) in enumerate(spec):
        if kind == "f":
            out[name] = pd.array(data[f"{prefix}f{i}"], dtype="Float64").astype(dtype)
            continue
        text = data[f"{prefix}s{i}"].tobytes().decode("utf-8", "surrogateescape")
        values = text.split(_SEP) if n else []
        if _NA in text:
            values = [pd.NA if v == _NA else v for v in values]
        out[name] = pd.Series(values, dtype=dtype if dtype != "object" else object)
    return pd.DataFrame(out, columns=[c[0] for c in spec])


def save_snapshot(path: str | os.PathLike, key: str, catalog: Catalog) -> bool:
    """Save ``catalog`` under ``key``; False when it has values the format cannot hold."""
    from .atomic import atomic_path

    arrays: dict = {}
    meta = {"key": key, "root": str(catalog.root), "format": catalog.source_format,
            "problems": [[p.path, p.message, p.severity] for p in catalog.problems]}
    if not (_encode(catalog.images, "i", arrays, meta) and _encode(catalog.lesions, "l", arrays, meta)):
        return False
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8", "surrogateescape"), np.uint8)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return True


def load_snapshot(path: str | os.PathLike, key: str) -> Catalog | None:
    """The catalog saved under ``key``, or None (absent, another key, damaged)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes().decode("utf-8", "surrogateescape"))
            if meta.get("key") != key:
                return None
            images, lesions = _decode(data, "i", meta), _decode(data, "l", meta)
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return None
    problems = [Problem(p, m, s) for p, m, s in meta["problems"]]
    return Catalog(images, lesions, Path(meta["root"]), meta["format"], problems)
