"""Display pyramid of one mammogram: full resolution plus a pre-reduced fit copy.

Pure numpy (runs in a pool thread). The fit-to-window view shows a copy reduced
by an integer factor so that a window/level drag redraws a ~1k image, not a
13-megapixel one. Two reductions are kept: the block mean (smooth, what the eye
expects) and the block *max* (a 3-pixel calcification survives a 4x reduction
as a bright dot instead of being averaged away). At 1:1 and beyond the viewer
switches to the full-resolution array.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DisplayImage", "reduce_block", "build_display", "mask_at_threshold", "FIT_TARGET"]

FIT_TARGET = 1024  # longest side of the fit copy, in pixels


def reduce_block(image: np.ndarray, factor: int, *, how: str = "mean") -> np.ndarray:
    """Reduce ``image`` (rows, cols) by an integer ``factor`` per axis.

    Parameters
    ----------
    image : ndarray (rows, cols)
    factor : int
        >= 1. Edge rows/cols that do not fill a block are padded by edge values.
    how : {'mean', 'max'}

    Returns
    -------
    ndarray (ceil(rows/factor), ceil(cols/factor)), same dtype as ``image``.
    """
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    if factor < 1:
        raise ValueError(f"factor must be >= 1, got {factor}")
    if how not in ("mean", "max"):
        raise ValueError(f"how must be 'mean' or 'max', got {how!r}")
    if factor == 1:
        return image.copy()
    rows, cols = image.shape
    pr, pc = (-rows) % factor, (-cols) % factor
    if pr or pc:
        image = np.pad(image, ((0, pr), (0, pc)), mode="edge")
    # Strided slices, combined pairwise: several times faster than a reduction
    # over a 4-D reshaped view (whose inner axes are not contiguous).
    rows_of = [image[i::factor] for i in range(factor)]
    if how == "max":
        band = np.maximum.reduce(rows_of)
        return np.maximum.reduce([band[:, j::factor] for j in range(factor)])
    total = np.add.reduce([r.astype(np.uint32) for r in rows_of]) if image.dtype.kind in "ub" and \
        image.dtype.itemsize <= 2 else np.add.reduce([r.astype(np.float64) for r in rows_of])
    total = np.add.reduce([total[:, j::factor] for j in range(factor)])
    mean = total / float(factor * factor)
    if image.dtype.kind in "ui":
        mean = np.rint(mean)
    return mean.astype(image.dtype)


@dataclass
class DisplayImage:
    """Everything the viewer needs to show one image, prepared off the GUI thread.

    Attributes
    ----------
    image_id : str
    full : ndarray (rows, cols)
        Presentation-sense pixels (bright = dense), no VOI.
    fit_max : ndarray
        ``full`` reduced by ``factor``, keeping each block's maximum (the
        default fit view: small bright details survive).
    factor : int
        Reduction of the fit copies.
    data_range : (float, float)
        Minimum and maximum pixel value (default window = the full range).
    mask : ndarray of bool or None
        Breast mask at the fit copy's size: True where any pixel of the block
        is in the breast (None when unavailable).
    header : dict
        Values read from the file's header with the pixels, so that showing the
        image reads nothing on the GUI thread: ``window_presets`` (list of
        (center, width, explanation), DICOM only) and ``study_date``; a key is
        absent when it could not be read.

    ``fit_mean`` (the block mean) is made on first use: only the mean view needs it.
    """

    image_id: str
    full: np.ndarray
    fit_max: np.ndarray
    factor: int
    data_range: tuple[float, float]
    mask: np.ndarray | None = None
    header: dict = field(default_factory=dict)
    _fit_mean: np.ndarray | None = field(default=None, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the full image."""
        return self.full.shape

    @property
    def fit_mean(self) -> np.ndarray:
        """``full`` reduced by ``factor`` with the block mean (computed once)."""
        if self._fit_mean is None:
            self._fit_mean = reduce_block(self.full, self.factor, how="mean")
        return self._fit_mean


def build_display(image_id: str, pixels: np.ndarray, *, target: int = FIT_TARGET, mask=None,
                  threshold: float | None = None) -> DisplayImage:
    """Prepare the display copies of ``pixels``.

    Parameters
    ----------
    image_id : str
    pixels : ndarray (rows, cols)
    target : int
        Longest side of the fit copy; the factor is ``ceil(max(shape) / target)``.
    mask : ndarray of bool (rows, cols), optional
        Full-resolution breast mask; stored reduced (block max).
    threshold : float, optional
        The breast mask is ``pixels > threshold``: then the reduced mask is
        ``fit_max > threshold`` exactly (a block holds a breast pixel iff its
        maximum does), and no full-size mask is ever made.
    """
    if pixels.ndim != 2:
        raise ValueError(f"{image_id}: pixels must be 2-D (rows, cols), got shape {pixels.shape}")
    factor = max(1, int(np.ceil(max(pixels.shape) / target)))
    fit_max = reduce_block(pixels, factor, how="max")
    lo, hi = float(pixels.min()), float(fit_max.max())
    small_mask = None
    if mask is not None:
        small_mask = reduce_block(np.asarray(mask, dtype=np.uint8), factor, how="max").astype(bool)
    elif threshold is not None:
        small_mask = fit_max > threshold
    return DisplayImage(image_id, pixels, fit_max, factor, (lo, hi if hi > lo else lo + 1), small_mask)


def mask_at_threshold(display: DisplayImage, threshold: int) -> np.ndarray:
    """The breast mask of ``display`` at another threshold, at the fit copy's size.

    The mask of preprocessing (spec 1.5) is ``normalise_uint8(pixels) > threshold``;
    the stretch is monotone, so on the block-max copy it is
    ``fit_max > t_raw`` exactly, with ``t_raw`` found from the image's minimum and
    maximum alone (no full-size pass). Film (mini-MIAS) needs ~20: its background
    is not 0.

    Returns
    -------
    bool ndarray, the shape of ``display.fit_max``.
    """
    fm = display.fit_max
    lo, hi = float(display.full.min()), float(fm.max())
    if fm.dtype.kind in "ui" and fm.dtype.itemsize <= 2:
        from .patches.prepared import prepare

        prep = prepare(np.array([[lo, hi]], dtype=fm.dtype), threshold=int(threshold))
        if prep.threshold is not None:
            return fm > prep.threshold
    if hi <= lo:
        return np.zeros(fm.shape, bool)
    return np.rint((fm.astype(np.float64) - lo) * (255.0 / (hi - lo))) > threshold
