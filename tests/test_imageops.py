"""The one resize and the one grid tiler shared by every layer."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.transform import resize as sk_resize

from mammostudio.core.imageops import resize_image, resize_stack, tile


def test_shrinking_is_anti_aliased_bilinear_as_documented():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (96, 80), dtype=np.uint8)
    ours = resize_image(img, (32, 32))
    ref = sk_resize(img.astype(np.float32), (32, 32), order=1, mode="reflect", anti_aliasing=True,
                    preserve_range=True)
    assert ours.dtype == np.uint8
    assert np.array_equal(ours, np.clip(np.rint(ref), 0, 255).astype(np.uint8))


def test_a_checkerboard_shrinks_to_flat_grey_not_to_aliasing_stripes():
    board = (np.indices((128, 128)).sum(0) % 2 * 255).astype(np.uint8)
    small = resize_image(board, (16, 16))
    assert abs(float(small.mean()) - 127.5) < 3 and small.std() < 8


def test_integer_types_are_kept_and_clipped_and_floats_become_float32():
    img16 = np.full((8, 8), 65535, np.uint16)
    assert resize_image(img16, (20, 20)).dtype == np.uint16
    assert resize_image(img16, (20, 20)).max() == 65535
    assert resize_image(np.ones((8, 8)), (4, 4)).dtype == np.float32


def test_same_size_is_an_unchanged_copy_and_bad_arguments_are_named():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = resize_image(img, (3, 4))
    assert np.array_equal(out, img) and out is not img
    with pytest.raises(ValueError, match="2-D"):
        resize_image(np.zeros((2, 2, 3)), (4, 4))
    with pytest.raises(ValueError, match="shape"):
        resize_image(img, (0, 4))


def test_stack_resize_matches_one_image_at_a_time():
    stack = np.random.default_rng(1).integers(0, 256, (3, 40, 40), dtype=np.uint8)
    out = resize_stack(stack, 16)
    assert out.shape == (3, 16, 16)
    assert all(np.array_equal(out[i], resize_image(stack[i], (16, 16))) for i in range(3))


def test_tile_places_each_image_row_by_row_with_padding():
    imgs = np.stack([np.full((2, 3), v, np.uint8) for v in (10, 20, 30)])
    grid = tile(imgs, pad=1, fill=0)
    assert grid.shape == (1 + 2 * 3, 1 + 2 * 4)  # ceil(sqrt(3)) = 2 per row, 2 rows
    assert (grid[1:3, 1:4] == 10).all() and (grid[1:3, 5:8] == 20).all() and (grid[4:6, 1:4] == 30).all()
    assert (grid[4:6, 5:8] == 0).all() and grid[0].max() == 0
    assert tile(imgs, ncols=3, pad=0).shape == (2, 9)
