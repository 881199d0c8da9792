"""Pixel loading for every image format in a catalog, in one place.

:func:`load_pixels` returns a 2-D array (rows, cols) of *presentation-sense*
values: after the DICOM modality rescale and MONOCHROME1 inversion, so bright
always means dense tissue, and before any VOI window (the viewer and the
preprocessing choose their own). Integer inputs stay integer (uint8 / uint16)
where the rescale allows it, to keep 4096x3328 images cheap.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["ImageReadError", "load_pixels", "read_pgm", "read_png", "write_png", "image_problem"]


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


def write_png(path: str | os.PathLike, image: np.ndarray) -> Path:
    """Atomically write a (rows, cols) uint8 or uint16 array as a greyscale PNG."""
    from PIL import Image

    from .atomic import atomic_path

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    if image.dtype == np.uint8:
        pil = Image.fromarray(image, mode="L")
    elif image.dtype == np.uint16:
        pil = Image.fromarray(image.astype("<u2"))  # mode "I;16" from the dtype (Pillow >= 10)
    else:
        raise ValueError(f"image dtype must be uint8 or uint16, got {image.dtype}")
    with atomic_path(path) as tmp:
        pil.save(tmp, format="PNG", compress_level=1)
    return Path(path)


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
    if fmt == "pgm":
        try:
            _pgm_header(path)
        except _PixelProblem as exc:
            return str(exc)
        return ""
    if fmt == "png":
        try:
            _png_check(path)
        except _PixelProblem as exc:
            return str(exc)
        return ""
    from .dicom import DicomError, scan_file

    try:
        return scan_file(path)[1]
    except DicomError as exc:
        raise ImageReadError(str(exc)) from exc
