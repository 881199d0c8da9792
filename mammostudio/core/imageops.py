"""Two small image operations every layer shares: resizing and tiling into a grid.

There is one resize in mammostudio, used by the patch dataset, the trainers and
the reader-study screening, so a patch looks the same to each of them:

    bilinear interpolation (``order=1``) with pixel centres aligned
    (skimage's ``resize``, ``mode='reflect'``), preceded when shrinking by a
    Gaussian anti-aliasing filter of sigma ``(factor - 1) / 2`` per axis
    (skimage's default), values kept in their own range, then rounded and
    clipped back to the input's integer type.

A lesion crop of ~750 px shrunk to 128 this way keeps its texture statistics
(no aliasing), and an upscaled 16 px test patch stays smooth.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["resize_image", "resize_stack", "tile"]


def resize_image(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize one (rows, cols) image to ``shape`` by the module's one method.

    Parameters
    ----------
    image : ndarray (rows, cols)
        Integer images keep their dtype (rounded, clipped to its range);
        float images come back as float32.
    shape : (int, int)
        Output (rows, cols), each >= 1.

    Returns
    -------
    ndarray, shape ``shape``
    """
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    shape = (int(shape[0]), int(shape[1]))
    if min(shape) < 1:
        raise ValueError(f"shape must be positive, got {shape}")
    if image.shape == shape:
        return image.copy()
    from skimage.transform import resize

    shrink = image.shape[0] > shape[0] or image.shape[1] > shape[1]
    out = resize(image.astype(np.float32), shape, order=1, mode="reflect", anti_aliasing=shrink,
                 preserve_range=True)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(image.dtype)
    return out.astype(np.float32)


def resize_stack(images: np.ndarray, size: int) -> np.ndarray:
    """Resize every image of a stack (n, rows, cols) to (size, size) with :func:`resize_image`."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must be a stack (n, rows, cols), got shape {images.shape}")
    if images.shape[1:] == (size, size):
        return images
    out = np.empty((len(images), size, size), dtype=images.dtype if np.issubdtype(images.dtype, np.integer)
                   else np.float32)
    for i, img in enumerate(images):
        out[i] = resize_image(img, (size, size))
    return out


def tile(images: np.ndarray, *, ncols: int | None = None, pad: int = 2, fill: int = 0) -> np.ndarray:
    """Tile a uint8 stack (n, rows, cols) into one (rows, cols) grid, row by row.

    Parameters
    ----------
    images : ndarray, uint8, (n, rows, cols)
    ncols : int, optional
        Tiles per grid row; default ``ceil(sqrt(n))``.
    pad : int
        Pixels of ``fill`` between the tiles and around the grid.
    fill : int
        The padding's grey value.

    Returns
    -------
    ndarray, uint8, (pad + n_rows * (rows + pad), pad + ncols * (cols + pad))
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8 or len(images) == 0:
        raise ValueError(f"images: expected a non-empty uint8 stack (n, rows, cols), got "
                         f"{images.dtype} {images.shape}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    from skimage.util import montage

    n = len(images)
    ncols = ncols or max(1, math.ceil(math.sqrt(n)))
    nrows = math.ceil(n / ncols)
    # montage's padding_width is the gap between tiles and around the grid
    return montage(images, fill=fill, grid_shape=(nrows, ncols), padding_width=pad).astype(np.uint8)
