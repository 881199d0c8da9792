"""The fast path for uncompressed DICOM pixels: straight from the file into one array.

Used by :func:`mammostudio.core.dicom_read.read_pixels` (import from
:mod:`mammostudio.core.dicom`); every other file goes through pydicom.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from .dicom_read import DicomError, _number

__all__ = ["read_native"]

_NATIVE_LE = {"1.2.840.10008.1.2": True, "1.2.840.10008.1.2.1": False}  # uid -> implicit VR
_BLOCK_BYTES = 1 << 20  # pixel rows are read, masked and measured a block of about this size at a time


def read_native(path: Path, ds: Dataset, stop: int, want_range: bool = False):
    """Uncompressed little-endian single-frame files: header with pydicom, then the
    pixel bytes straight from the file into one array (about 5x faster than
    pydicom's path for a 27 MB mammogram, which copies the bytes several times).

    The bytes are read a block of rows at a time and each block is checked
    while it is still in the CPU cache: its maximum tells whether any bit
    above BitsStored is set (rare; only then is the block masked, a pass that
    reads and writes it), and with ``want_range`` its minimum is taken too,
    until a block holds a 0 (a mammogram's background: nothing is lower):
    no second sweep over the whole image from memory. Returns ``(ds, array, (min, max) or None)``; the
    array is None when the file does not qualify."""
    ts = str(getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", "") or "")
    allocated, stored = _number(ds, "BitsAllocated"), _number(ds, "BitsStored")
    rows, cols = int(_number(ds, "Rows") or 0), int(_number(ds, "Columns") or 0)
    if (
        ts not in _NATIVE_LE
        or allocated not in (8.0, 16.0)
        or stored is None
        or not 0 < stored <= allocated
        or _number(ds, "SamplesPerPixel") not in (None, 1.0)
        or (_number(ds, "NumberOfFrames") or 1) != 1
        or (_number(ds, "PixelRepresentation") or 0) != 0
        or rows * cols == 0
    ):
        return ds, None, None
    implicit = _NATIVE_LE[ts]
    dtype = np.dtype("u1" if allocated == 8 else "<u2")
    # As pydicom does: bits above BitsStored are not part of the value.
    keep = np.array((1 << int(stored)) - 1, dtype=dtype) if stored < allocated else None
    arr = np.empty((rows, cols), dtype)
    step = max(1, _BLOCK_BYTES // (cols * dtype.itemsize))
    lo = hi = None
    got = 0
    with open(path, "rb") as fh:
        fh.seek(stop)
        want = 8 if implicit else 12  # tag, (VR, reserved,) length
        head = fh.read(want)
        if len(head) < want or head[:4] != b"\xe0\x7f\x10\x00":
            return ds, None, None
        length = struct.unpack("<I", head[4:8] if implicit else head[8:12])[0]
        if length == 0xFFFFFFFF:
            return ds, None, None  # encapsulated despite a native transfer syntax: let pydicom judge
        for r in range(0, rows, step):
            block = arr[r : r + step]
            n = fh.readinto(memoryview(block).cast("B"))
            got += n
            if n < block.nbytes:
                break
            b_hi = int(block.max()) if keep is not None or want_range else 0
            if keep is not None and b_hi > keep:  # bits above BitsStored set: clear them (rare)
                np.bitwise_and(block, keep, out=block)
                b_hi = int(block.max())
            if want_range:
                if lo != 0:  # 0 is the least unsigned value: once seen (a background), no block goes lower
                    b_lo = int(block.min())
                    lo = b_lo if lo is None else min(lo, b_lo)
                hi = b_hi if hi is None else max(hi, b_hi)
    if got < arr.nbytes or length < arr.nbytes:
        got = min(got, length)
        raise DicomError(f"{path}: corrupt or truncated pixel data ({got} of {arr.nbytes} bytes)")
    return ds, arr, (None if lo is None else (lo, hi))
