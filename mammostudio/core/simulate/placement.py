"""Where a lesion may go: inside the breast, away from the skin line and other lesions.

Reuses the patch extractor's valid-position machinery
(:func:`mammostudio.core.patches.tissue.valid_positions`: one summed-area
table of "bad" pixels): the lesion's square, grown by the margin on every
side, must lie wholly inside the breast mask (so the lesion stays ``margin``
pixels from the skin line) and touch no existing box (grown by the margin).
Large images are looked at on a grid ``step`` pixels apart (the mask
subsampled), which keeps a 4096 x 3328 search in a few milliseconds.
"""
from __future__ import annotations

import numpy as np

from ..patches.prepared import Prepared
from ..patches.tissue import valid_positions

__all__ = ["valid_centres", "auto_place"]


def valid_centres(mask: np.ndarray, boxes, extent: tuple[int, int], *, margin: int = 0,
                  step: int | None = None) -> tuple[np.ndarray, int]:
    """Centres where a lesion of ``extent`` (rows, cols) fits, on a grid of ``step`` pixels.

    Returns
    -------
    valid : numpy.ndarray of bool
        Over grid positions; grid index (i, j) is the image centre
        ``(i * step + half, j * step + half)`` with ``half`` the half side.
    step : int
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (rows, cols), got shape {mask.shape}")
    side = int(max(extent)) + 2 * int(margin)
    step = step or max(1, int(np.ceil(max(mask.shape) / 1024)))
    small = mask[::step, ::step]
    size = max(1, int(np.ceil(side / step)))
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    grown = np.stack([(boxes[:, 0] - margin) // step, (boxes[:, 1] - margin) // step,
                      (boxes[:, 2] + margin) // step + 1, (boxes[:, 3] + margin) // step + 1], axis=1)
    valid = valid_positions(Prepared(raw=small.view(np.uint8), mask=small), grown, size)
    return valid, step


def auto_place(mask: np.ndarray, boxes, extent: tuple[int, int], rng: np.random.Generator, *,
               margin: int = 0) -> tuple[int, int] | None:
    """A random valid centre (row, col) for a lesion of ``extent``, or None when none fits.

    Parameters
    ----------
    mask : numpy.ndarray of bool (rows, cols)
        The breast.
    boxes : array-like (n, 4)
        Existing lesion boxes (inclusive), kept ``margin`` pixels away.
    extent : (rows, cols)
        The lesion template's size.
    rng : numpy.random.Generator
    margin : int
        Distance in pixels from the skin line and from other boxes.
    """
    valid, step = valid_centres(mask, boxes, extent, margin=margin)
    flat = np.flatnonzero(valid)
    if flat.size == 0:
        return None
    pick = int(flat[rng.integers(flat.size)])
    i, j = divmod(pick, valid.shape[1])
    side = int(max(extent)) + 2 * int(margin)
    size = max(1, int(np.ceil(side / step)))
    # centre of the grid window, in full-image pixels
    return int(i * step + size * step // 2), int(j * step + size * step // 2)
