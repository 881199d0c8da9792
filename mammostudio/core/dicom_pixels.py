"""Pixel checks from the header alone, before any decode: size cap, colour, short data.

:func:`pixel_info` reads what a header says about the pixel data (size,
frames, samples, bits, transfer syntax, the declared length of a native
value and the bytes the file really has); :func:`pixel_problem` says why
such pixel data cannot be decoded, or ''. ``read_pixels``, ``scan_file`` and
the catalog's open job all use them, so no codec ever sees an image larger
than :func:`max_pixels`. Import these names from :mod:`mammostudio.core.dicom`.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path

from .dicom_read import _number, _text

__all__ = ["DEFAULT_MAX_MEGAPIXELS", "max_pixels", "pixel_info", "pixel_problem"]

# The decode cap: rows x columns x frames. The largest mammograms are ~30
# megapixels (a 4096 x 3328 image is 13.6), tomosynthesis stacks a few hundred.
DEFAULT_MAX_MEGAPIXELS = 200.0
_NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"}
_GREY = {"MONOCHROME1", "MONOCHROME2"}


def _default_cap() -> int:
    """The decode cap in pixels (rows x columns x frames), from ``MAMMOSTUDIO_MAX_MEGAPIXELS``
    (megapixels; default :data:`DEFAULT_MAX_MEGAPIXELS`). ``scan --max-megapixels`` sets it."""
    text = os.environ.get("MAMMOSTUDIO_MAX_MEGAPIXELS", "").strip()
    try:
        mp = float(text) if text else DEFAULT_MAX_MEGAPIXELS
    except ValueError:
        mp = DEFAULT_MAX_MEGAPIXELS
    return int(max(mp, 0.0) * 1e6)


max_pixels = _default_cap


def pixel_info(ds, path: Path, stop: int, *, transfer_syntax: str | None = None, head: bytes = b"") -> dict:
    """What the header says about the pixel data, read without touching the pixels.

    Parameters
    ----------
    ds : Dataset or mapping-like
        The header (anything with ``get(keyword)``).
    path : Path
        The file (its size bounds native pixel data).
    stop : int
        File offset of the (7FE0,0010) element, where a header-only read stopped.
    transfer_syntax : str, optional
        Taken from ``ds.file_meta`` when not given.
    head : bytes
        The file's first bytes, when already read (saves a read).

    Returns
    -------
    dict
        rows, cols, frames, samples, bits, photometric, transfer_syntax,
        declared (the element's length, None when unknown or encapsulated) and
        available (bytes from the value's start to the end of the file).
    """
    if transfer_syntax is None:
        transfer_syntax = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    implicit = transfer_syntax == "1.2.840.10008.1.2"
    want = 8 if implicit else 12
    raw = head[stop : stop + want] if len(head) >= stop + want else b""
    size = 0
    try:
        size = os.path.getsize(path)
        if not raw:
            with open(path, "rb") as fh:
                fh.seek(stop)
                raw = fh.read(want)
    except OSError:
        pass
    declared = None
    if len(raw) == want and raw[:4] in (b"\xe0\x7f\x10\x00", b"\x7f\xe0\x00\x10"):
        big = raw[:4] == b"\x7f\xe0\x00\x10"
        field = raw[4:8] if implicit else raw[8:12]
        length = struct.unpack(">I" if big else "<I", field)[0]
        declared = None if length == 0xFFFFFFFF else length
    return {
        "rows": int(_number(ds, "Rows") or 0), "cols": int(_number(ds, "Columns") or 0),
        "frames": max(int(_number(ds, "NumberOfFrames") or 1), 1),
        "samples": int(_number(ds, "SamplesPerPixel") or 1),
        "bits": int(_number(ds, "BitsAllocated") or 16),
        "photometric": _text(ds, "PhotometricInterpretation").upper(),
        "transfer_syntax": transfer_syntax, "declared": declared,
        "available": max(size - stop - want, 0) if size else None,
    }


def pixel_problem(info: dict, *, max_pixels: int | None = None) -> str:
    """Why the pixel data described by :func:`pixel_info` cannot be decoded, or ''.

    Checked before any decode (compressed data included): a size in the
    header, greyscale (SamplesPerPixel 1, MONOCHROME1/2), rows x columns x
    frames within the cap (:func:`max_pixels`), and for native data a value at
    least as long as rows x columns x frames x bytes per pixel, inside the file.
    """
    cap = _default_cap() if max_pixels is None else int(max_pixels)
    rows, cols, frames = info["rows"], info["cols"], info["frames"]
    if rows <= 0 or cols <= 0:
        return "no image size in the header (Rows/Columns missing or 0)"
    photometric = info["photometric"]
    if info["samples"] != 1 or (photometric and photometric not in _GREY):
        return (f"colour pixel data (SamplesPerPixel {info['samples']}, {photometric or 'no photometric'}); "
                "mammostudio reads greyscale (MONOCHROME1/2) images only")
    n = rows * cols * frames
    if n > cap:
        what = f"{rows}x{cols}" + (f"x{frames} frames" if frames > 1 else "")
        return (f"image of {what} = {n / 1e6:.0f} megapixels exceeds the decode cap of {cap / 1e6:g} "
                "megapixels (set MAMMOSTUDIO_MAX_MEGAPIXELS or --max-megapixels to allow it)")
    if info["bits"] not in (1, 8, 16, 32):
        return f"unsupported BitsAllocated {info['bits']}"
    if info["transfer_syntax"] in _NATIVE_SYNTAXES and info["declared"] is not None:
        need = (n + 7) // 8 if info["bits"] == 1 else n * info["bits"] // 8
        have = info["declared"] if info["available"] is None else min(info["declared"], info["available"])
        if have < need:
            size = f"{rows}x{cols}" + ("" if frames == 1 else f"x{frames}")
            return (f"corrupt or truncated pixel data: {have} of the {need} bytes a {size} image of "
                    f"{info['bits']} bits needs (the file is cut short, or Rows x Columns is larger than the data)")
    return ""
