"""A detection study read end to end with mouse clicks and keys (pytest-qt)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig
from mammostudio.core.quiz.detect import design_detection
from mammostudio.core.quiz.detect_report import summarise_detection
from mammostudio.core.quiz.export_detection import rjafroc_sheets
from mammostudio.core.quiz.simulate_detection import synthetic_detection_catalog
from mammostudio.gui.quiz import QuizPanel

K = QtCore.Qt.Key


@pytest.fixture
def detection_study(tmp_path):
    cat = synthetic_detection_catalog(tmp_path / "data", np.random.default_rng(3), n_normal=5, n_abnormal=5)
    cfg = StudyConfig(task="detection", n_assessment=6, n_training=2, image_size=96, seed=2)
    path = tmp_path / "det.sqlite"
    QuizStore.create(path, design_detection(cat, cfg)).close()
    return path


def _click(qtbot, widget, view, row, col):
    qtbot.mouseClick(widget.canvas.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=widget.widget_pos(view, row, col))


def _read_case(qtbot, w, *, normal_ratings: list[int]):
    """Mark every lesion at its centre (rating 4); on a normal case, one false mark per rating given."""
    case = w.case
    outlines = w.session._truth_for_simulation(case.position)  # examiner side: where the lesions are
    keys = {v.image_key: i for i, v in enumerate(case.views)}
    seen = set()
    for o in outlines:
        if o.lesion_no in seen:
            continue
        seen.add(o.lesion_no)
        i = keys[o.image_key]
        r, c = case.views[i].to_display((o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2)
        _click(qtbot, w, i, r, c)
        assert w.pending is not None
        qtbot.keyClick(w, K.Key_4)
    if not outlines and normal_ratings:
        _click(qtbot, w, 0, 5, 5)
        qtbot.keyClick(w, getattr(K, f"Key_{normal_ratings.pop(0)}"))
    return bool(outlines)


def test_detection_study_is_read_with_mouse_and_keys_and_scores_the_hand_worked_wafroc(qtbot, detection_study):
    panel = QuizPanel()
    qtbot.addWidget(panel)
    assert panel.open_study(detection_study)
    assert "detection" in panel.study_label.text()

    # --- training: truth and lesion source appear after each case ---------------------------
    w = panel.start_reading("R1", "training", experience_years=3)
    assert w.__class__.__name__ == "DetectionWidget"
    for _ in range(2):
        abnormal = _read_case(qtbot, w, normal_ratings=[2])
        qtbot.keyClick(w, K.Key_N)
        assert w.state == "feedback"
        text = w.feedback_label.text()
        assert ("simulated" in text or "real" in text) if abnormal else "No lesion" in text
        if abnormal:
            assert "found" in text and "missed" not in text
        qtbot.keyClick(w, K.Key_Return)
    assert w.state == "done"

    # --- assessment: no feedback widget at all -----------------------------------------------
    panel.show_start()
    w = panel.start_reading("R1", "assessment")
    assert not hasattr(w, "feedback_label")
    ratings, first = [5, 3], True
    while w.state == "marking":
        abnormal = _read_case(qtbot, w, normal_ratings=ratings)
        if abnormal and first:  # a wrong mark, rated, then withdrawn with Delete: must not count
            first = False
            _click(qtbot, w, 0, 2, 2)
            qtbot.keyClick(w, K.Key_5)
            n = len(w.session.marks())
            qtbot.keyClick(w, K.Key_Delete)
            assert len(w.session.marks()) == n - 1
        qtbot.keyClick(w, K.Key_N)
    assert w.state == "done"
    store = panel.store
    res = summarise_detection(store).per_reader.set_index("reader")
    # By hand: 3 normal cases with highest NL ratings 5, 3 and none; every lesion rated 4.
    # psi(5, 4) = 0, psi(3, 4) = 1, psi(-inf, 4) = 1 for every lesion => wAFROC = 2 / 3.
    assert res.loc["R1", "wAFROC"] == pytest.approx(2 / 3)
    assert res.loc["R1", "LLF"] == 1.0 and res.loc["R1", "NL"] == 2
    sheets = rjafroc_sheets(store)
    assert list(sheets) == ["TRUTH", "NL", "LL"]
    assert sorted(sheets["NL"]["NL_Rating"]) == [3, 5]
    assert (sheets["LL"]["LL_Rating"] == 4).all()
    panel.close()


def test_resumed_detection_case_shows_the_marks_committed_before_the_crash(qtbot, detection_study):
    store = QuizStore.open(detection_study)
    store.add_reader(ReaderProfile("R2"))
    s = store.start_session("R2", "assessment")
    view = s.next_case()
    s.add_mark(view.views[0].image_key, 10.0, 12.0, 3)
    store._conn.close()  # no clean close: as if the app was killed after the mark
    panel = QuizPanel()
    qtbot.addWidget(panel)
    panel.open_study(detection_study)
    w = panel.start_reading("R2", "assessment")
    assert w.case.position == 0 and [m.rating for m in w.case.marks] == [3]
    qtbot.keyClick(w, K.Key_Space)  # paused: the case is hidden and clicks place no mark
    assert w.state == "paused" and w.canvas.isHidden() and not w.pause_label.isHidden()
    qtbot.keyClick(w, K.Key_4)
    qtbot.keyClick(w, K.Key_Space)
    assert w.state == "marking" and not w.canvas.isHidden() and len(w.session.marks()) == 1
    panel.close()


def test_detection_study_from_a_simulated_dataset_is_read_end_to_end(qtbot, tmp_path):
    """`mammostudio simulate` output (simulated lesions) plus its archive (real lesions), read in the GUI."""
    from mammostudio.cli import main

    demo = tmp_path / "demo"
    assert main(["demo-data", str(demo), "--patients", "4", "--size", "256", "208", "--quiet"]) == 0
    sim = tmp_path / "sim"
    assert main(["simulate", str(demo / "workbook"), str(sim), "--images", "4", "--lesions", "1", "--controls", "2",
                 "--demo", "round", "--margin-mm", "2", "--seed", "3", "--quiet"]) == 0
    db = tmp_path / "det.sqlite"
    assert main(["quiz-create", str(db), "--task", "detection", "--dataset", str(sim), "--dataset",
                 str(demo / "workbook"), "--cases", "8", "--training-cases", "0", "--size", "128"]) == 0
    panel = QuizPanel()
    qtbot.addWidget(panel)
    assert panel.open_study(db)
    w = panel.start_reading("R1", "assessment")
    ratings = [5, 3]
    while w.state == "marking":
        _read_case(qtbot, w, normal_ratings=ratings)
        qtbot.keyClick(w, K.Key_N)
    res = summarise_detection(panel.store)
    row = res.per_reader.set_index("reader").loc["R1"]
    # By hand: K1 normal cases, highest NLs 5, 3 and none on the rest; every lesion rated 4:
    # psi(5, 4) = 0 and psi(x, 4) = 1 otherwise, so wAFROC = (K1 - 1) / K1.
    k1 = int(row["normal"])
    assert row["wAFROC"] == pytest.approx((k1 - 1) / k1) and row["LLF"] == 1.0
    found = res.by_source[res.by_source["reader"] == "ALL"].set_index("source")
    assert found.loc["simulated", "lesions"] > 0 and found.loc["real", "lesions"] > 0
    assert (found["rate"] == 1.0).all()
    panel.close()


def test_detection_reading_keys_reach_the_widget_inside_the_main_window(qtbot, detection_study, tmp_path, mias_copy):
    """Digits, Delete and N are the viewer's / editor's shortcuts elsewhere; while reading they are the reader's."""
    from mammostudio.gui.mainwindow import MainWindow

    win = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(win)
    win.show()
    win.open_dataset(mias_copy)
    win.set_mode("Quiz")
    panel = win.pages["Quiz"]
    assert panel.open_study(detection_study)
    w = panel.start_reading("R7", "assessment")
    _click(qtbot, w, 0, 10, 10)
    qtbot.keyClick(w, K.Key_3)
    assert [m.rating for m in w.session.marks()] == [3]
    qtbot.keyClick(w, K.Key_Delete)
    assert w.session.marks() == []
    qtbot.keyClick(w, K.Key_N)
    assert w.session.answered == 1
    panel.show_start()
    panel.store.close()
    win.close()
