"""The job worker: progress, result, errors and cancel; extraction from Prepare mode
runs in it without stalling the GUI thread."""
from __future__ import annotations

import shutil
import threading
import time

import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.progress import Progress  # noqa: E402
from mammostudio.core.readers import open_dataset  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.gui.jobs import JobRunner  # noqa: E402

MIAS_NAMES = ("mdb001", "mdb002", "mdb005", "mdb006", "mdb010", "mdb012")


def _count(n, where, closed, delay=0.02):
    try:
        for i in range(n):
            where.append(threading.get_ident())
            time.sleep(delay)
            yield Progress(i + 1, n, f"step {i + 1}")
        return n * 10
    finally:
        closed.append(True)


def test_job_runs_off_the_gui_thread_and_returns_its_result(qtbot):
    make_app()
    where, closed, items = [], [], []
    runner = JobRunner(lambda: _count(5, where, closed))
    runner.progress.connect(items.append)
    with qtbot.waitSignal(runner.finished, timeout=10000) as blocker:
        runner.start()
    assert blocker.args == [50]
    assert where and all(t != threading.get_ident() for t in where)
    assert items[-1].done == 5 and closed == [True]
    qtbot.waitUntil(lambda: not runner.running)


class _SteppingClock:
    """A monotonic clock that advances ``step`` seconds each time it is read (one read per job item)."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def monotonic(self) -> float:
        self.now += self.step
        return self.now


def test_progress_is_throttled_to_at_most_one_item_per_tenth_of_a_second_plus_the_last(qtbot, monkeypatch):
    import mammostudio.gui.jobs as jobs

    make_app()
    monkeypatch.setattr(jobs, "time", _SteppingClock(0.03))  # an item every 30 ms of the job's clock
    items = []
    runner = JobRunner(lambda: _count(100, [], [], delay=0))
    runner.progress.connect(items.append)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start()
    done = [item.done for item in items]
    # 3 items are 90 ms, 4 are 120 ms: every 4th is passed on, and the last one always, once
    assert done == list(range(4, 101, 4))
    monkeypatch.setattr(jobs, "time", _SteppingClock(0.03))  # a fresh clock: 99 items, the last not a 4th
    runner = JobRunner(lambda: _count(99, [], [], delay=0))
    items.clear()
    runner.progress.connect(items.append)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start()
    assert [item.done for item in items] == [*range(4, 99, 4), 99]


def test_cancel_closes_the_generator_between_steps(qtbot):
    make_app()
    closed = []
    runner = JobRunner(lambda: _count(1000, [], closed, delay=0.01))
    runner.progress.connect(lambda _item: runner.cancel())
    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        runner.start()
    assert closed == [True]


def test_a_failing_job_is_reported_as_a_message(qtbot):
    make_app()

    def broken():
        yield Progress(0, 1)
        raise ValueError("mdb999.pgm: truncated PGM")

    runner = JobRunner(broken)
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.start()
    assert blocker.args[0] == "mdb999.pgm: truncated PGM"  # the one line the command line prints too
    assert "Traceback" in blocker.args[1]


@pytest.fixture()
def prepare_page(qtbot, mias_dir, tmp_path):
    make_app()
    from mammostudio.gui.prepare import PreparePage
    from mammostudio.gui.state import AppState
    from mammostudio.gui.viewer import ViewerWidget

    dest = tmp_path / "mias"
    dest.mkdir()
    shutil.copy(mias_dir / "Info.txt", dest)
    for name in MIAS_NAMES:
        shutil.copy(mias_dir / f"{name}.pgm", dest)
    state = AppState()
    state.set_dataset(open_dataset(dest))
    viewer = ViewerWidget(state)
    page = PreparePage(state, viewer)
    qtbot.addWidget(viewer)
    qtbot.addWidget(page)
    page.out_edit.setText(str(tmp_path / "patches"))
    page.editors["patch_size"].setValue(64)
    page.show()
    return page


def test_extraction_reports_progress_and_keeps_the_event_loop_turning(qtbot, prepare_page):
    # How long the loop stalls is a benchmark figure (benchmarks/gui_stall.py), not a test limit;
    # here: the GUI thread keeps serving timer events while the job runs.
    from PySide6.QtCore import QTimer

    ticks = []
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: ticks.append(prepare_page.runner is not None and prepare_page.runner.running))
    items = []
    probe.start()
    prepare_page.start_extraction()
    prepare_page.runner.progress.connect(items.append)
    with qtbot.waitSignal(prepare_page.gallery.loaded, timeout=120000):
        pass
    probe.stop()
    assert "done" in prepare_page.message.text(), prepare_page.message.text()
    assert items and items[-1].total == len(MIAS_NAMES)
    assert any(ticks), "no timer event was served while the extraction ran"
    assert prepare_page.gallery.models["tissue"].rowCount() > 0
    assert prepare_page.gallery.models["lesion"].rowCount() > 0


def test_extraction_can_be_cancelled(qtbot, prepare_page, mias_dir, tmp_path):
    from _hostile import many_films

    # 1,350 films: the job is still running when the cancel lands (six films take a fraction of a second).
    prepare_page.state.set_dataset(open_dataset(many_films(mias_dir, tmp_path / "many", copies=10)))
    prepare_page.out_edit.setText(str(tmp_path / "patches"))  # a new dataset proposed its own folder
    prepare_page.start_extraction()
    prepare_page.runner.progress.connect(lambda _i: prepare_page.cancel())
    with qtbot.waitSignal(prepare_page.runner.cancelled, timeout=60000):
        pass
    qtbot.waitUntil(lambda: prepare_page.extract_button.isEnabled())
    assert "cancelled" in prepare_page.message.text()
    finished = (tmp_path / "patches" / "images.csv").read_text().count("\n") - 1
    assert 0 <= finished < 1350  # stopped early, and what it kept is indexed


def test_the_extracted_patches_export_as_pngs_from_the_page(qtbot, prepare_page, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from mammostudio.core.patches import read_index

    prepare_page.start_export(str(tmp_path / "early"))  # nothing extracted yet: said, nothing started
    assert "Extract patches first" in prepare_page.message.text() and not (tmp_path / "early").exists()
    prepare_page.start_extraction()
    with qtbot.waitSignal(prepare_page.gallery.loaded, timeout=120000):
        pass
    qtbot.waitUntil(lambda: prepare_page.export_button.isEnabled())
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda *a, **k: asked.append(a) or str(tmp_path / "pngs"))
    qtbot.mouseClick(prepare_page.export_button, Qt.MouseButton.LeftButton)  # the button asks where
    assert len(asked) == 1
    assert not prepare_page.extract_button.isEnabled()  # one job at a time
    with qtbot.waitSignal(prepare_page.runner.done, timeout=60000):
        pass
    index = read_index(tmp_path / "patches")
    assert "PNG export done" in prepare_page.message.text(), prepare_page.message.text()
    assert sorted(p.name for p in (tmp_path / "pngs").rglob("*.png")) == sorted(index["patch_id"] + ".png")
    assert prepare_page.export_button.isEnabled()


def test_eta_and_summary_are_put_in_words():
    from mammostudio.gui.prepare import describe_summary, format_eta, problems_in

    assert format_eta(10.0, 10, 40) == "ETA 0:30"
    assert format_eta(10.0, 0, 40) == "" and format_eta(5.0, 3, None) == ""
    text = describe_summary({"out": "/x", "images": 12, "lesion_patches": 11, "problems": ["a", "b"], "seconds": 1.2})
    assert text == "images 12, lesion patches 11, problems 2"
    assert problems_in({"problems": ["mdb999.pgm: truncated"]}) == ["mdb999.pgm: truncated"]


def test_gallery_of_150000_patches_scrolls_without_loading_them(qtbot, tmp_path):
    import numpy as np
    import pandas as pd

    from mammostudio.core.images import write_png
    from mammostudio.gui.gallery import PatchListModel, _list_view, patch_paths
    from mammostudio.gui.thumbnails import ThumbnailCache

    make_app()
    rng = np.random.default_rng(0)
    files = []
    for i in range(3):
        write_png(tmp_path / "tissue" / f"p{i}.png", rng.integers(0, 255, (128, 128), dtype=np.uint8))
        files.append(f"tissue/p{i}.png")
    n = 150_000
    index = pd.DataFrame({"kind": "tissue", "file": [files[i % 3] for i in range(n)],
                          "image_id": [f"img{i // 10}" for i in range(n)]})
    thumbs = ThumbnailCache(size=64)
    paths = patch_paths(tmp_path, index)  # made on the thread pool in the app
    assert paths[4] == str(tmp_path / "tissue" / "p1.png")
    model = PatchListModel(tmp_path, index, thumbs, files=paths)
    view = _list_view()
    view.setModel(model)
    view.resize(800, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.model().rowCount() == n)
    view.scrollToBottom()
    view.viewport().repaint()
    qtbot.wait(200)  # let the batched layout finish
    for _ in range(10):  # scroll and paint speed: benchmarks/gui_stall.py
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
        view.viewport().repaint()
        view.verticalScrollBar().setValue(view.verticalScrollBar().maximum())
        view.viewport().repaint()
    assert len(thumbs._pixmaps) + len(thumbs._pending) <= 3  # only the files on screen were asked for


def test_preprocessing_runs_from_prepare_mode(qtbot, prepare_page, tmp_path):
    prepare_page.state.set_kept({"mdb001", "mdb005"})
    prepare_page.start_preprocessing()
    with qtbot.waitSignal(prepare_page.runner.done, timeout=120000):
        pass
    out = tmp_path / "patches" / "preprocessed"
    names = sorted(p.name for p in out.rglob("*.png"))
    assert names == ["mdb001.png", "mdb001_gt.png", "mdb001_msk.png", "mdb005.png", "mdb005_gt.png", "mdb005_msk.png"]
    assert "preprocessing done" in prepare_page.message.text()


def test_small_lesion_crops_get_a_full_size_thumbnail(qtbot, tmp_path):
    import numpy as np

    from mammostudio.core.images import write_png
    from mammostudio.gui.thumbnails import ThumbnailCache

    make_app()
    small = tmp_path / "small.png"
    write_png(small, np.arange(12 * 20, dtype=np.uint8).reshape(12, 20))
    thumbs = ThumbnailCache(size=64)
    assert thumbs.get("s", str(small)) is None  # made on the pool, delivered later
    qtbot.waitUntil(lambda: thumbs.get("s", str(small)) is not None, timeout=10000)
    pix = thumbs.get("s", str(small))
    assert (pix.width(), pix.height()) == (64, 38)  # 20x12 scaled up, aspect kept


def test_submit_each_reports_every_key_once_off_the_gui_thread_and_errors_alone(qtbot):
    from mammostudio.gui.jobs import PoolTask, submit_each

    make_app()
    task, results, errors, threads = PoolTask(), {}, {}, set()
    task.result.connect(lambda key, value: results.__setitem__(key, value))
    task.error.connect(lambda key, message: errors.__setitem__(key, message))

    def square(x):
        threads.add(threading.get_ident())
        if x == 3:
            raise ValueError("three is refused")
        return x * x

    submit_each(task, square, [(f"k{i}", (i,)) for i in range(7)])
    qtbot.waitUntil(lambda: len(results) + len(errors) == 7, timeout=10000)
    assert results == {f"k{i}": i * i for i in range(7) if i != 3}
    assert list(errors) == ["k3"] and "three is refused" in errors["k3"]
    assert threading.get_ident() not in threads
