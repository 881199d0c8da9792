"""Simulate mode: place, adjust, undo and save lesions by hand; the batch form; the session model."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.demo.build import build_demo_dataset  # noqa: E402
from mammostudio.core.progress import drive  # noqa: E402
from mammostudio.core.readers import open_dataset  # noqa: E402
from mammostudio.core.simulate.session import SimulationSession  # noqa: E402
from mammostudio.core.simulate.sources import parametric_items  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    drive(build_demo_dataset(out, patients=2, size=(256, 208), seed=5))
    return open_dataset(out / "workbook")


@pytest.fixture()
def panel(qtbot, demo):
    make_app()
    from mammostudio.gui.simulate import SimulatePanel
    from mammostudio.gui.state import AppState

    state = AppState()
    state.set_dataset(demo)
    w = SimulatePanel(state)
    w.resize(1200, 800)
    qtbot.addWidget(w)
    w.show()
    return w


def _open_first(qtbot, panel):
    panel.image_box.setCurrentIndex(0)  # a worker reads the image
    qtbot.waitUntil(lambda: panel.session is not None, timeout=20000)


def _centre(session):
    rows, cols = np.nonzero(session.mask)
    k = len(rows) // 2
    return int(rows[k]), int(cols[k])


def test_session_adjust_and_undo_restore_the_image_exactly(demo):
    row = demo.images[~demo.with_lesion()].iloc[0].to_dict()
    from mammostudio.core.images import load_pixels

    s = SimulationSession(row, load_pixels(row))
    item = parametric_items(("round",))[0]
    first = s.place(item, _centre(s), size_mm=6.0)
    small = first.insertion.box
    s.adjust(scale=2.0, contrast=0.5)
    big = s.active.insertion.box
    assert s.active.template.patch is None  # the additive preview skips the patch
    s.adjust(method="poisson")  # ... and gets it back when a method needs it
    assert s.active.template.patch is not None and s.active.method == "poisson"
    assert (big[2] - big[0]) > 1.6 * (small[2] - small[0])
    assert s.undo() is first and s.undo() is None
    assert np.array_equal(s.image, s.original)


def test_only_normal_images_are_offered(panel, demo):
    offered = {panel.image_box.itemData(i) for i in range(panel.image_box.count())}
    assert offered == set(demo.images.loc[~demo.with_lesion(), "image_id"])


def test_place_adjust_undo_and_save_by_hand(qtbot, panel, tmp_path):
    _open_first(qtbot, panel)
    session = panel.session
    panel.gallery.setCurrentRow(0)
    panel.place(_centre(session))
    assert len(session.lesions) == 1 and len(panel.overlays) == 1
    before = session.active.insertion.box
    panel.scale.setValue(200)  # live: the active lesion is re-blended at twice the size
    after = session.active.insertion.box
    assert session.active.scale == 2.0 and (after[2] - after[0]) > (before[2] - before[0])
    r0, c0, r1, c1 = session.active.insertion.window
    rect = panel.overlays.items[-1].mapRectToView(panel.overlays.items[-1].boundingRect())
    assert (round(rect.left()), round(rect.top()), round(rect.width())) == (c0, r0, c1 - c0)
    panel.contrast.setValue(50)
    assert session.active.contrast == 0.5
    panel.place(_centre(session))
    panel.undo()
    assert len(session.lesions) == 1 and len(panel.overlays) == 1
    path = panel.save(str(tmp_path / "sim"))
    assert path.parent.parent.name.startswith("P-")  # the source dataset's pseudonym
    cat = open_dataset(tmp_path / "sim")
    les = cat.lesions.iloc[0]
    assert cat.n_images == 1 and cat.n_lesions == 1 and bool(les["simulated"])
    assert [les["row_min"], les["col_min"], les["row_max"], les["col_max"]] == list(session.active.insertion.box)
    assert path.exists()


def test_batch_form_runs_the_headless_job(qtbot, panel, tmp_path):
    form = panel.batch
    form.images.setValue(2)
    form.margin.setValue(1.0)
    form.out.setText(str(tmp_path / "batch"))
    with qtbot.waitSignal(form.finished, timeout=60000) as sig:
        form.run()
    assert sig.args == [str(tmp_path / "batch")]
    cat = open_dataset(tmp_path / "batch")
    assert cat.n_images == 2 and cat.lesions["simulated"].all()


def test_simulate_is_a_mode_of_the_main_window(qtbot, tmp_path, monkeypatch):
    make_app()
    monkeypatch.setenv("MAMMOSTUDIO_CONFIG_DIR", str(tmp_path))
    from mammostudio.gui.mainwindow import MainWindow

    w = MainWindow(settings_path=tmp_path / "s.ini")
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    w.set_mode("Simulate")
    assert w.stack.currentWidget() is w.pages["Simulate"] and w.mode_actions["Simulate"].isChecked()
    assert all(d.isHidden() for d in w.docks.values())
    qtbot.wait(50)
    hint = w.minimumSizeHint()  # a laptop screen, like the other modes (tests/test_gui_window_fit.py)
    assert hint.width() <= 1280 and hint.height() <= 720 and w.stack.page_fits(), hint


def test_a_click_on_the_breast_places_a_lesion_and_a_click_on_air_does_not(qtbot, panel):
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtTest import QTest

    _open_first(qtbot, panel)
    session = panel.session
    panel.canvas.fit()
    qtbot.wait(50)

    def click(row, col):
        scene = panel.canvas.view.mapViewToScene(QPointF(col + 0.5, row + 0.5))
        QTest.mouseClick(panel.canvas.viewport(), Qt.MouseButton.LeftButton, pos=panel.canvas.mapFromScene(scene))

    messages = []
    panel.message.connect(messages.append)
    air = np.argwhere(~session.mask)[0]
    click(*air)
    assert not session.lesions and "outside the breast" in messages[-1]
    r, c = _centre(session)
    click(r, c)
    assert len(session.lesions) == 1 and abs(session.active.centre[0] - r) <= 1 and abs(session.active.centre[1] - c) <= 1


def test_opening_another_dataset_clears_the_image_and_its_lesions(qtbot, panel, demo):
    _open_first(qtbot, panel)
    panel.place(_centre(panel.session))
    assert len(panel.overlays) == 1
    panel.state.set_dataset(demo)
    assert panel.session is None and len(panel.overlays) == 0 and panel.canvas.display is None
