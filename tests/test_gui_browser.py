"""Study browser (model/view tree, search) and the filter panel's live counts."""
from __future__ import annotations

import shutil

import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.readers import open_dataset  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.core.navigation import neighbour_image, neighbour_study  # noqa: E402

NAMES = ("mdb001", "mdb002", "mdb005", "mdb006")


@pytest.fixture()
def state(qtbot, mias_dir, tmp_path):
    make_app()
    from mammostudio.gui.state import AppState

    dest = tmp_path / "mias"
    dest.mkdir()
    shutil.copy(mias_dir / "Info.txt", dest)
    for name in NAMES:
        if (mias_dir / f"{name}.pgm").exists():
            shutil.copy(mias_dir / f"{name}.pgm", dest)
    s = AppState()
    s.set_dataset(open_dataset(dest))
    return s


@pytest.fixture()
def browser(qtbot, state):
    from mammostudio.gui.browser import StudyBrowser

    b = StudyBrowser(state)
    qtbot.addWidget(b)
    return b


def test_table_groups_rows_by_patient_and_study(browser, state):
    from mammostudio.gui.browser import KEYS

    m = browser.model
    # MIAS pairs films by number: mdb001 and mdb002 share patient mias-001, shown next to each other.
    patients = [m.data(m.index(r, KEYS.index("patient_id"))) for r in range(m.rowCount())]
    assert patients[:2] == ["mias-001", "mias-001"] and patients == sorted(patients)
    assert sorted(browser.visible_image_ids()) == sorted(state.catalog.images["image_id"])
    lesions = {m.data(m.index(r, KEYS.index("image_id"))): m.data(m.index(r, KEYS.index("lesions")))
               for r in range(m.rowCount())}
    assert lesions["mdb005"] == "2" and lesions["mdb006"] == "0"


def test_search_matches_patient_and_type(browser, qtbot):
    browser.search.setText("mias-005")  # the patient of the pair mdb005 / mdb006
    assert sorted(browser.visible_image_ids()) == ["mdb005", "mdb006"]
    browser.search.setText("mdb006")
    assert browser.visible_image_ids() == ["mdb006"]
    browser.search.setText("MASS")
    assert set(browser.visible_image_ids()) == {"mdb001", "mdb002", "mdb005"}
    browser.search.clear()
    assert len(browser.visible_image_ids()) == len(NAMES)


def test_selecting_a_row_sets_the_current_image(browser, state):
    browser.view.setCurrentIndex(browser.model.index(browser.model.row_of("mdb002"), 0))
    assert state.current_image == "mdb002"
    state.select("mdb005")
    assert browser.view.currentIndex().row() == browser.model.row_of("mdb005")


def test_sorting_by_lesion_count(browser):
    from PySide6.QtCore import Qt

    from mammostudio.gui.browser import KEYS

    col = KEYS.index("lesions")
    browser.view.horizontalHeader().sectionClicked.emit(col)  # a click on the header
    ids = browser.visible_image_ids()
    assert ids.index("mdb006") < ids.index("mdb005")
    browser.view.horizontalHeader().sectionClicked.emit(col)  # again: descending
    ids = browser.visible_image_ids()
    assert ids[0] == "mdb005" and ids.index("mdb005") < ids.index("mdb006")
    assert browser.view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_lesion_filter_counts_follow_edits(qtbot, state, browser):
    from mammostudio.gui.filters import FilterPanel

    panel = FilterPanel(state)
    qtbot.addWidget(panel)
    panel.recompute()
    n = len(state.catalog.images)
    assert panel.total.text().startswith(f"Kept {n} of {n}")
    panel.normals.setChecked(False)
    panel.recompute()
    assert state.kept_ids == {"mdb001", "mdb002", "mdb005"}
    assert set(browser.visible_image_ids()) == {"mdb001", "mdb002", "mdb005"}
    panel.type_checks["mass"].setChecked(False)
    panel.recompute()
    assert state.kept_ids == set() and "-4 by lesion filters" in panel.lesion_count.text()


def test_acquisition_counts_follow_criterion_edits(qtbot, state):
    from mammostudio.gui.filters import FilterPanel

    images = state.raw.images.copy()
    images["manufacturer"] = ["HOLOGIC, Inc.", "Lorad", "GE MEDICAL SYSTEMS", "HOLOGIC, Inc."][: len(images)]
    images["model_name"] = "Lorad Selenia"
    images["tube_current_ma"] = [100.0, 100.0, 100.0, 80.0][: len(images)]
    images["magnification"] = 1.0
    images["for_presentation"] = True
    from mammostudio.core.catalog import Catalog

    state.set_dataset(Catalog(images, state.raw.lesions, state.raw.root, "mias"))
    panel = FilterPanel(state)
    qtbot.addWidget(panel)
    panel.recompute()
    assert panel.acq_enabled.isChecked()  # the dataset records acquisitions
    assert panel.count_labels["manufacturer"].text() == "-1"
    assert panel.count_labels["tube_current_ma"].text() == "-1"
    assert len(state.kept_ids) == len(images) - 2
    panel.editors["tube_current_ma"].setText("80-100")
    panel.recompute()
    assert panel.count_labels["tube_current_ma"].text() == "-0"
    assert len(state.kept_ids) == len(images) - 1
    panel.on_checks["manufacturer"].setChecked(False)
    panel.recompute()
    assert len(state.kept_ids) == len(images)


def test_next_and_previous_image_and_study():
    import pandas as pd

    ids = ["a1", "a2", "b1", "c1", "c2"]
    images = pd.DataFrame({"image_id": ids, "study_id": ["A", "A", "B", "C", "C"]})
    assert neighbour_image(ids, "a2", +1) == "b1"
    assert neighbour_image(ids, "a1", -1) == "a1"
    assert neighbour_study(ids, images, "a2", +1) == "b1"
    assert neighbour_study(ids, images, "c2", -1) == "b1"
    assert neighbour_study(ids, images, "c2", +1) == "c1"


def test_a_box_edit_updates_the_row_without_resetting_the_table(qtbot, state, browser):
    from mammostudio.gui.browser import KEYS

    resets = []
    browser.model.modelReset.connect(lambda: resets.append(1))
    state.add_box("mdb006", (10, 10, 60, 60), lesion_type="calcification")
    row = browser.model.row_of("mdb006")
    assert browser.model.data(browser.model.index(row, KEYS.index("lesions"))) == "1"
    assert browser.model.data(browser.model.index(row, KEYS.index("types"))) == "calcification"
    assert resets == []
    browser.search.setText("calcification")
    assert browser.visible_image_ids() == ["mdb006"]
