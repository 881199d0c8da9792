"""Pixel loading for every image format in a catalog, in one place.

:func:`load_pixels` returns a 2-D array (rows, cols) of *presentation-sense*
values: after the DICOM modality rescale and MONOCHROME1 inversion, so bright
always means dense tissue, and before any VOI window (the viewer and the
preprocessing choose their own). Integer inputs stay integer (uint8 / uint16)
where the rescale allows it, to keep 4096x3328 images cheap.
"""
from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

try:  # ISA-L's deflate (a dependency): ~10x faster than zlib's level 1 on patches, and smaller
    from isal.igzip_lib import COMP_ZLIB as _ZLIB
    from isal.igzip_lib import compress as _igzip
    from isal.isal_zlib import crc32  # the same checksum (zlib.crc32's), ~25x faster than zlib's

    def _deflate(data, depth: int) -> bytes:
        # 8-bit images: level 1 with a 2-byte window. After the Up filter the
        # rows are noise that long-distance matches barely shorten, so this is
        # mostly Huffman coding plus runs: on mini-MIAS patches 25% faster than
        # the full 32 KiB window and 10% smaller (10.0 MB against 11.1 MB; full
        # films 16% smaller). 16-bit rows keep the full window.
        return _igzip(data, 1, _ZLIB, 0, 1 if depth == 8 else 15)
except ImportError:  # pragma: no cover - a platform without its wheel: zlib, same pixels
    from zlib import crc32

    def _deflate(data, depth: int) -> bytes:
        packer = zlib.compressobj(1, zlib.DEFLATED, 15, 9, zlib.Z_RLE if depth == 8 else zlib.Z_DEFAULT_STRATEGY)
        return packer.compress(data) + packer.flush()

__all__ = ["ImageReadError", "load_pixels", "read_pgm", "read_png", "encode_png", "write_png", "image_problem",
           "crc32"]


class ImageReadError(OSError):
    """An image file could not be read; the message names the file and the problem."""


class _PixelProblem(ImageReadError):
    """The header says the pixels cannot be decoded (message without the file name)."""


def _pgm_header(path: Path) -> tuple[int, int, int, int]:
    """(rows, cols, maxval, pixel offset) of a P5 PGM, checked against the file size and the
    decode cap before any pixel is read."""
    from .dicom_pixels import max_pixels

    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            data = fh.read(4096)
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if not data.startswith(b"P5"):
        raise _PixelProblem("not a binary PGM (expected 'P5' magic)")
    # Header: magic, width, height, maxval separated by whitespace (comments '#').
    fields, pos = [], 2
    while len(fields) < 3:
        while pos < len(data) and data[pos : pos + 1].isspace():
            pos += 1
        if pos < len(data) and data[pos : pos + 1] == b"#":
            while pos < len(data) and data[pos : pos + 1] not in (b"\n", b"\r"):
                pos += 1
            continue
        start = pos
        while pos < len(data) and not data[pos : pos + 1].isspace():
            pos += 1
        if start == pos or pos >= len(data):
            raise _PixelProblem("truncated PGM header")
        fields.append(data[start:pos])
    pos += 1  # exactly one whitespace byte after maxval
    try:
        cols, rows, maxval = (int(f) for f in fields)
    except ValueError as exc:
        raise _PixelProblem(f"malformed PGM header {fields}") from exc
    if rows <= 0 or cols <= 0 or not 0 < maxval < 65536:
        raise _PixelProblem(f"malformed PGM header (size {rows}x{cols}, maxval {maxval})")
    if rows * cols > max_pixels():
        raise _PixelProblem(f"image of {rows}x{cols} = {rows * cols / 1e6:.0f} megapixels exceeds the decode cap "
                            f"of {max_pixels() / 1e6:g} megapixels (set MAMMOSTUDIO_MAX_MEGAPIXELS to allow it)")
    need = rows * cols * (1 if maxval < 256 else 2)
    if size - pos < need:
        raise _PixelProblem(f"truncated PGM ({size - pos} of {need} pixel bytes)")
    return rows, cols, maxval, pos


def read_pgm(path: str | os.PathLike) -> np.ndarray:
    """Read a binary (P5) PGM file, 8- or 16-bit, as a (rows, cols) array.

    Raises
    ------
    ImageReadError
        If the file is missing, not a P5 PGM, truncated, or larger than the
        decode cap (checked from the header before the pixels are read).
    """
    path = Path(path)
    try:
        rows, cols, maxval, pos = _pgm_header(path)
    except _PixelProblem as exc:
        raise ImageReadError(f"{path}: {exc}") from None
    dtype = np.dtype(np.uint8) if maxval < 256 else np.dtype(">u2")
    try:
        with open(path, "rb") as fh:
            fh.seek(pos)
            arr = np.fromfile(fh, dtype=dtype, count=rows * cols)
    except OSError as exc:
        raise ImageReadError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if arr.size < rows * cols:
        raise ImageReadError(f"{path}: truncated PGM ({arr.size * dtype.itemsize} of {rows * cols * dtype.itemsize} "
                             "pixel bytes)")
    arr = arr.reshape(rows, cols)
    return arr.astype(np.uint16) if maxval >= 256 else arr


def _png_check(path: Path) -> None:
    """Within the decode cap, from the PNG header alone (colour PNGs are read as grey)."""
    from PIL import Image

    from .dicom_pixels import max_pixels

    try:
        with Image.open(path) as im:
            cols, rows = im.size
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _PixelProblem(f"cannot read PNG ({exc})") from exc
    if rows * cols > max_pixels():
        raise _PixelProblem(f"image of {rows}x{cols} = {rows * cols / 1e6:.0f} megapixels exceeds the decode cap "
                            f"of {max_pixels() / 1e6:g} megapixels (set MAMMOSTUDIO_MAX_MEGAPIXELS to allow it)")


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read a greyscale PNG (8 or 16 bit) as a (rows, cols) array."""
    from PIL import Image

    path = Path(path)
    try:
        _png_check(path)
    except _PixelProblem as exc:
        raise ImageReadError(f"{path}: {exc}") from None
    try:
        with Image.open(path) as im:
            if im.mode in ("I;16", "I;16B", "I"):
                arr = np.asarray(im).astype(np.uint16)
            else:
                arr = np.asarray(im.convert("L"))
    except (OSError, ValueError) as exc:
        raise ImageReadError(f"{path}: cannot read PNG ({exc})") from exc
    return arr


def encode_png(image: np.ndarray) -> bytes:
    """A (rows, cols) uint8 or uint16 array as greyscale PNG bytes.

    Every row uses the PNG "Up" filter (a byte-wise difference with the row
    above, one numpy subtraction for the whole image) and the whole image is
    one deflate stream, made by ISA-L at its level 1 (with a 2-byte window for
    8-bit images; zlib's level 1 without ISA-L, run-length for 8 bits). On
    128x128 patches that is ~30x faster than Pillow's per-row adaptive
    filtering with zlib, for files no larger; any PNG reader decodes them to
    the same pixels. Both compressors release the GIL, so threads encode in
    parallel.
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    if image.dtype == np.uint8:
        depth, data = 8, np.ascontiguousarray(image)
    elif image.dtype == np.uint16:
        depth, data = 16, np.ascontiguousarray(image, dtype=">u2").view(np.uint8)  # PNG is big-endian
    else:
        raise ValueError(f"image dtype must be uint8 or uint16, got {image.dtype}")
    rows, cols = image.shape
    if rows == 0 or cols == 0:
        raise ValueError(f"image must not be empty, got shape {image.shape}")
    filtered = np.empty((rows, data.shape[1] + 1), np.uint8)
    filtered[:, 0] = 2  # filter type Up; the row above the first is zeros
    filtered[0, 1:] = data[0]
    np.subtract(data[1:], data[:-1], out=filtered[1:, 1:])  # wraps modulo 256, as PNG wants

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc32(body, crc32(kind)))

    header = struct.pack(">IIBBBBB", cols, rows, depth, 0, 0, 0, 0)  # greyscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", _deflate(filtered, depth))
            + chunk(b"IEND", b""))


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Atomically write a (rows, cols) uint8 or uint16 array as a greyscale PNG (:func:`encode_png`)."""
    from .atomic import write_bytes

    return write_bytes(path, encode_png(image), sync=False)  # not fsynced, as before


def load_pixels(source) -> np.ndarray:
    """Load an image's pixels as (rows, cols), bright = dense, no VOI applied.

    Parameters
    ----------
    source : path-like or mapping
        A file path, or a catalog images-table row (uses its ``path`` and
        ``format`` fields).

    Returns
    -------
    numpy.ndarray
        2-D array, uint8 / uint16 (or float32 when a DICOM rescale needs it).

    Raises
    ------
    ImageReadError
        If the file cannot be read or decoded; the message names the file.
    """
    if isinstance(source, (str, os.PathLike)):
        path, fmt = Path(source), ""
    else:
        path, fmt = Path(source["path"]), str(source.get("format", "") or "")
    if not fmt:
        suffix = path.suffix.lower()
        fmt = {".pgm": "pgm", ".png": "png"}.get(suffix, "dicom")
    if fmt == "pgm":
        return read_pgm(path)
    if fmt == "png":
        return read_png(path)
    if fmt == "dicom":
        from .dicom import DicomError, read_pixels

        try:
            return read_pixels(path)
        except DicomError as exc:
            raise ImageReadError(str(exc)) from exc
    raise ImageReadError(f"{path}: unknown image format {fmt!r}")


def image_problem(path: str | os.PathLike, fmt: str = "") -> str:
    """Why the pixels of a PGM, PNG or DICOM file cannot be decoded, from its header alone ('' if fine).

    Raises
    ------
    ImageReadError
        If the file cannot be read at all.
    """
    path = Path(path)
    fmt = fmt or {".pgm": "pgm", ".png": "png"}.get(path.suffix.lower(), "dicom")
    header_check = {"pgm": _pgm_header, "png": _png_check}.get(fmt)
    if header_check is not None:
        try:
            header_check(path)
        except _PixelProblem as exc:
            return str(exc)
        return ""
    from .dicom import DicomError, scan_file

    try:
        return scan_file(path)[1]
    except DicomError as exc:
        raise ImageReadError(str(exc)) from exc
