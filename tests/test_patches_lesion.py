"""Lesion patches: the paper's box crop and the native lesion-centred square, on real mini-MIAS."""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.core import images, preprocess
from mammostudio.core.patches import ExtractParams, extract_patches, lesion_window, read_index, read_patch
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset


def _info_centre(mias_dir, refnum):
    """(row, col) of the first abnormality of ``refnum``, read straight from Info.txt."""
    for line in (mias_dir / "Info.txt").read_text(encoding="latin-1").splitlines():
        f = line.split()
        if f and f[0] == refnum and len(f) >= 7:
            return 1024 - int(f[5]), int(f[4])
    raise AssertionError(f"{refnum} has no coordinates in Info.txt")


@pytest.fixture(scope="module")
def mias_two(mias_dir):
    return open_dataset(mias_dir, fmt="mias").subset(["mdb010", "mdb005"])


def test_real_mias_lesion_patch_is_centred_on_the_annotated_abnormality(tmp_path, mias_dir, mias_two):
    params = ExtractParams(lesion_mode="centred", tissue=False)
    drive(extract_patches(mias_two, tmp_path, params, seed=0))
    index = read_index(tmp_path)
    row = index[index["image_id"] == "mdb010"].iloc[0]
    centre_r, centre_c = _info_centre(mias_dir, "mdb010")
    assert row["mode"] == "centred" and (row["height"], row["width"]) == (128, 128)
    assert abs(row["row"] + 64 - centre_r) <= 1 and abs(row["col"] + 64 - centre_c) <= 1
    norm = preprocess.normalise_uint8(images.read_pgm(mias_dir / "mdb010.pgm"))
    patch = read_patch(tmp_path, row)
    np.testing.assert_array_equal(patch, norm[centre_r - 64 : centre_r + 64, centre_c - 64 : centre_c + 64])
    assert len(index[index["image_id"] == "mdb005"]) == 2  # two abnormalities, two patches


@pytest.mark.parametrize("inclusive", [False, True])
def test_crop_mode_saves_preprocessings_box_crop(tmp_path, mias_dir, mias_two, inclusive):
    drive(extract_patches(mias_two, tmp_path, ExtractParams(tissue=False, crop_inclusive=inclusive), seed=0))
    index = read_index(tmp_path)
    assert set(index["kind"]) == {"lesion"} and set(index["mode"]) == {"crop"}
    for _, row in index.iterrows():
        box = (int(row["box_row_min"]), int(row["box_col_min"]), int(row["box_row_max"]), int(row["box_col_max"]))
        norm = preprocess.normalise_uint8(images.read_pgm(mias_dir / f"{row['image_id']}.pgm"))
        expected = preprocess.lesion_crop(norm, box, inclusive=inclusive)
        np.testing.assert_array_equal(read_patch(tmp_path, row), expected)
        centre_r, centre_c = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        info = _info_centre(mias_dir, row["image_id"]) if row["lesion_id"] == "1" else None
        if info:
            assert abs(centre_r - info[0]) <= 1 and abs(centre_c - info[1]) <= 1


def test_centred_window_is_shifted_to_stay_inside_the_image():
    params = ExtractParams(lesion_mode="centred")
    assert lesion_window((0, 0, 10, 10), (1024, 800), params) == (0, 0, 128, 128)
    assert lesion_window((1000, 790, 1023, 799), (1024, 800), params) == (1024 - 128, 800 - 128, 128, 128)
    assert lesion_window((500, 400, 520, 420), (1024, 800), params) == (510 - 64, 410 - 64, 128, 128)


def test_boxes_outside_or_images_too_small_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="outside"):
        lesion_window((2000, 10, 2100, 50), (1024, 800), ExtractParams())
    with pytest.raises(ValueError, match="smaller than"):
        lesion_window((5, 5, 10, 10), (100, 100), ExtractParams(lesion_mode="centred"))
    # a box partly outside is clipped to the image
    assert lesion_window((-5, 790, 20, 900), (1024, 800), ExtractParams()) == (0, 790, 20, 10)
    assert lesion_window((-5, 790, 20, 900), (1024, 800), ExtractParams(crop_inclusive=True)) == (0, 790, 21, 10)
    with pytest.raises(ValueError, match="empty crop"):
        lesion_window((5, 5, 5, 9), (100, 100), ExtractParams())
