"""The VOI stage of DICOM display: window centre/width or a VOI LUT, to [0, 1].

Formulas of DICOM PS3.3 C.11.2.1.2 (output range ``ymin = 0``, ``ymax = 1``):

* LINEAR (window ``c``, ``w >= 1``)::

      x <= c - 0.5 - (w - 1) / 2  ->  0
      x >  c - 0.5 + (w - 1) / 2  ->  1
      else  ((x - (c - 0.5)) / (w - 1) + 0.5)

* LINEAR_EXACT (``w > 0``)::

      x <= c - w / 2  ->  0;   x > c + w / 2  ->  1;   else  (x - c) / w + 0.5

* SIGMOID (``w > 0``)::

      1 / (1 + exp(-4 (x - c) / w))

Pixels given to :func:`apply_voi` are *bright = dense* (as
:func:`~mammostudio.core.dicom_read.read_pixels` returns them). Header windows of a
MONOCHROME1 file are defined on the stored (not inverted) values, so for those
the stored value is recovered, the window applied, and the result inverted:
exactly the order of spec 1.4 (modality, VOI, then MONOCHROME1 inversion).
Windows passed explicitly (``center=``, ``width=``) and those returned by
:func:`window_presets` are in the bright = dense space and used as they are.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset

from .dicom_read import _safe, _text, modality_range, read_dataset

__all__ = ["VOI_FUNCTIONS", "VoiInfo", "voi_info", "window", "apply_voi", "window_presets"]

VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


@dataclass(frozen=True)
class VoiInfo:
    """The display-related header fields of one image.

    Attributes
    ----------
    photometric : str
        'MONOCHROME1' or 'MONOCHROME2' ('' when unknown).
    centers, widths : tuple of float
        Header windows (stored-value space), possibly empty.
    explanations : tuple of str
        (0028,1055) per window, '' when absent.
    function : str
        (0028,1056) VOI LUT Function, 'LINEAR' when absent.
    luts : tuple of (first_mapped, bits, numpy.ndarray)
        VOI LUT Sequence items.
    value_range : (float, float)
        Nominal range after the modality stage (see ``modality_range``).
    """

    photometric: str = "MONOCHROME2"
    centers: tuple[float, ...] = ()
    widths: tuple[float, ...] = ()
    explanations: tuple[str, ...] = ()
    function: str = "LINEAR"
    luts: tuple = ()
    value_range: tuple[float, float] = (0.0, 65535.0)

    @property
    def inverted(self) -> bool:
        """True for MONOCHROME1 (low stored value = white)."""
        return self.photometric == "MONOCHROME1"


def _multi(ds: Dataset, keyword: str) -> list:
    value = _safe(ds, keyword)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return [value]
    return list(value)


def _float(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _lut_array(item: Dataset) -> tuple[int, int, np.ndarray]:
    n, first, bits = (int(v) for v in item.LUTDescriptor)
    n = n or 65536
    data = item.LUTData
    if isinstance(data, bytes):  # OW: 16-bit words, unless 8-bit entries were packed
        data = np.frombuffer(data, dtype="u1" if bits <= 8 and len(data) == n else "<u2")
    return first, bits, np.asarray(data, dtype=np.float64).ravel()[:n]


def voi_info(source: str | os.PathLike | Dataset | VoiInfo) -> VoiInfo:
    """Collect windows, VOI LUTs and photometric interpretation of an image.

    Parameters
    ----------
    source : path-like, pydicom Dataset or VoiInfo
        A path is read header-only.
    """
    if isinstance(source, VoiInfo):
        return source
    ds = source if isinstance(source, Dataset) else read_dataset(Path(source), header_only=True)
    centers = [_float(c) for c in _multi(ds, "WindowCenter")]
    widths = [_float(w) for w in _multi(ds, "WindowWidth")]
    n = min(len(centers), len(widths))
    expl = [str(e) for e in _multi(ds, "WindowCenterWidthExplanation")]
    expl = (expl + [""] * n)[:n]
    # a window with an unreadable or non-positive value is skipped, not fatal
    good = [i for i in range(n) if centers[i] is not None and widths[i] is not None and widths[i] > 0]
    centers, widths, expl = [centers[i] for i in good], [widths[i] for i in good], [expl[i] for i in good]
    luts = []
    for item in _safe(ds, "VOILUTSequence") or []:
        try:
            luts.append(_lut_array(item))
        except (AttributeError, ValueError, TypeError):
            continue  # a malformed LUT item is skipped; windows still work
    function = _text(ds, "VOILUTFunction").upper() or "LINEAR"
    return VoiInfo(
        photometric=_text(ds, "PhotometricInterpretation").upper() or "MONOCHROME2",
        centers=tuple(centers),
        widths=tuple(widths),
        explanations=tuple(expl),
        function=function if function in VOI_FUNCTIONS else "LINEAR",
        luts=tuple(luts),
        value_range=modality_range(ds),
    )


def window(pixels: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """Apply one DICOM window (formulas in the module docstring) -> float32 in [0, 1].

    Raises
    ------
    ValueError
        Unknown ``function``, or ``width`` < 1 (LINEAR) / <= 0 (others).
    """
    function = function.upper()
    if function not in VOI_FUNCTIONS:
        raise ValueError(f"function must be one of {VOI_FUNCTIONS}, got {function!r}")
    if function == "LINEAR" and width < 1:
        raise ValueError(f"width must be >= 1 for LINEAR, got {width}")
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}")
    x = np.asarray(pixels, dtype=np.float64)
    if function == "SIGMOID":
        y = 1.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
    elif function == "LINEAR_EXACT":
        y = np.where(x <= center - width / 2, 0.0, np.where(x > center + width / 2, 1.0, (x - center) / width + 0.5))
    else:
        lo, hi = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
        inside = (x - (center - 0.5)) / max(width - 1, 1e-12) + 0.5
        y = np.where(x <= lo, 0.0, np.where(x > hi, 1.0, inside))
    return np.clip(y, 0.0, 1.0).astype(np.float32)


def _apply_lut(x: np.ndarray, first: int, bits: int, lut: np.ndarray) -> np.ndarray:
    idx = np.clip(np.rint(x).astype(np.int64) - first, 0, len(lut) - 1)
    return (lut[idx] / float(2**bits - 1)).astype(np.float32)


def apply_voi(
    pixels: np.ndarray,
    header_or_ds: str | os.PathLike | Dataset | VoiInfo | None = None,
    *,
    center: float | None = None,
    width: float | None = None,
    function: str | None = None,
    index: int = 0,
    prefer_lut: bool = True,
    invert: bool = False,
) -> np.ndarray:
    """Map bright = dense pixels to display values in [0, 1].

    Parameters
    ----------
    pixels : numpy.ndarray (rows, cols)
        Output of ``read_pixels`` (modality stage done, MONOCHROME1 inverted).
    header_or_ds : path-like, Dataset or VoiInfo, optional
        Where header windows / VOI LUTs come from.
    center, width : float, optional
        An explicit window in the bright = dense space (a viewer's sliders, or
        a :func:`window_presets` entry). Wins over the header.
    function : {'LINEAR', 'LINEAR_EXACT', 'SIGMOID'}, optional
        Defaults to the header's VOI LUT Function, else 'LINEAR'.
    index : int
        Which header window / LUT to use.
    prefer_lut : bool
        When the header has both a VOI LUT Sequence and windows, use the LUT.
    invert : bool
        The user's own inversion, applied last (spec 1.4): ``1 - y``.

    Returns
    -------
    numpy.ndarray, float32, (rows, cols), in [0, 1]
        Without any window or LUT: a LINEAR_EXACT stretch of the data min..max.

    Raises
    ------
    ValueError
        Only one of ``center``/``width``, a bad width, an unknown function or
        an ``index`` beyond the header's windows.
    """
    if (center is None) != (width is None):
        raise ValueError("give both center and width, or neither")
    y = _voi(np.asarray(pixels), header_or_ds, center, width, function, index, prefer_lut)
    return (1.0 - y).astype(np.float32) if invert else y


def _voi(pixels, header_or_ds, center, width, function, index, prefer_lut) -> np.ndarray:
    info = voi_info(header_or_ds) if header_or_ds is not None else None
    func = (function or (info.function if info else "LINEAR")).upper()
    if center is not None:
        return window(pixels, float(center), float(width), func)
    if info is None or (not info.centers and not info.luts):
        lo, hi = (float(pixels.min()), float(pixels.max())) if pixels.size else (0.0, 1.0)
        return window(pixels, (lo + hi) / 2, max(hi - lo, 1e-6), "LINEAR_EXACT")
    lo, hi = info.value_range
    stored = (lo + hi) - pixels.astype(np.float64) if info.inverted else pixels
    if info.luts and (prefer_lut or not info.centers):
        if not 0 <= index < len(info.luts):
            raise ValueError(f"index {index} out of range: the header has {len(info.luts)} VOI LUT(s)")
        y = _apply_lut(stored, *info.luts[index])
    else:
        if not 0 <= index < len(info.centers):
            raise ValueError(f"index {index} out of range: the header has {len(info.centers)} window(s)")
        y = window(stored, info.centers[index], info.widths[index], func)
    return (1.0 - y).astype(np.float32) if info.inverted else y


def window_presets(source: str | os.PathLike | Dataset | VoiInfo) -> list[tuple[float, float, str]]:
    """Window presets of an image, in the bright = dense space of ``read_pixels``.

    For MONOCHROME1 the header windows are mirrored over the value range
    (``c' = lo + hi - c``, plus 1 for LINEAR, whose formula is offset by 0.5) so
    that ``apply_voi(pixels, center=c', width=w)`` equals the header window.
    A last preset covers the full nominal value range.

    Returns
    -------
    list of (center, width, explanation)
    """
    info = voi_info(source)
    lo, hi = info.value_range
    out = []
    for i, (c, w) in enumerate(zip(info.centers, info.widths)):
        if info.inverted:
            c = lo + hi - c + (1.0 if info.function == "LINEAR" else 0.0)
        out.append((float(c), float(w), info.explanations[i] or f"header window {i + 1}"))
    out.append(((lo + hi) / 2 + 0.5, hi - lo + 1, "full range"))
    return out
