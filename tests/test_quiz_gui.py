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
    assert view.zoom == 1.25 and view.window_width == 232 and view.window_level == 120
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
    reading._limit.stop()  # the next case's clock must not fire after the store is closed
    assert bool(p.store.responses()["timed_out"].iloc[0])
    p.show_start()
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


def test_results_export_writes_the_report_files_and_shows_a_failure_instead_of_raising(qtbot, tmp_path,
                                                                                       monkeypatch):
    path = _make(tmp_path, n_assessment=10)
    store = QuizStore.open(path)
    store.add_reader(ReaderProfile("A"))
    simulate_reader(store.start_session("A", "assessment"), "perfect", np.random.default_rng(0))
    view = ResultsView()
    qtbot.addWidget(view)
    view.set_store(store)
    chosen, warnings = [str(tmp_path / "out" / "report.xlsx")], []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName", lambda *a, **k: (chosen[0], ""))
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", lambda _parent, title, text: warnings.append(text))
    (tmp_path / "out").mkdir()
    view._export()
    assert (tmp_path / "out" / "report.xlsx").is_file() and (tmp_path / "out" / "report_responses.csv").is_file()
    assert warnings == []
    (tmp_path / "afile").write_text("x")
    chosen[0] = str(tmp_path / "afile" / "report.xlsx")  # a file where the folder should be: said, not raised
    view._export()
    assert len(warnings) == 1 and "afile" in warnings[0]
    store.close()


@pytest.mark.slow
def test_offscreen_screenshots_are_written(qtbot, tmp_path):
    from mammostudio.gui.quiz.screenshots import make_screenshots

    for p in make_screenshots(tmp_path / "shots"):
        assert p.stat().st_size > 10_000


def _design_dialog(qtbot, tmp_path, *, n_generated: int, n_training: int = 0):
    """A new-study dialog filled in with folders of 20 real and ``n_generated`` generated 16 px PNGs
    (and the first ``n_training`` real ones as the generator's training folder)."""
    from mammostudio.core.images import write_png
    from mammostudio.gui.quiz import DesignDialog

    real, gens = synthetic_sets(np.random.default_rng(3), n_real=20, n_generated=n_generated, size=16)
    folders = {"real": real.images, "gen": gens[0].images}
    if n_training:
        folders["train"] = real.images[:n_training]
    for name, stack in folders.items():
        for i, im in enumerate(stack):
            write_png(tmp_path / name / f"{i:03d}.png", im)
    dialog = DesignDialog()
    qtbot.addWidget(dialog)
    dialog.real.setText(str(tmp_path / "real"))
    dialog.generated.addItem(str(tmp_path / "gen"))
    if n_training:
        dialog.training.setText(str(tmp_path / "train"))
    dialog.out.setText(str(tmp_path / "new.sqlite"))
    dialog.image_size.setValue(16)
    return dialog


def test_design_dialog_builds_a_study_from_folders(qtbot, tmp_path):
    from mammostudio.gui.quiz import DesignDialog

    dialog = _design_dialog(qtbot, tmp_path, n_generated=20)
    dialog.cases.setValue(8)
    dialog.training_cases.setValue(2)
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
