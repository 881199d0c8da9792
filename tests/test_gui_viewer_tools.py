"""Viewer tools a radiologist expects from OHIF / Weasis: measurements in mm, window
presets on keys, corner text, DICOM tags, hanging order and the linked four-up."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.readers import open_dataset  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.gui.measure import ellipse_stats  # noqa: E402
from mammostudio.core.navigation import image_annotation, in_hanging_order  # noqa: E402


@pytest.fixture()
def viewer(qtbot, mias_viewer):
    with qtbot.waitSignal(mias_viewer.displayed, timeout=20000):
        mias_viewer.state.select("mdb001")
    return mias_viewer


def test_ellipse_statistics_match_a_direct_count():
    img = np.zeros((50, 60))
    img[:, 30:] = 10.0  # right half bright
    stats = ellipse_stats(img, (25.0, 30.0), (10.0, 20.0))
    rr, cc = np.mgrid[0:50, 0:60] + 0.5
    inside = ((rr - 25) / 10) ** 2 + ((cc - 30) / 20) ** 2 <= 1
    assert stats["n"] == inside.sum()
    assert stats["mean"] == pytest.approx(img[inside].mean()) and stats["sd"] == pytest.approx(img[inside].std())
    assert stats["area_px"] == pytest.approx(math.pi * 200)


def test_ruler_and_ellipse_report_millimetres(qtbot, viewer):
    assert viewer.spacing == 0.2  # mini-MIAS: 200 micron pixels
    ruler = viewer.measure.add_ruler((100, 100), (100, 400))
    assert ruler["values"]["length_mm"] == pytest.approx(60.0) and ruler["text"] == "60.0 mm"
    ell = viewer.measure.add_ellipse((500, 400, 600, 600))  # radii 50 x 100 pixels
    assert ell["values"]["area_mm2"] == pytest.approx(math.pi * 50 * 100 * 0.04)
    want = ellipse_stats(viewer.canvas.display.full, (550, 500), (50, 100))
    assert ell["values"]["mean"] == pytest.approx(want["mean"]) and "mm²" in ell["text"]
    viewer.measure.clear()
    assert viewer.measure.items == []


def test_drawing_with_the_ruler_tool_measures(qtbot, viewer):
    from PySide6.QtCore import QPointF

    viewer.tool_actions["ruler"].trigger()
    assert viewer.canvas.view.tool == "ruler" and viewer.tool_actions["ruler"].isChecked()
    viewer.canvas.view.shapeDrawn.emit("ruler", QPointF(10, 10), QPointF(10, 60))
    assert viewer.measure.items[-1]["text"] == "10.0 mm"
    viewer.set_tool("")
    assert not viewer.tool_actions["ruler"].isChecked() and viewer.tool_actions[""].isChecked()


def test_without_pixel_spacing_lengths_are_in_pixels(qtbot, viewer):
    viewer.measure.spacing = None
    assert viewer.measure.add_ruler((0, 0), (30, 40))["text"].startswith("50 px")


def test_number_keys_apply_presets_and_a_drag_shows_custom(qtbot, viewer):
    from PySide6.QtCore import Qt

    assert len(viewer.presets) >= 2
    viewer.setFocus()
    qtbot.keyClick(viewer, Qt.Key.Key_2)
    c, w, name = viewer.presets[1]
    assert (viewer.canvas.window_center, viewer.canvas.window_width) == pytest.approx((c, w))
    assert viewer.preset_box.currentText() == name
    viewer.canvas.view.windowDrag.emit(30.0, 10.0)
    assert viewer.preset_box.currentText() == "custom"
    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.preset_box.currentText() == viewer.presets[0][2]


def test_corner_text_names_patient_laterality_view_and_position(qtbot, viewer):
    c = viewer.canvas
    assert c.marker == "R MLO"
    assert c.corners["tl"][0] == "Patient mias-001"
    assert c.corners["tr"][0] == "Image 1 of 2"
    assert "0.2 mm/pixel" in c.corners["br"]
    assert set(c.orientation[:2]) == {"A", "P"} and c.orientation[2:] == ("H", "F")
    # The letters follow a mirrored view.
    left, right = c.shown_orientation()[:2]
    c.view.invertX(True)
    assert c.shown_orientation()[:2] == (right, left)


def test_orientation_letters_follow_dicom_patient_orientation():
    study = pd.DataFrame({"image_id": ["a"], "patient_id": ["p"], "study_id": ["s"], "laterality": ["R"],
                          "view": ["CC"]})
    row = {"image_id": "a", "patient_id": "p", "laterality": "R", "view": "CC", "rows": 10, "cols": 8}
    # RCC with the chest wall on the right: PatientOrientation P\L (left edge A, top R).
    _, marker, orient = image_annotation(row, study, "right")
    assert marker == "R CC" and orient == ("A", "P", "R", "L")
    _, _, orient = image_annotation({**row, "laterality": "L", "view": "MLO"}, study, "left")
    assert orient == ("P", "A", "H", "F")


def test_study_images_hang_rcc_lcc_rmlo_lmlo():
    imgs = pd.DataFrame({"image_id": ["1", "2", "3", "4"], "patient_id": "p", "study_id": "s",
                         "laterality": ["R", "L", "L", "R"], "view": ["CC", "MLO", "CC", "MLO"]})
    got = in_hanging_order(imgs)
    assert list(zip(got["laterality"], got["view"])) == [("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO")]


def test_tag_browser_lists_dicom_header_and_searches(qtbot, tmp_path):
    make_app()
    from mammostudio.core.demo.build import build_demo_dataset
    from mammostudio.gui.tags import TagDialog

    for _ in build_demo_dataset(tmp_path / "d", patients=1, size=(128, 104)):
        pass
    cat = open_dataset(tmp_path / "d" / "workbook")
    row = cat.images.iloc[0].to_dict()
    dialog = TagDialog()
    qtbot.addWidget(dialog)
    dialog.show_image(row)
    names = {dialog.tree.topLevelItem(i).text(1) for i in range(dialog.tree.topLevelItemCount())}
    assert {"Patient ID", "Image Laterality", "Rows"} <= names
    dialog.search.setText("laterality")
    shown = [dialog.tree.topLevelItem(i) for i in range(dialog.tree.topLevelItemCount())
             if not dialog.tree.topLevelItem(i).isHidden()]
    assert shown and all("laterality" in (it.text(1) + it.text(3)).lower() for it in shown)


def test_tag_browser_on_film_shows_catalog_fields(qtbot, viewer):
    viewer.show_tags()
    assert "not a DICOM file" in viewer.tag_dialog.note.text()
    assert viewer.tag_dialog.tree.topLevelItemCount() > 5


def test_audit_has_a_legend_and_rejected_squares_can_be_hidden(qtbot, viewer):
    audit = pd.DataFrame({"row": [10, 200, 300], "col": [10, 200, 300], "size": [64, 64, 64],
                          "accepted": [True, False, False], "reason": ["", "background", "lesion overlap"]})
    viewer._on_audit("mdb001", (audit, np.array([[500, 500, 560, 560]])))
    assert any("accepted 1" in line and "rejected 2" in line for line in viewer.canvas.corners["br"])
    rejected = viewer.overlays.rejected_items
    others = [i for i in viewer.overlays.audit_items if i not in rejected]
    assert rejected and all(i.isVisible() for i in viewer.overlays.audit_items)
    viewer.act_rejected.setChecked(False)
    assert not any(i.isVisible() for i in rejected) and all(i.isVisible() for i in others)
    viewer.act_rejected.setChecked(True)
    assert all(i.isVisible() for i in rejected)
