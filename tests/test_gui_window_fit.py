"""The main window on a laptop: it fits 1280 x 720 in every mode and after opening each
test dataset; docks follow the mode; the status bar keeps counts current; the four-up
links zoom and pan; the annotation panel never shows another dataset's box."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")


MODES = ("Welcome", "Browse", "Prepare", "Train", "Quiz")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    import mammostudio.core.demo.build as build
    out = tmp_path_factory.mktemp("demo")
    for _ in build.build_demo_dataset(out, patients=1, size=(256, 208)):
        pass
    return out / "workbook"


@pytest.fixture()
def window(make_window):
    return make_window((1366, 768))


def _open(qtbot, window, folder):
    with qtbot.waitSignal(window.state.catalogChanged, timeout=30000):
        window.open_dataset(str(folder))
    qtbot.waitUntil(lambda: window.viewer.canvas.display is not None, timeout=30000)


def _fits(qtbot, window, where):
    from PySide6.QtWidgets import QApplication

    for mode in MODES:
        window.set_mode(mode)
        tabs = (0, 1) if mode == "Browse" else (None,)
        for tab in tabs:
            if tab is not None:
                window.browse_tabs.setCurrentIndex(tab)
            QApplication.processEvents()
            hint = window.minimumSizeHint()
            assert hint.width() <= 1280 and hint.height() <= 720, (where, mode, tab, hint)
            # ... and at 1366 x 768 the page needs no scroll bar (its scroll area is only a safety net).
            assert window.width() <= 1366 and window.stack.page_fits(), (where, mode, tab)


def test_window_fits_1280x720_in_every_mode_and_with_each_dataset(qtbot, window, mias_copy, demo_dir):
    _fits(qtbot, window, "empty")
    _open(qtbot, window, mias_copy)
    _fits(qtbot, window, "mini-MIAS")
    _open(qtbot, window, demo_dir)
    _fits(qtbot, window, "demo")
    long_path = "preprocessing " + "/very/long/unbroken/path" * 40  # the status bar and welcome page elide it
    window.show_message(long_path)
    window.welcome.status.setText(long_path)
    _fits(qtbot, window, "long progress path")


def test_docks_follow_the_mode_and_the_view_menu(qtbot, window, mias_copy):
    shown = lambda: {n for n, d in window.docks.items() if d.isVisible()}  # noqa: E731
    assert shown() == set()  # the welcome page stands alone
    _open(qtbot, window, mias_copy)
    assert {"Studies", "Annotation"} <= shown() or {"Filters", "Annotation"} <= shown()
    window.set_mode("Prepare")
    assert "Annotation" not in shown()
    window.set_mode("Browse")
    window.docks["Annotation"].toggleViewAction().trigger()  # the user closes it
    window.set_mode("Prepare")
    window.set_mode("Browse")
    assert "Annotation" not in shown()


def test_box_count_and_error_text_in_the_status_bar(qtbot, window, mias_copy):
    _open(qtbot, window, mias_copy)
    before = window.dataset_label.text()
    assert "4 boxes" in before
    window.state.add_box("mdb001", (10, 10, 60, 60))
    assert "5 boxes" in window.dataset_label.text()
    window.show_error("DatasetError: /x: no images found")
    assert window.last_error_box.text() == "/x: no images found"


def test_annotation_panel_forgets_the_previous_dataset(qtbot, window, mias_copy, demo_dir):
    _open(qtbot, window, mias_copy)
    window.viewer.boxes.select("mdb001:1")
    panel = window.annotation
    assert panel.uid == "mdb001:1" and panel.type_box.currentText() == "mass"
    _open(qtbot, window, demo_dir)
    assert panel.uid == "" and panel.type_box.currentText() == "" and not panel.type_box.isEnabled()


def test_new_box_has_no_type_until_set_and_history_reads_well(qtbot, window, mias_copy):
    _open(qtbot, window, mias_copy)
    uid = window.state.add_box("mdb001", (10, 10, 60, 60))
    assert window.state.box_state(uid)["lesion_type"] == ""
    window.viewer.boxes.select(uid)
    assert "Type unknown" in window.annotation.title.text()
    window.state.edit_box(uid, lesion_type="calcification")
    window.state.edit_box(uid, row_min=20, row_max=70)
    texts = [window.state.undo.text(i) for i in range(window.state.undo.count())]
    assert texts == ["add box new 1 on mias-001 R MLO", "box new 1 on mias-001 R MLO: type calcification",
                     "move box new 1 on mias-001 R MLO"]
    assert all(len(t) < 60 for t in texts)


def test_four_up_links_zoom_and_pan_mirrored(qtbot, window, demo_dir):
    _open(qtbot, window, demo_dir)
    window.browse_tabs.setCurrentWidget(window.fourup)
    panes = window.fourup.panes
    for pane in panes.values():
        qtbot.waitUntil(lambda pane=pane: pane.canvas.display is not None, timeout=20000)
    assert [p.canvas.marker for p in panes.values()] == ["R CC", "L CC", "R MLO", "L MLO"]
    rcc, lcc = panes[("R", "CC")], panes[("L", "CC")]
    rows, cols = rcc.canvas.display.shape
    # Zoom the right CC onto its chest-wall quarter: the left CC shows its own chest-wall quarter.
    from PySide6.QtCore import QRectF

    x0 = 0 if rcc.chest_wall == "left" else cols * 3 / 4
    rcc.canvas.view.setRange(QRectF(x0, rows / 4, cols / 4, rows / 4), padding=0)
    s0, s1, v0, v1 = lcc.normalised_view()
    want = rcc.normalised_view()
    assert (s0, s1, v0, v1) == pytest.approx(want, abs=0.02)
    assert s0 < 0.05 and s1 < 0.4  # the chest-wall side of the left breast
    assert lcc.canvas.zoom_percent() == pytest.approx(rcc.canvas.zoom_percent(), rel=0.05)
    window.fourup.act_link.setChecked(False)
    rcc.canvas.fit()
    assert lcc.normalised_view() == pytest.approx(want, abs=0.02)  # unlinked: it stays
