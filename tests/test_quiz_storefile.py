"""Study files: read commands never write, locks are waited out, damage is named, copies are whole."""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import threading

import numpy as np
import pytest

from mammostudio.cli import main
from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig, StudyError, design_study
from mammostudio.core.quiz.simulate import simulate_reader, synthetic_sets
from mammostudio.core.quiz.sources import generator_name


@pytest.fixture
def study_path(tmp_path):
    real, gens = synthetic_sets(np.random.default_rng(0), n_real=30, n_generated=30, size=16)
    path = tmp_path / "s.sqlite"
    QuizStore.create(path, design_study(real, gens, StudyConfig.tiny())).close()
    return path


def _state(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_quiz_stats_on_an_empty_file_says_so_and_leaves_it_empty(tmp_path, capsys):
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert main(["quiz-stats", str(empty)]) == 2
    assert "empty file" in capsys.readouterr().err
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]


def test_a_foreign_sqlite_file_is_refused_and_not_switched_to_wal(tmp_path, capsys):
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = _state(tmp_path)
    for command in (["quiz-stats", str(other)], ["quiz-report", str(other), str(tmp_path / "r.xlsx")]):
        assert main(command) == 2
        assert "not a mammostudio reader study" in capsys.readouterr().err
    with pytest.raises(StudyError, match="not a mammostudio reader study"):
        QuizStore.open(other)  # the read-write open checks before it changes the journal mode
    assert _state(tmp_path) == before
    con = sqlite3.connect(other)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    con.close()


def test_read_commands_never_change_the_study_folder(study_path, tmp_path, capsys):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1"))
    simulate_reader(store.start_session("R1", "assessment"), "perfect", np.random.default_rng(0))
    store.close()
    before = _state(study_path.parent)
    assert main(["quiz-stats", str(study_path)]) == 0
    assert main(["quiz-export-copy", str(study_path), str(tmp_path / "out" / "copy.sqlite")]) == 0
    assert _state(study_path.parent) == before
    with QuizStore.open(study_path, readonly=True) as ro:
        with pytest.raises(StudyError, match="read-only"):
            ro.add_reader(ReaderProfile("R9"))


def test_a_locked_study_waits_with_a_message_then_gives_a_clear_error(study_path):
    store = QuizStore.open(study_path)
    store.max_wait_s = 1.0
    messages = []
    store.on_wait = messages.append
    other = sqlite3.connect(study_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    with pytest.raises(StudyError, match="locked by another program.*nothing was saved"):
        store.add_reader(ReaderProfile("R1"))
    assert messages and "locked" in messages[0]
    timer = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    store.max_wait_s = 10.0
    timer.start()
    assert store.add_reader(ReaderProfile("R1")) >= 1  # waited, retried, saved
    timer.join()
    other.close()
    store.close()


def test_a_damaged_image_is_named_and_left_out_of_the_statistics(study_path, capsys):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1"))
    simulate_reader(store.start_session("R1", "assessment"), "perfect", np.random.default_rng(0))
    case_id, item = store._conn.execute(
        "SELECT c.case_id, c.item_a FROM cases c WHERE pool='assessment' LIMIT 1").fetchone()
    store._conn.execute("UPDATE items SET png=? WHERE item_id=?", (b"\x89PNG\r\n\x1a\n garbage", item))
    with pytest.raises(StudyError, match=f"case {case_id}.*damaged"):
        store.item_pixels(item)
    df = store.responses()
    assert case_id not in set(df["case_id"]) and len(df) == 5
    assert case_id in store.warnings[0]
    store.close()
    assert main(["quiz-stats", str(study_path)]) == 0
    assert f"warning: 1 damaged case(s) left out of the statistics: {case_id}" in capsys.readouterr().err


def test_export_copy_holds_answers_still_in_the_write_ahead_log(study_path, tmp_path, capsys):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1"))
    simulate_reader(store.start_session("R1", "training"), "perfect", np.random.default_rng(0), max_cases=2)
    assert os.path.getsize(str(study_path) + "-wal") > 0  # answers not yet in the main file
    assert main(["quiz-stats", str(study_path), "--mode", "training"]) == 0
    err = capsys.readouterr().err
    assert "s.sqlite-wal holds answers not yet in s.sqlite" in err and "quiz-export-copy" in err
    store.export_copy(tmp_path / "copy.sqlite")
    assert not (tmp_path / "copy.sqlite-wal").exists()
    with QuizStore.open(tmp_path / "copy.sqlite", readonly=True) as copy:
        assert len(copy.responses()) == 2
    with pytest.raises(StudyError, match="already exists"):
        store.export_copy(tmp_path / "copy.sqlite")
    store.close()


def test_a_finished_session_is_folded_into_the_study_file(study_path, tmp_path):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1"))
    simulate_reader(store.start_session("R1", "assessment"), "perfect", np.random.default_rng(0))
    shutil.copy(study_path, tmp_path / "naive.sqlite")  # the .sqlite alone, app still open
    with QuizStore.open(tmp_path / "naive.sqlite", readonly=True) as copy:
        assert len(copy.responses()) == 6
    store.close()


def test_each_session_keeps_the_experience_it_was_read_with(study_path):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1", 3.0, "general"))
    simulate_reader(store.start_session("R1", "training"), "perfect", np.random.default_rng(0))
    store.add_reader(ReaderProfile("R1", 4.0, "breast"))
    simulate_reader(store.start_session("R1", "assessment"), "perfect", np.random.default_rng(0))
    df = store.responses()
    by_mode = df.groupby("mode")[["experience_years", "subspecialty"]].first()
    assert by_mode.loc["training"].tolist() == [3.0, "general"]
    assert by_mode.loc["assessment"].tolist() == [4.0, "breast"]
    store.close()


def test_a_generator_is_named_by_its_training_run():
    assert generator_name("gen", {"checkpoint": "/x/runs/gan-k100/checkpoints/last.pt"}) == "gan-k100"
    assert generator_name("gen", {"checkpoint": "/x/runs/gan-k100/checkpoints/best.pt"}) == "gan-k100 (best)"
    assert generator_name("/y/gen-folder", {}) == "gen-folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_study_on_read_only_media_is_analysed(study_path, capsys):
    os.chmod(study_path, 0o444)
    os.chmod(study_path.parent, 0o555)
    try:
        assert main(["quiz-stats", str(study_path)]) == 0
    finally:
        os.chmod(study_path.parent, 0o755)


def test_a_schema_1_study_is_read_read_only_and_upgraded_when_opened_for_reading(study_path):
    store = QuizStore.open(study_path)
    store.add_reader(ReaderProfile("R1", 2.0))
    simulate_reader(store.start_session("R1", "training"), "perfect", np.random.default_rng(0))
    store.close()
    con = sqlite3.connect(study_path)  # make it look like a study written by the previous version
    for table in ("det_marks", "det_outlines", "det_lesions", "det_images"):
        con.execute(f"DROP TABLE {table}")
    con.execute("ALTER TABLE sessions DROP COLUMN experience_years")
    con.execute("ALTER TABLE sessions DROP COLUMN subspecialty")
    con.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    con.commit()
    con.close()
    with QuizStore.open(study_path, readonly=True) as old:
        assert old.version == 1 and old.responses()["experience_years"].eq(2.0).all()
    with QuizStore.open(study_path) as upgraded:
        assert upgraded.version == 2
        simulate_reader(upgraded.start_session("R1", "assessment"), "perfect", np.random.default_rng(0))
        assert len(upgraded.responses()) == 10


def test_an_answer_on_a_locked_study_is_reported_on_the_reading_screen(qtbot, study_path):
    from PySide6 import QtCore

    from mammostudio.gui.quiz import QuizPanel

    panel = QuizPanel()
    qtbot.addWidget(panel)
    panel.open_study(study_path)
    panel.store.max_wait_s = 0.6
    w = panel.start_reading("R1", "assessment")
    other = sqlite3.connect(study_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    qtbot.keyClick(w, QtCore.Qt.Key.Key_R)
    qtbot.keyClick(w, QtCore.Qt.Key.Key_3)
    assert "locked by another program" in w.prompt.text() and w.session.answered == 0
    other.execute("ROLLBACK")
    other.close()
    qtbot.keyClick(w, QtCore.Qt.Key.Key_3)  # the same answer again, now saved
    assert w.session.answered == 1
    panel.show_start()
    panel.store.close()


def test_a_report_that_cannot_be_written_names_the_file_not_the_study(study_path, tmp_path, capsys):
    target = tmp_path / "report.xlsx"
    target.mkdir()  # stands in for any write failure (a full disk is reported the same way)
    assert main(["quiz-report", str(study_path), str(target)]) == 2
    err = capsys.readouterr().err
    assert "report.xlsx: cannot write" in err and "not a mammostudio reader study" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx", "s.sqlite"]
