"""Lesion patches: the paper's box crop, or a native square centred on the lesion.

'crop' (paper Algorithm 1 line 9, spec 1.5): the box region ``I[y1:y2, x1:x2]``
(the paper's slice, end row/column excluded unless ``crop_inclusive``), its
size varying per lesion (up to ~750 px); training resizes it to the model size.
'centred' (spec 1.6, the scale bias): a native ``patch_size`` square centred
on the box centre, shifted (not padded) to stay inside the image, so lesion and
tissue patches share one pixel scale.
"""
from __future__ import annotations

import numpy as np

from .params import ExtractParams
from .prepared import Prepared

__all__ = ["lesion_window", "lesion_patch"]


def _clip_box(box, shape) -> tuple[int, int, int, int] | None:
    r0, c0, r1, c1 = (int(v) for v in box)
    rows, cols = shape
    r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, rows - 1), min(c1, cols - 1)
    if r1 < r0 or c1 < c0:
        return None
    return r0, c0, r1, c1


def lesion_window(box, shape, params: ExtractParams) -> tuple[int, int, int, int]:
    """The (row, col, height, width) region a lesion patch is cut from.

    Parameters
    ----------
    box : sequence of 4 ints
        (row_min, col_min, row_max, col_max), inclusive.
    shape : (rows, cols)
        Image size.
    params : ExtractParams
        ``lesion_mode`` and ``patch_size``.

    Raises
    ------
    ValueError
        If the box lies outside the image, or (centred mode) the image is
        smaller than a patch.
    """
    clipped = _clip_box(box, shape)
    if clipped is None:
        raise ValueError(f"lesion box {tuple(int(v) for v in box)} lies outside the {shape[0]}x{shape[1]} image")
    r0, c0, r1, c1 = clipped
    if params.lesion_mode == "crop":
        # preprocess.lesion_crop's extent: the paper's I[y1:y2, x1:x2] drops
        # the last row and column unless crop_inclusive (tests compare the two).
        end = 1 if params.crop_inclusive else 0
        rb, cb = int(box[2]) + end, int(box[3]) + end
        stop_r, stop_c = min(max(rb, 0), shape[0]), min(max(cb, 0), shape[1])
        if stop_r <= r0 or stop_c <= c0:
            raise ValueError(f"lesion box {tuple(int(v) for v in box)} gives an empty crop")
        return r0, c0, stop_r - r0, stop_c - c0
    s = params.patch_size
    if shape[0] < s or shape[1] < s:
        raise ValueError(f"image {shape[0]}x{shape[1]} is smaller than a {s}x{s} centred lesion patch")
    top = min(max((r0 + r1) // 2 - s // 2, 0), shape[0] - s)
    left = min(max((c0 + c1) // 2 - s // 2, 0), shape[1] - s)
    return top, left, s, s


def lesion_patch(prep: Prepared, box, params: ExtractParams) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The normalised uint8 lesion patch and its (row, col, height, width) region."""
    row, col, h, w = lesion_window(box, prep.shape, params)
    return prep.normalised(row, row + h, col, col + w), (row, col, h, w)
