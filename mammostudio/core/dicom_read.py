"""Reading DICOM files: parsing (:func:`read_dataset`) and the pixels.

:func:`read_dataset` turns every pydicom failure into a :class:`DicomError`
that names the file. :func:`read_pixels` decodes the pixel data (compressed transfer syntaxes
through the pylibjpeg plugins), applies the Modality LUT / rescale and inverts
MONOCHROME1 so that bright always means dense tissue (spec 1.4). No VOI window
is applied here; see :mod:`mammostudio.core.dicom_voi`.

Import these names from :mod:`mammostudio.core.dicom`.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset

__all__ = ["DicomError", "read_dataset", "read_pixels", "read_pixels_range", "modality_range"]

# Elements that any image object carries; a forced read of a non-DICOM file
# almost never produces them by chance.
_SANITY_TAGS = ("SOPClassUID", "SOPInstanceUID", "Modality", "Rows", "StudyInstanceUID")


class DicomError(OSError):
    """A DICOM file could not be read; the message names the file and the problem."""


def read_dataset(path: str | os.PathLike, *, header_only: bool = True) -> Dataset:
    """Parse a DICOM file with pydicom, turning every failure into :class:`DicomError`.

    Files with the 128-byte preamble and ``DICM`` marker are read strictly; files
    without it (old ACR-NEMA style exports) are read with ``force=True`` and
    accepted only if they contain recognisable image elements.

    Parameters
    ----------
    path : path-like
        The file.
    header_only : bool
        Stop before the pixel data (no pixel bytes are read or decoded).

    Returns
    -------
    pydicom.dataset.Dataset

    Raises
    ------
    DicomError
        Missing file, not a DICOM file, or a header that cannot be parsed.
    """
    return _parse(Path(path), header_only)[0]


def _parse(path: Path, header_only: bool) -> tuple[Dataset, int]:
    """:func:`read_dataset`, plus the file offset where pydicom stopped reading."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
            has_marker = len(head) == 132 and head[128:132] == b"DICM"
            fh.seek(0)
            if not has_marker and len(head) < 8:
                raise DicomError(f"{path}: not a DICOM file ({len(head)} bytes)")
            if has_marker:
                ds = pydicom.dcmread(fh, stop_before_pixels=header_only)
            else:
                # A forced read of a non-DICOM file warns about every garbage tag.
                # (catch_warnings is not thread-safe, hence only on this rare path.)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    ds = pydicom.dcmread(fh, stop_before_pixels=header_only, force=True)
            # Values are converted lazily, on access; the getters below treat a value
            # that fails to convert as missing, so one bad tag never loses the image.
            # pydicom stops silently at the end of the file: a header-only read that
            # reaches it without meeting (7FE0,0010) means the file was cut short.
            stop = fh.tell()
            at_end = stop >= os.fstat(fh.fileno()).st_size
    except DicomError:
        raise
    except FileNotFoundError:
        raise DicomError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DicomError(f"{path}: is a folder, not a DICOM file") from None
    except PermissionError:
        raise DicomError(f"{path}: permission denied") from None
    except Exception as exc:  # pydicom raises many types on corrupt input
        what = "corrupt or truncated DICOM header" if has_marker else "not a DICOM file"
        raise DicomError(f"{path}: {what} ({type(exc).__name__}: {exc})") from exc
    if not has_marker and not any(_safe(ds, t) not in (None, "") for t in _SANITY_TAGS):
        raise DicomError(f"{path}: not a DICOM file (no 'DICM' marker and no image elements)")
    if header_only and at_end and "PixelData" not in ds:
        rows, cols = _safe(ds, "Rows"), _safe(ds, "Columns")
        if rows and cols:
            raise DicomError(
                f"{path}: truncated (the header describes a {rows}x{cols} image, the file ends before its pixels)"
            )
        sop = _safe(ds, "SOPClassUID")
        kind = f"a {getattr(sop, 'name', sop)} object" if sop else "no SOP class"
        raise DicomError(f"{path}: no pixel data ({kind}): not an image, or truncated")
    return ds, stop


def _safe(ds: Dataset, keyword: str, default: Any = None) -> Any:
    """``ds.keyword`` or ``default`` when absent, empty or unparseable (never raises)."""
    try:
        value = ds.get(keyword, default)
    except Exception:
        return default
    if value is None or (isinstance(value, (str, bytes)) and not str(value).strip()):
        return default
    return value


def _text(ds: Dataset, keyword: str) -> str:
    value = _safe(ds, keyword, "")
    if isinstance(value, pydicom.multival.MultiValue):
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def _number(ds: Dataset, keyword: str) -> float | None:
    value = _safe(ds, keyword)
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    try:
        out = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return out if out is not None and np.isfinite(out) else None


def modality_range(ds: Dataset) -> tuple[float, float]:
    """The nominal (lowest, highest) value after the Modality LUT / rescale.

    From the header alone: the stored-value range implied by BitsStored and
    PixelRepresentation mapped through RescaleSlope/Intercept, or the output
    range of a Modality LUT Sequence. MONOCHROME1 inversion maps ``v`` to
    ``lo + hi - v`` over this range.
    """
    seq = _safe(ds, "ModalityLUTSequence")
    if seq:
        desc = seq[0].LUTDescriptor
        return 0.0, float(2 ** int(desc[2]) - 1)
    bits = int(_number(ds, "BitsStored") or _number(ds, "BitsAllocated") or 16)
    if int(_number(ds, "PixelRepresentation") or 0) == 1:
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        lo, hi = 0, 2**bits - 1
    slope = _number(ds, "RescaleSlope")
    intercept = _number(ds, "RescaleIntercept")
    slope = 1.0 if slope is None else slope
    intercept = 0.0 if intercept is None else intercept
    ends = sorted((lo * slope + intercept, hi * slope + intercept))
    return float(ends[0]), float(ends[1])


def _decode(ds: Dataset, path: Path, frame: int | None) -> np.ndarray:
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    if "PixelData" not in ds:
        raise DicomError(f"{path}: no pixel data (truncated, or not an image object)")
    n_frames = int(_number(ds, "NumberOfFrames") or 1)
    if n_frames > 1 and frame is None:
        raise DicomError(f"{path}: has {n_frames} frames (tomosynthesis?); pass frame= to pick one")
    try:
        arr = ds.pixel_array
    except (NotImplementedError, RuntimeError, ImportError) as exc:
        name = getattr(ts, "name", str(ts))
        raise DicomError(
            f"{path}: cannot decode pixel data compressed as {name} ({ts}): {exc}. "
            "Compressed DICOM needs pylibjpeg with pylibjpeg-libjpeg (JPEG, JPEG-LS) "
            "and pylibjpeg-openjpeg (JPEG 2000)."
        ) from exc
    except Exception as exc:
        raise DicomError(f"{path}: corrupt or truncated pixel data ({type(exc).__name__}: {exc})") from exc
    if n_frames > 1:
        if not 0 <= frame < n_frames:
            raise ValueError(f"frame must be in 0..{n_frames - 1}, got {frame}")
        arr = arr[frame]
    if arr.ndim != 2:
        raise DicomError(f"{path}: expected a greyscale image, got pixel array of shape {arr.shape}")
    return arr


def read_pixels(path: str | os.PathLike, *, frame: int | None = None) -> np.ndarray:
    """Decode a DICOM image as (rows, cols), bright = dense, no VOI window.

    Order (spec 1.4): decode, Modality LUT / rescale (pydicom's
    ``apply_modality_lut``), then MONOCHROME1 inversion ``v -> lo + hi - v``
    over the nominal range of :func:`modality_range`.

    Parameters
    ----------
    path : path-like
        A DICOM file; uncompressed, RLE, JPEG Lossless, JPEG-LS or JPEG 2000.
    frame : int, optional
        Which frame of a multi-frame object (required when there are several).

    Returns
    -------
    numpy.ndarray
        uint16 when the rescale is integral and stays within 0..65535 (the usual
        case for mammograms), else float32.

    Raises
    ------
    DicomError
        Not DICOM, corrupt or truncated, no pixel data, a missing codec (the
        message names the file and the transfer syntax), or pixel data that
        fails :func:`~mammostudio.core.dicom_pixels.pixel_problem` (checked from
        the header before decoding).
    """
    return _read_pixels(Path(path), frame, want_range=False)[0]


def read_pixels_range(path: str | os.PathLike, *, frame: int | None = None) -> tuple[np.ndarray, tuple | None]:
    """:func:`read_pixels`, and the (min, max) of its result when the read found them.

    Uncompressed files (the usual archive format) are measured block by block
    as they are read, which costs far less than ``min()`` and ``max()`` over
    the decoded image; for other files (compressed, rescaled to float) the
    range is None and the caller computes it if needed.

    Returns
    -------
    (numpy.ndarray, (int, int) or None)

    Raises
    ------
    DicomError
        As :func:`read_pixels`.
    """
    return _read_pixels(Path(path), frame, want_range=True)


def _read_pixels(path: Path, frame: int | None, want_range: bool) -> tuple[np.ndarray, tuple | None]:
    from pydicom.pixels import apply_modality_lut

    from .dicom_pixels import pixel_info, pixel_problem

    ds, stop = _parse(path, header_only=True)
    problem = pixel_problem(pixel_info(ds, path, stop))
    if problem:  # before any decode: no codec ever sees a bomb, a colour or a short image
        raise DicomError(f"{path}: {problem}")
    from .dicom_native import read_native

    ds, arr, found = read_native(path, ds, stop, want_range)
    if arr is None:
        ds = read_dataset(path, header_only=False)
        arr = _decode(ds, path, frame)
    lo, hi = modality_range(ds)
    slope, intercept = _number(ds, "RescaleSlope"), _number(ds, "RescaleIntercept")
    has_lut = bool(_safe(ds, "ModalityLUTSequence"))
    identity = not has_lut and slope in (None, 1.0) and intercept in (None, 0.0)
    out = arr if identity else apply_modality_lut(arr, ds)
    if not identity:
        found = None  # the range of the stored values, not of the rescaled ones
    integral = has_lut or identity or (float(slope or 1).is_integer() and float(intercept or 0).is_integer())
    mono1 = _text(ds, "PhotometricInterpretation").upper() == "MONOCHROME1"
    if integral and lo >= 0 and hi <= 65535:
        # The common mammogram: stay in uint16 and work in place (a 4096x3328
        # image is 27 MB; int64 temporaries would cost four times that).
        if out.dtype != np.uint16 or not out.flags.writeable:
            out = np.clip(out, lo, hi).astype(np.uint16)
        if found is not None:  # the same clip, then the inversion below, on the two ends
            found = (int(min(max(found[0], lo), hi)), int(min(max(found[1], lo), hi)))
            if mono1:
                found = (int(lo + hi) - found[1], int(lo + hi) - found[0])
        if mono1:  # pydicom never inverts; the clip guards against garbage above BitsStored
            if lo > 0:
                np.maximum(out, np.uint16(lo), out=out)
            np.minimum(out, np.uint16(hi), out=out)
            np.subtract(np.uint16(lo + hi), out, out=out)
        return out, found
    out = np.asarray(out, dtype=np.float32)
    return ((lo + hi) - np.clip(out, lo, hi) if mono1 else out), None
