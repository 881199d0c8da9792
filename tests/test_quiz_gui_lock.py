"""Quiz mode in the main window: locked reading, physical size and calibration, zoom and pan,
the results page's Back button, and the New-study dialog's advice when images run short."""
from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from test_quiz_gui import K, _design_dialog, _make, _own_settings, panel  # noqa: F401 - shared fixtures

# --- locked reading mode, physical size, zoom and pan --------------------------------------

@pytest.fixture
def window(make_window):
    w = make_window((1300, 800))
    yield w
    quiz = w.pages["Quiz"]
    quiz.confirm = lambda: True  # a test that failed while locked must not leave a question open at close
    if quiz.store is not None:
        quiz.store.close()


def test_ctrl_1_during_an_assessment_records_nothing_and_does_not_switch_mode(qtbot, window, tmp_path):
    from PySide6.QtTest import QTest

    quiz = window.pages["Quiz"]
    window.set_mode("Quiz")
    assert quiz.open_study(_make(tmp_path))
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window, 3000)
    reading = quiz.start_reading("R1", "assessment")
    reading.setFocus()
    assert window.state.reading_locked
    assert not window.menuBar().isVisible() and not any(a.isEnabled() for a in window.mode_actions.values())
    for key in (K.Key_1, K.Key_2, K.Key_3):
        qtbot.keyClick(reading, key, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(reading, K.Key_G, QtCore.Qt.KeyboardModifier.AltModifier)
    assert reading.session.answered == 0 and reading.state == "choice"
    assert window.mode == "Quiz" and window.stack.currentWidget() is quiz
    window.set_mode("Browse")  # code asking for a mode switch is refused too
    assert window.mode == "Quiz"
    qtbot.keyClick(reading, K.Key_1)  # the plain key is the answer
    qtbot.keyClick(reading, K.Key_3)
    assert reading.session.answered == 1
    # leaving is explicit and confirmed: a "no" keeps the reader locked in
    quiz.confirm = lambda: False
    qtbot.keyClick(reading, K.Key_Escape)
    assert window.state.reading_locked and quiz.stack.currentWidget() is reading
    quiz.confirm = lambda: True
    qtbot.keyClick(reading, K.Key_Escape)
    assert not window.state.reading_locked and quiz.reading is None
    assert window.menuBar().isVisible() and all(a.isEnabled() for a in window.mode_actions.values())
    assert "1 reader so far" in quiz.study_label.text()
    window.set_mode("Browse")
    assert window.mode == "Browse"


def test_status_bar_shows_nothing_of_browse_while_in_quiz(qtbot, window):
    window.set_mode("Quiz")
    window.state.message.emit("mdb001: 1024x1024, uint8")  # what the Browse viewer says about its image
    assert window.status_label.text() == "" and not window.dataset_label.isVisible()
    window.set_mode("Browse")
    window.state.message.emit("mdb001: 1024x1024, uint8")
    assert "mdb001" in window.status_label.text() and window.dataset_label.isVisible()


def test_patch_is_shown_at_its_physical_size_whatever_the_screen(qtbot):
    from mammostudio.gui.quiz import PatchView

    sides = []
    for px_per_mm in (3.0, 4.5):  # two monitors
        view = PatchView(display_mm=40.0, px_per_mm=px_per_mm)
        qtbot.addWidget(view)
        view.resize(600, 600)
        view.show()
        view.set_image(np.zeros((16, 16), np.uint8))
        sides.append(view.screen_scale() * 16)
        assert view.shown_mm() == pytest.approx(40.0) and not view.reduced
    assert sides == pytest.approx([120.0, 180.0])
    view.set_physical(60.0)  # 270 px do not fit a 200 px view: shown reduced, and it says so
    view.resize(200, 200)
    qtbot.wait(10)
    assert view.reduced and view.shown_mm() < 60.0


def test_zoom_is_smooth_and_dragging_pans(qtbot):
    from PySide6 import QtGui

    from mammostudio.gui.quiz import PatchView

    view = PatchView(display_mm=40.0, px_per_mm=4.0)
    qtbot.addWidget(view)
    view.resize(400, 400)
    view.show()
    ramp = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))
    view.set_image(ramp)
    assert view._glw.renderHints() & QtGui.QPainter.RenderHint.SmoothPixmapTransform  # bilinear, not blocks
    view.set_zoom(3.0)
    assert view.shown_mm() == pytest.approx(120.0)
    before = view._centre()
    vp = view._glw.viewport()
    qtbot.mousePress(vp, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(200, 200))
    qtbot.mouseMove(vp, QtCore.QPoint(260, 230))
    qtbot.mouseRelease(vp, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(260, 230))
    after = view._centre()
    assert after[1] < before[1] and after[0] < before[0]  # dragged right/down: the view moved left/up
    view.set_zoom(8.0, about=(2.0, 2.0))  # zoom about a corner point keeps it still
    assert view.zoom == 8.0
    view.pan(-100, -100)  # clamped to the patch
    r, c = view._centre()
    assert 0 <= r <= 16 and 0 <= c <= 16
    view.reset_display()
    assert view._centre() == (8.0, 8.0) and view.zoom == 1.0


def test_calibration_is_stored_and_used_by_new_views(qtbot):
    from mammostudio.gui.quiz.calibration import CARD_MM, CalibrationDialog, px_per_mm

    dialog = CalibrationDialog()
    qtbot.addWidget(dialog)
    dialog.card_width.setValue(5.0 * CARD_MM[0])  # the outline matched a card at 5 px/mm
    dialog.accept()
    assert px_per_mm() == (pytest.approx(5.0), "calibrated")
    from mammostudio.gui.quiz import PatchView

    view = PatchView(display_mm=30.0)
    qtbot.addWidget(view)
    assert view.px_per_mm == pytest.approx(5.0)


def test_results_page_has_a_back_button(qtbot, panel):
    panel.show_results()
    assert panel.stack.currentWidget() is panel.results
    panel.results.back_button.click()
    assert panel.stack.currentIndex() == 0


def test_new_study_dialog_explains_left_out_real_patches_and_suggests_a_size_that_fits(qtbot, tmp_path):
    # the generator trained on 14 of the 20 real patches
    dialog = _design_dialog(qtbot, tmp_path, n_generated=40, n_training=14)
    dialog.create_button.click()  # default size: 60 real patches needed
    text = dialog.log.toPlainText()
    assert "14 of 20 are left out as the generator's own training patches" in text
    a, t = map(int, re.search(r"Assessment cases to (\d+) and Training cases to (\d+)", text).groups())
    dialog.cases.setValue(a)
    dialog.training_cases.setValue(t)
    dialog.create_button.click()  # the suggestion fits
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
