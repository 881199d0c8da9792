"""Quiz mode GUI: keyboard reading end to end, no truth in the widget tree, pause, resume."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore, QtWidgets

from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig, design_study
from mammostudio.core.quiz.simulate import simulate_reader, synthetic_sets
from mammostudio.gui.quiz import QuizPanel, ResultsView

K = QtCore.Qt.Key


def _make(tmp_path, **kw):
    real, gens = synthetic_sets(np.random.default_rng(0), n_real=30, n_generated=30, size=16)
    cfg = StudyConfig(**{"n_assessment": 6, "n_training": 4, "image_size": 16, **kw})
    path = tmp_path / "study.sqlite"
    QuizStore.create(path, design_study(real, gens, cfg)).close()
    return path


@pytest.fixture(autouse=True)
def _own_settings(tmp_path, monkeypatch):
    """Screen calibration and display size come from a settings file of this test only."""
    monkeypatch.setenv("MAMMOSTUDIO_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def panel(qtbot, tmp_path):
    p = QuizPanel()
    qtbot.addWidget(p)
    assert p.open_study(_make(tmp_path))
    p.resize(700, 600)
    p.show()
    yield p
    p.store.close()


def test_a_short_study_is_read_end_to_end_with_the_keyboard(panel, qtbot):
    reading = panel.start_reading("R1", "training", experience_years=4, subspecialty="breast")
    for _ in range(4):
        qtbot.keyClick(reading, K.Key_R)
        qtbot.keyClick(reading, K.Key_4)
        assert reading.feedback_label.text()  # training: feedback after every answer
        qtbot.keyClick(reading, K.Key_Return)
    assert reading.state == "done"
    reading = panel.start_reading("R1", "assessment")
    answers = [(K.Key_G, K.Key_5), (K.Key_1, K.Key_2), (K.Key_2, K.Key_1)] * 2
    for choice, conf in answers:
        qtbot.keyClick(reading, choice)
        qtbot.keyClick(reading, conf)
    assert reading.state == "done"
    df = panel.store.responses().query("mode == 'assessment'")
    assert list(df["answer"]) == ["generated", "real", "generated"] * 2
    assert list(df["confidence"]) == [5, 2, 1] * 2 and (df["rt_ms"] >= 0).all()
    assert panel.store.readers().loc[0, "subspecialty"] == "breast"


def test_two_afc_is_read_with_the_arrow_keys(qtbot, tmp_path):
    p = QuizPanel()
    qtbot.addWidget(p)
    p.open_study(_make(tmp_path, task="2afc", confidence_levels=0, n_training=0))
    reading = p.start_reading("R1", "assessment")
    assert len(reading.views) == 2
    for key in (K.Key_Left, K.Key_Right, K.Key_1, K.Key_2, K.Key_Left, K.Key_Left):
        qtbot.keyClick(reading, key)
    assert list(p.store.responses()["answer"]) == ["left", "right", "left", "right", "left", "left"]
    p.store.close()


def _visible_strings(root: QtWidgets.QWidget, skip=()) -> list[str]:
    out = []
    for w in [root, *root.findChildren(QtCore.QObject)]:
        if any(w is x for x in skip):
            continue  # the progress counter: changes with position, never with truth
        for getter in ("objectName", "toolTip", "statusTip", "whatsThis", "accessibleName",
                       "accessibleDescription", "windowTitle", "text", "placeholderText"):
            fn = getattr(w, getter, None)
            if callable(fn):
                try:
                    value = fn()
                except TypeError:
                    continue
                if isinstance(value, str) and value:
                    out.append(f"{type(w).__name__}.{getter}={value}")
    return out


def test_assessment_widget_tree_is_identical_for_real_and_generated_cases(panel, qtbot):
    reading = panel.start_reading("R1", "assessment")
    store = panel.store
    secrets = set(store.items()["item_id"]) | set(store.items()["source"]) - {"real"}
    secrets |= {str(c) for c in store.responses()["case_id"]}
    import sqlite3

    with sqlite3.connect(store.path) as con:
        secrets |= {r[0] for r in con.execute("SELECT case_id FROM cases")}
        secrets |= {r[0] for r in con.execute("SELECT origin FROM items")}
    snapshots, truths = [], []
    for pos in range(6):
        truths.append(reading.session._truth_for_simulation(pos))
        strings = _visible_strings(panel, skip=(reading.progress_label, reading.progress_bar))
        assert not [s for s in strings if any(x in s for x in secrets)]
        assert not hasattr(reading, "feedback_label")
        snapshots.append(sorted(strings))
        qtbot.keyClick(reading, K.Key_R)
        qtbot.keyClick(reading, K.Key_3)
    assert set(truths) == {"real", "generated"}  # both kinds were shown ...
    assert all(s == snapshots[0] for s in snapshots)  # ... and the widget tree never differed


def test_space_pauses_hides_the_case_and_ignores_answers(panel, qtbot):
    reading = panel.start_reading("R1", "assessment")
    qtbot.keyClick(reading, K.Key_Space)
    assert reading.state == "paused" and not reading.views[0].isVisible()
    qtbot.keyClick(reading, K.Key_G)
    qtbot.keyClick(reading, K.Key_3)
    assert reading.session.answered == 0
    qtbot.keyClick(reading, K.Key_Space)
    assert reading.state == "choice" and reading.views[0].isVisible()


def test_zoom_and_window_level_keys_change_the_display(panel, qtbot):
    reading = panel.start_reading("R1", "assessment")
    view = reading.views[0]
    qtbot.keyClick(reading, K.Key_Plus)
    qtbot.keyClick(reading, K.Key_BracketLeft)
    qtbot.keyClick(reading, K.Key_Up)
    assert view.zoom == 1.25 and view.window == 232 and view.level == 120
    assert tuple(view._item.levels) == pytest.approx((4.0, 236.0))  # applied to the image item
    qtbot.keyClick(reading, K.Key_0)
    assert view.zoom == 1.0 and view.levels() == (0.0, 256.0)


def test_leaving_mid_study_resumes_at_the_next_unanswered_case(panel, qtbot, tmp_path):
    reading = panel.start_reading("R1", "assessment")
    for key in (K.Key_R, K.Key_2, K.Key_G, K.Key_4):
        qtbot.keyClick(reading, key)
    panel.show_start()
    second = QuizPanel()
    qtbot.addWidget(second)
    second.open_study(panel.store.path)
    resumed = second.start_reading("R1", "assessment")
    assert resumed.progress_label.text() == "Case 3 / 6" and "Resumed" in second.message.text()
    second.store.close()


def test_time_limit_records_a_timed_out_case(qtbot, tmp_path):
    p = QuizPanel()
    qtbot.addWidget(p)
    p.open_study(_make(tmp_path, time_limit_s=0.1))
    reading = p.start_reading("R1", "assessment")
    qtbot.waitUntil(lambda: reading.session.answered >= 1, timeout=3000)
    assert bool(p.store.responses()["timed_out"].iloc[0])
    p.store.close()


def test_results_view_shows_readers_verdict_and_gallery(qtbot, tmp_path):
    path = _make(tmp_path, n_assessment=10)
    store = QuizStore.open(path)
    for code in ("A", "B"):
        store.add_reader(ReaderProfile(code))
        simulate_reader(store.start_session(code, "assessment"), "perfect", np.random.default_rng(0))
    view = ResultsView()
    qtbot.addWidget(view)
    view.set_store(store)
    assert view.table.rowCount() == 3 and view.table.item(2, 0).text() == "ALL"
    assert "better than chance" in view.verdict.text()
    assert "kappa 1.000" in view.kappa.text()
    assert view.most_row.count() > 1
    store.close()


@pytest.mark.slow
def test_offscreen_screenshots_are_written(qtbot, tmp_path):
    from mammostudio.gui.quiz.screenshots import make_screenshots

    for p in make_screenshots(tmp_path / "shots"):
        assert p.stat().st_size > 10_000


def test_design_dialog_builds_a_study_from_folders(qtbot, tmp_path):
    from mammostudio.core.images import write_png
    from mammostudio.gui.quiz import DesignDialog

    real, gens = synthetic_sets(np.random.default_rng(3), n_real=20, n_generated=20, size=16)
    for name, stack in (("real", real.images), ("gen", gens[0].images)):
        for i, im in enumerate(stack):
            write_png(tmp_path / name / f"{i:03d}.png", im)
    dialog = DesignDialog()
    qtbot.addWidget(dialog)
    dialog.real.setText(str(tmp_path / "real"))
    dialog.generated.addItem(str(tmp_path / "gen"))
    dialog.out.setText(str(tmp_path / "new.sqlite"))
    dialog.cases.setValue(8)
    dialog.training_cases.setValue(2)
    dialog.size.setValue(16)
    dialog.task.setCurrentIndex(1)  # 2AFC
    dialog.create_button.click()
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    with QuizStore.open(dialog.study_path) as store:
        assert store.config.task == "2afc" and store.n_cases("assessment") == 8
    dialog2 = DesignDialog()
    qtbot.addWidget(dialog2)
    dialog2.create_button.click()  # nothing chosen: an explanation, no crash
    assert "choose the real patches" in dialog2.log.toPlainText()


def test_reading_keys_win_over_the_host_windows_shortcuts(qtbot, tmp_path):
    from PySide6 import QtGui
    from PySide6.QtTest import QTest

    window = QtWidgets.QMainWindow()
    qtbot.addWidget(window)
    fired = []
    for key in ("R", "1", "A", "H"):
        act = QtGui.QAction(key, window)
        act.setShortcut(QtGui.QKeySequence(key))
        act.triggered.connect(lambda _=False, k=key: fired.append(k))
        window.addAction(act)
    panel = QuizPanel()
    window.setCentralWidget(panel)
    window.show()
    window.activateWindow()
    assert QTest.qWaitForWindowActive(window, 3000)
    panel.open_study(_make(tmp_path))
    reading = panel.start_reading("R1", "assessment")
    reading.setFocus()
    qtbot.keyClick(reading, K.Key_H)  # not a reading key: the host's shortcut is live
    assert fired == ["H"]
    qtbot.keyClick(reading, K.Key_R)
    qtbot.keyClick(reading, K.Key_1)
    assert fired == ["H"] and reading.session.answered == 1
    panel.store.close()


# --- locked reading mode, physical size, zoom and pan --------------------------------------

@pytest.fixture
def window(qtbot, tmp_path):
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    make_app()
    w = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(w)
    w.resize(1300, 800)
    w.show()
    yield w
    quiz = w.pages["Quiz"]
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
    dialog.width.setValue(5.0 * CARD_MM[0])  # the outline matched a card at 5 px/mm
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
    from mammostudio.core.images import write_png
    from mammostudio.gui.quiz import DesignDialog

    real, gens = synthetic_sets(np.random.default_rng(3), n_real=20, n_generated=40, size=16)
    for name, stack in (("real", real.images), ("gen", gens[0].images), ("train", real.images[:14])):
        for i, im in enumerate(stack):
            write_png(tmp_path / name / f"{i:03d}.png", im)
    dialog = DesignDialog()
    qtbot.addWidget(dialog)
    dialog.real.setText(str(tmp_path / "real"))
    dialog.generated.addItem(str(tmp_path / "gen"))
    dialog.training.setText(str(tmp_path / "train"))  # the generator trained on 14 of the 20 real patches
    dialog.out.setText(str(tmp_path / "new.sqlite"))
    dialog.size.setValue(16)
    dialog.create_button.click()  # default size: 60 real patches needed
    text = dialog.log.toPlainText()
    assert "14 of 20 are left out as the generator's own training patches" in text
    import re

    a, t = map(int, re.search(r"Assessment cases to (\d+) and Training cases to (\d+)", text).groups())
    dialog.cases.setValue(a)
    dialog.training_cases.setValue(t)
    dialog.create_button.click()  # the suggestion fits
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
