"""The viewer finds a study's images through a prebuilt index (not a scan of the table)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mammostudio.core.catalog import Catalog
from mammostudio.core.study_table import StudyIndex


def _images(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 60
    return pd.DataFrame({"patient_id": [f"p{k}" for k in rng.integers(0, 5, n)],
                         "study_id": [f"s{k}" for k in rng.integers(0, 3, n)],
                         "image_id": [f"i{k}" for k in range(n)]})


def test_study_index_rows_are_those_a_scan_finds_in_table_order():
    images = _images()
    index = StudyIndex(images)
    for (patient, study), _ in images.groupby(["patient_id", "study_id"]):
        scan = images[(images["patient_id"] == patient) & (images["study_id"] == study)]
        assert list(index.rows(patient, study)["image_id"]) == list(scan["image_id"])
    assert index.rows("p0", "nope").empty and index.rows("x\x1fy", "").empty


def test_viewer_annotation_uses_the_index_once_built(qtbot):
    pytest.importorskip("pytestqt")
    from mammostudio.gui.app import make_app
    from mammostudio.gui.state import AppState
    from mammostudio.gui.viewer import ViewerWidget

    make_app()
    images = _images(1).assign(path="/nowhere.dcm", format="dicom")
    state = AppState()
    state.set_dataset(Catalog(images, pd.DataFrame(), Path("/nowhere"), "test"))
    viewer = ViewerWidget(state)
    qtbot.addWidget(viewer)
    row = state.image_row("i7")
    scanned = list(viewer._study_of(row)["image_id"])  # first call: a scan, and the index is built meanwhile
    qtbot.waitUntil(lambda: viewer.studies is not None, timeout=5000)
    assert viewer.studies.images is state.catalog.images
    assert list(viewer._study_of(row)["image_id"]) == scanned and "i7" in scanned
