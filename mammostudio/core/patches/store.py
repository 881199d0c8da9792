"""The patch store: every patch of one source image in one NumPy ``.npz`` file.

An extraction writes ``patches/<image>.npz`` per image instead of one PNG per
patch: creating a file costs more than encoding its pixels, and a patch
dataset of a large archive would otherwise hold millions of files. The store
is a standard NumPy archive (``numpy.load(path)[patch_id]`` reads a patch
without mammostudio): a zip of uncompressed ``<patch_id>.npy`` members, each a
uint8 ``(rows, cols)`` array, with fixed member dates so the same patches give
the same bytes. ``index.csv`` names the store in its ``file`` column and the
member in ``patch_id``.

Patch datasets written before the store (one PNG per row, ``lesion/*.png``,
``tissue/*.png``) still read: :class:`PatchReader` reads a row from whichever
file it names, and a resumed old dataset simply gains stores for its new images.
:func:`export_pngs` writes the PNG layout from any patch dataset on demand.

This module is the one place the store is written and read.
"""
from __future__ import annotations

import functools
import io
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_bytes, write_text
from ..images import ImageReadError, crc32, read_png, write_png
from ..progress import Progress

__all__ = ["STORE_DIR", "STORE_SUFFIX", "is_store", "store_name", "encode_store", "write_store", "store_members",
           "PatchReader", "read_patch", "file_is_whole", "patch_labels", "patch_locations", "export_pngs"]

STORE_DIR = "patches"
STORE_SUFFIX = ".npz"
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the zip format's earliest date: no clock in the bytes


def is_store(rel: str) -> bool:
    """Whether an index ``file`` entry names a patch store (else a PNG of one patch)."""
    return str(rel).endswith(STORE_SUFFIX)


def store_name(stem: str) -> str:
    """The index ``file`` entry of the store of the image with file-name stem ``stem``."""
    return f"{STORE_DIR}/{stem}{STORE_SUFFIX}"


@functools.lru_cache(maxsize=256)
def _npy_header(shape: tuple) -> bytes:
    """The ``.npy`` header of a C-ordered uint8 array of ``shape`` (tissue patches share one)."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "|u1", "fortran_order": False, "shape": shape})
    return out.getvalue()


def _zip_entry(name: bytes, crc: int, size: int, offset: int | None) -> bytes:
    """A stored member's local header (``offset`` None) or central-directory record."""
    if offset is None:
        return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(name), 0) + name
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, _DOS_DATE, crc, size, size, len(name),
                       0, 0, 0, 0, 0, offset) + name


def encode_store(items) -> bytes:
    """The ``.npz`` bytes holding ``[(patch_id, uint8 (rows, cols) array), ...]`` in that order.

    A plain zip (PKWARE APPNOTE 4.3: stored members, no data descriptors, no
    Zip64, all dates 1980-01-01), written here rather than through
    :mod:`zipfile` to copy each patch once and checksum it with ISA-L:
    about 6x faster, and the bytes do not depend on the Python version.

    Raises
    ------
    ValueError
        A patch that is not a non-empty 2-D uint8 array, a repeated or
        non-ASCII patch id, or a store over 4 GiB.
    """
    parts, central, seen, offset = [], [], set(), 0
    for name, arr in items:
        arr = np.asarray(arr)
        if arr.ndim != 2 or arr.dtype != np.uint8 or 0 in arr.shape:
            raise ValueError(f"patch {name}: a store holds non-empty 2-D uint8 arrays, got {arr.dtype} {arr.shape}")
        if name in seen or not str(name).isascii():
            raise ValueError(f"patch {name}: repeated or non-ASCII patch id")
        seen.add(name)
        header, data = _npy_header(arr.shape), np.ascontiguousarray(arr).data
        size, member = len(header) + data.nbytes, f"{name}.npy".encode("ascii")
        crc = crc32(data, crc32(header))
        parts += [_zip_entry(member, crc, size, None), header, data]
        central.append(_zip_entry(member, crc, size, offset))
        offset += 30 + len(member) + size
    directory = b"".join(central)
    if offset + len(directory) >= 2 ** 32:
        raise ValueError(f"a store of {offset / 2 ** 30:.1f} GiB is over the zip format's 4 GiB")
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join([*parts, directory, end])


def write_store(path: str | os.PathLike, items) -> Path:
    """Atomically write the store ``path`` holding ``items`` (see :func:`encode_store`).

    Not fsynced, as patch PNGs were not: a killed process leaves the whole
    file or none; the index that names it is fsynced when it is flushed.
    Errors name ``path`` (:func:`mammostudio.core.atomic.write_bytes`).
    """
    return write_bytes(path, encode_store(items), sync=False)


def _open(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ImageReadError(f"{path}: missing (listed in the index)") from None
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise ImageReadError(f"{path}: not a readable patch store ({' '.join(str(exc).split())})") from exc


def _member_header(zf: zipfile.ZipFile, member: str) -> tuple[tuple, np.dtype]:
    with zf.open(member) as fh:
        major, _ = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(fh)
    return shape, dtype


def store_members(path: str | os.PathLike) -> dict[str, tuple[tuple, str] | str]:
    """Every member of a store: ``{patch_id: ((rows, cols), dtype name) or reason it is bad}``.

    Reads only the members' headers (no pixels).

    Raises
    ------
    mammostudio.core.images.ImageReadError
        The file is missing or not a readable zip (the message names it).
    """
    path = Path(path)
    with _open(path) as zf:
        out: dict = {}
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            name = info.filename[:-4]
            try:
                shape, dtype = _member_header(zf, info.filename)
                out[name] = (tuple(int(s) for s in shape), np.dtype(dtype).name)
            except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
                out[name] = f"member {info.filename} unreadable ({' '.join(str(exc).split())})"
        return out


class PatchReader:
    """Read patches by index row, from stores or (older datasets, plain folders) PNG files.

    Keeps the last store open, so rows of one image read in a row open its
    file once. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    folder : path-like
        The patch dataset (``file`` entries are relative to it).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self._path: Path | None = None
        self._zip: zipfile.ZipFile | None = None

    def __enter__(self) -> "PatchReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the open store, if any."""
        if self._zip is not None:
            self._zip.close()
        self._path, self._zip = None, None

    def read(self, file: str, patch_id: str | None = None) -> np.ndarray:
        """The patch of an index row: ``file`` (relative path) and, for a store, its ``patch_id``.

        Raises
        ------
        mammostudio.core.images.ImageReadError
            Missing or damaged file, or no such patch in the store; the
            message names the file (and the patch).
        """
        path = self.folder / str(file)
        if not is_store(file):
            return read_png(path)
        if path != self._path:
            self.close()
            self._zip = _open(path)
            self._path = path
        member = f"{patch_id}.npy"
        try:
            with self._zip.open(member) as fh:
                arr = np.lib.format.read_array(fh, allow_pickle=False)
        except KeyError:
            raise ImageReadError(f"{path}: holds no patch {patch_id!r}") from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise ImageReadError(f"{path}: patch {patch_id!r} is unreadable "
                                 f"({' '.join(str(exc).split())})") from exc
        if arr.ndim != 2 or arr.dtype not in (np.uint8, np.uint16):
            raise ImageReadError(f"{path}: patch {patch_id!r} is {arr.dtype} {arr.shape}, not a greyscale 2-D patch")
        return arr

    def read_row(self, rec) -> np.ndarray:
        """:meth:`read` of one index row (a mapping with ``file`` and, for a store, ``patch_id``)."""
        return self.read(rec["file"], rec.get("patch_id") if hasattr(rec, "get") else rec["patch_id"])


def file_is_whole(path: str | os.PathLike) -> bool:
    """Whether a patch file ends as a complete one: a store's end record, a PNG's IEND chunk.

    What a resumed extraction checks (one short read per file) before it
    trusts an image as finished: a power cut can leave a renamed but
    unwritten file (stores are not fsynced), empty or zero-filled.
    """
    path = Path(path)
    store = is_store(path.name)
    tail_len = 22 if store else 12
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size < tail_len:
                return False
            fh.seek(size - tail_len)
            tail = fh.read(tail_len)
    except OSError:
        return False
    return tail.startswith(b"PK\x05\x06") if store else tail == b"\x00\x00\x00\x00IEND\xaeB`\x82"


def read_patch(folder: str | os.PathLike, rec) -> np.ndarray:
    """One index row's patch (``rec``: a mapping with ``file`` and ``patch_id``) from ``folder``.

    For many rows use one :class:`PatchReader`, which keeps a store open.
    """
    with PatchReader(folder) as reader:
        return reader.read_row(rec)


def patch_labels(index: pd.DataFrame) -> pd.Series:
    """One name per patch row: its file for PNG rows, ``<store>#<patch_id>`` for store rows.

    Names a patch where a file name used to (quiz origins, gallery keys).
    """
    files = index["file"].astype(str)
    if "patch_id" not in index.columns:
        return files
    in_store = files.str.endswith(STORE_SUFFIX)
    return files.where(~in_store, files + "#" + index["patch_id"].astype(str))


def patch_locations(folder: str | os.PathLike, index: pd.DataFrame) -> list[str]:
    """Each row's place in messages and skip lists: its file's path, or ``<store path>#<patch_id>``."""
    return [str(Path(folder) / name) for name in patch_labels(index)]


def export_pngs(folder: str | os.PathLike, out: str | os.PathLike, *, kinds=("lesion", "tissue")):
    """Job: write a patch dataset as one PNG per patch (the layout other tools read).

    ``out`` gets ``<kind>/<patch_id>.png``, ``index.csv`` (the same rows, their
    ``file`` naming the PNGs; written last, so an interrupted export holds no
    index) and a copy of ``params.json``. The export is itself a patch
    dataset: :func:`~mammostudio.core.patches.load_patches` reads the same
    pixels from it. Identifiers are those of the source index (pseudonyms
    unless the extraction kept them).

    Yields :class:`~mammostudio.core.progress.Progress` per patch; returns a
    dict ``{"patches": n, "out": str(out)}``.

    Raises
    ------
    mammostudio.core.patches.dataset.PatchDatasetError
        No readable index, or ``out`` is not empty (or is the dataset itself).
    mammostudio.core.images.ImageReadError
        A patch cannot be read (names the file).
    """
    from .dataset import INDEX_NAME, PARAMS_NAME, PatchDatasetError, read_index

    folder, out = Path(folder), Path(out)
    index = read_index(folder)
    if out.resolve() == folder.resolve():
        raise PatchDatasetError(f"{out}: export into another folder than the dataset itself")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PatchDatasetError(f"{out}: not an empty folder; choose a new or empty one for the PNGs")
    rows = index[index["kind"].isin(list(kinds))].reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    with PatchReader(folder) as reader:
        for i, rec in enumerate(rows.to_dict("records")):
            pid = str(rec.get("patch_id") or Path(str(rec["file"])).stem)
            rel = f"{rec['kind']}/{pid}.png"
            write_png(out / rel, reader.read_row(rec))
            names.append(rel)
            yield Progress(i + 1, len(rows), rel)
    rows["file"] = names
    if (folder / PARAMS_NAME).is_file():
        write_bytes(out / PARAMS_NAME, (folder / PARAMS_NAME).read_bytes())
    write_text(out / INDEX_NAME, rows.to_csv(index=False))
    return {"patches": len(rows), "out": str(out)}
