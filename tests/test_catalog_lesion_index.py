"""Catalog.lesions_of is an index lookup that gives what a scan of the table gives."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from mammostudio.core.catalog import Catalog


def _catalog() -> Catalog:
    images = pd.DataFrame({"image_id": ["a", "b", "c"], "patient_id": "p", "study_id": "s",
                           "path": "/x.dcm", "format": "dicom"})
    lesions = pd.DataFrame({"lesion_uid": ["a:1", "c:1", "a:2"], "image_id": ["a", "c", "a"],
                            "row_min": [1, 2, 3], "col_min": 1, "row_max": 9, "col_max": 9})
    return Catalog(images, lesions, Path("/nowhere"), "test")


def test_lesions_of_equals_a_scan_of_the_table_for_every_image():
    cat = _catalog()
    for image_id in ("a", "b", "c", "absent"):
        expected = cat.lesions.loc[cat.lesions["image_id"] == image_id]
        pd.testing.assert_frame_equal(cat.lesions_of(image_id), expected)
    assert list(cat.lesions_of("a")["lesion_uid"]) == ["a:1", "a:2"]


def test_a_replaced_lesions_table_gets_a_new_index():
    cat = _catalog()
    assert len(cat.lesions_of("b")) == 0
    cat.lesions = pd.concat([cat.lesions, cat.lesions.iloc[:1].assign(lesion_uid="b:1", image_id="b")],
                            ignore_index=True)
    assert list(cat.lesions_of("b")["lesion_uid"]) == ["b:1"]
