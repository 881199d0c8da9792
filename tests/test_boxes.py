"""The one box form and its conversions (core/boxes.py, the patch index's box readers)."""
import pytest

from mammostudio.core.boxes import box_from_edges, box_from_region, box_size, box_to_rect, region_of_box
from mammostudio.core.patches.dataset import lesion_box_in_patch, patch_box


def test_region_and_box_round_trip():
    assert box_from_region(10, 20, 5, 3) == (10, 20, 14, 22)
    assert region_of_box((10, 20, 14, 22)) == (10, 20, 5, 3)
    assert box_size((10, 20, 10, 20)) == (1, 1)


def test_region_without_a_position_is_a_value_error():
    with pytest.raises(ValueError, match="four whole numbers"):
        box_from_region("", 0, 4, 4)
    with pytest.raises(ValueError, match="at least 1x1"):
        box_from_region(0, 0, 0, 4)


def test_screen_rect_covers_the_last_pixel_and_comes_back_unchanged():
    box = (10, 20, 14, 22)
    x, y, w, h = box_to_rect(box)
    assert (x, y, w, h) == (20.0, 10.0, 3.0, 5.0)
    assert box_from_edges(y, x, y + h, x + w, (100, 100)) == box


def test_dragged_edges_are_rounded_and_clipped_to_the_image():
    assert box_from_edges(-3.2, 1.6, 200.4, 8.49, (50, 60)) == (0, 2, 49, 7)
    assert box_from_edges(10, 10, 10.2, 20, (50, 60)) is None
    assert box_from_edges(float("nan"), 0, 5, 5, (50, 60)) is None


def test_index_rows_give_inclusive_boxes():
    rec = {"row": "100", "col": "50", "height": "64", "width": "32",
           "box_row_min": "110", "box_col_min": "60", "box_row_max": "120", "box_col_max": "70"}
    assert patch_box(rec) == (100, 50, 163, 81)
    assert lesion_box_in_patch(rec) == (10, 10, 20, 20)
    with pytest.raises(ValueError, match="no source position"):
        patch_box({"kind": "tissue"})
    with pytest.raises(ValueError, match="no lesion box"):
        lesion_box_in_patch({"row": 1, "col": 1})
