"""Every public layout opens in the main window and in `extract`; the filters and box
labels know pathology, BI-RADS and density."""
from __future__ import annotations

import pandas as pd
import pytest

from _reader_fixtures import write_cbis, write_dicom_folder, write_inbreast, write_vindr
from mammostudio.core.catalog_filter import lesion_filter_mask
from mammostudio.core.patches import ExtractParams, extract_patches
from mammostudio.core.readers import open_dataset

WRITERS = {"dicom_folder": write_dicom_folder, "cbis_ddsm": write_cbis, "vindr": write_vindr,
           "inbreast": write_inbreast}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_extract_runs_on_every_layout(tmp_path, fmt):
    WRITERS[fmt](tmp_path / "data")
    cat = open_dataset(tmp_path / "data")
    params = ExtractParams(patch_size=16, n_tissue=2, min_unique=5)
    job = extract_patches(cat, tmp_path / "out", params, workers=1, seed=0)
    try:
        while True:
            next(job)
    except StopIteration as stop:
        summary = stop.value
    assert summary["tissue_patches"] > 0
    index = pd.read_csv(tmp_path / "out" / "index.csv", dtype=str)
    assert (index["kind"] == "lesion").sum() == cat.n_lesions


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_main_window_opens_every_layout(qtbot, tmp_path, fmt):
    pytest.importorskip("pytestqt")
    from mammostudio.gui.app import make_app

    make_app()
    from mammostudio.gui.mainwindow import MainWindow

    WRITERS[fmt](tmp_path / "data")
    w = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(w)
    w.resize(1300, 900)
    w.show()
    w.open_dataset(str(tmp_path / "data"))
    qtbot.waitUntil(lambda: w.state.catalog is not None and w.mode == "Browse", timeout=30000)
    qtbot.waitUntil(lambda: w.viewer.canvas.display is not None, timeout=30000)
    assert w.state.raw.source_format == fmt
    assert len(w.state.kept_ids) == w.state.raw.n_images  # the filters keep everything by default
    w.close()


def _catalog():
    images = pd.DataFrame({"image_id": ["a", "b", "c", "n"], "birads": ["4C", "", "2", ""],
                           "density": ["C", "", "A", "B"]})
    lesions = pd.DataFrame({"image_id": ["a", "b", "c"], "lesion_type": ["mass"] * 3, "status": [""] * 3,
                            "pathology": ["malignant", "benign", ""], "birads": ["", "5", ""]})
    return images, lesions


def test_pathology_filter_keeps_images_with_a_box_of_that_pathology():
    images, lesions = _catalog()
    keep = lesion_filter_mask(images, lesions, types={"mass"}, categories={""}, normals=False,
                              pathologies={"malignant", "unknown"})
    assert keep.tolist() == [True, False, True, False]


def test_birads_filter_uses_the_image_then_its_boxes():
    images, lesions = _catalog()
    keep = lesion_filter_mask(images, lesions, types={"mass"}, categories={""}, normals=True, birads={"4", "5"})
    assert keep.tolist() == [True, True, False, False]  # a: 4C, b: its box says 5


def test_density_filter_treats_blank_as_unknown():
    images, lesions = _catalog()
    keep = lesion_filter_mask(images, lesions, types={"mass"}, categories={""}, normals=True,
                              densities={"A", "unknown"})
    assert keep.tolist() == [False, True, True, False]


def test_filter_panel_pathology_boxes_change_the_kept_images(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    from mammostudio.gui.app import make_app
    from mammostudio.gui.filters import FilterPanel
    from mammostudio.gui.state import AppState

    make_app()
    write_cbis(tmp_path)
    state = AppState()
    state.set_dataset(open_dataset(tmp_path))
    panel = FilterPanel(state)
    qtbot.addWidget(panel)
    panel.recompute()
    assert len(state.kept_ids) == 2
    panel.pathology_checks["malignant"].setChecked(False)
    panel.recompute()
    assert state.kept_ids == {"Mass-Training_P_00001_LEFT_CC"}  # its second mass is benign
    panel.density_checks["C"].setChecked(False)
    panel.recompute()
    assert state.kept_ids == set()


def test_box_label_shows_pathology_and_birads():
    pytest.importorskip("pytestqt")
    from mammostudio.gui.annotate import box_label

    assert box_label("mass", "B5", False, pathology="malignant", birads="4") == "mass B5 malignant BI-RADS 4"
    assert box_label("mass", "", True) == "WRONG: mass"
