"""The main window end to end: open datasets (MIAS, demo), modes, navigation, box
editing saved to the sidecar and used by the next extraction, remembered settings."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")



@pytest.fixture()
def mias_copy(mias_copy, mias_dir):
    """The shared copy plus mdb006, a normal film (no box)."""
    shutil.copy(mias_dir / "mdb006.pgm", mias_copy)
    return mias_copy


def _open(qtbot, window, folder):
    window.open_dataset(str(folder))
    qtbot.waitUntil(lambda: window.state.catalog is not None and window.mode == "Browse", timeout=30000)
    qtbot.waitUntil(lambda: window.viewer.canvas.display is not None, timeout=30000)


def test_opening_a_dataset_shows_its_first_image_and_remembers_it(qtbot, window, mias_copy, tmp_path):
    assert window.mode == "Welcome"
    _open(qtbot, window, mias_copy)
    assert window.viewer.canvas.display.image_id == window.state.current_image
    assert "4 images" in window.dataset_label.text()
    assert window.recent()[0] == str(mias_copy.resolve())
    window.close()
    from mammostudio.gui.mainwindow import MainWindow

    again = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(again)
    assert again.recent()[0] == str(mias_copy.resolve())
    assert again.welcome.recent.count() == 1


def test_bad_folder_is_reported_in_the_window(qtbot, window, tmp_path):
    (tmp_path / "empty").mkdir()
    window.open_dataset(str(tmp_path / "empty"))
    qtbot.waitUntil(lambda: "Error" in window.status_label.text(), timeout=10000)
    assert "empty" in window.status_label.text()
    assert window.last_error_box.isVisible()


def test_modes_are_reachable_and_train_is_honest(qtbot, window):
    for mode in ("Browse", "Prepare", "Train", "Quiz"):
        window.mode_actions[mode].trigger()
        assert window.stack.currentWidget() is window.pages[mode]
    assert window.pages["Train"].start_button.text() == "Start"  # issue 8's Train panel, not a placeholder


def test_quiz_and_train_hide_the_dataset_docks_and_browse_brings_them_back(qtbot, window):
    window.set_mode("Browse")
    shown = {n for n, d in window.docks.items() if not d.isHidden()}
    assert "Studies" in shown
    window.set_mode("Quiz")
    assert all(d.isHidden() for d in window.docks.values())  # a reader sees only the case
    window.set_mode("Train")
    assert all(d.isHidden() for d in window.docks.values())
    window.set_mode("Browse")
    assert {n for n, d in window.docks.items() if not d.isHidden()} == shown


def test_send_to_quiz_lists_the_generated_folder_in_the_next_study_design(qtbot, window, tmp_path):
    window.state.offer_generated(str(tmp_path / "gen"))
    assert window.mode == "Quiz"
    dialog = window.pages["Quiz"].design_dialog()
    qtbot.addWidget(dialog)
    assert [dialog.generated.item(i).text() for i in range(dialog.generated.count())] == [str(tmp_path / "gen")]


def test_next_and_previous_image_keys_walk_the_browser(qtbot, window, mias_copy):
    _open(qtbot, window, mias_copy)
    ids = window.browser.visible_image_ids()
    assert window.state.current_image == ids[0]
    window.step_image(+1)
    assert window.state.current_image == ids[1]
    qtbot.waitUntil(lambda: window.viewer.canvas.display.image_id == ids[1], timeout=20000)
    window.step_study(+1)
    assert window.state.current_image == ids[2]  # mdb001/002 share a study
    window.step_image(-1)
    assert window.state.current_image == ids[1]


def test_drawn_and_edited_box_is_in_the_sidecar_and_the_next_extraction(qtbot, window, mias_copy, tmp_path):
    from PySide6.QtCore import QRectF

    _open(qtbot, window, mias_copy)
    window.state.select("mdb006")  # a normal image: no box yet
    qtbot.waitUntil(lambda: window.viewer.canvas.display.image_id == "mdb006", timeout=20000)
    window.viewer.act_draw.setChecked(True)
    # What a left drag from (x=300, y=400) to (x=380, y=470) in draw mode reports.
    window.canvas_box = window.viewer.canvas.view.boxDrawn.emit(QRectF(300, 400, 80, 70))
    uid = window.viewer.boxes.selected
    assert uid.startswith("mdb006:")
    qtbot.waitUntil(lambda: uid in window.viewer.boxes.rois, timeout=5000)
    # Set its type and category in the annotation panel, then move it.
    window.annotation.cat_box.setCurrentIndex(4)
    window.annotation._set("status", "B5")
    window.annotation._set("lesion_type", "calcification")
    window.state.edit_box(uid, row_min=410, col_min=310, row_max=479, col_max=389)
    doc = json.loads((mias_copy / "mammostudio-annotations.json").read_text())
    assert [c["action"] for c in doc["changes"]] == ["add", "edit", "edit", "edit"]
    assert all(c["who"] and c["when"] for c in doc["changes"])
    # Undo the move and redo it: both are recorded, the box follows.
    window.state.undo.undo()
    assert window.state.box_state(uid)["row_min"] == 400
    window.state.undo.redo()
    assert window.state.box_state(uid)["row_min"] == 410
    # The next extraction uses the edited box.
    window.set_mode("Prepare")
    window.prepare.out_edit.setText(str(tmp_path / "patches"))
    window.prepare.editors["patch_size"].setValue(64)
    window.prepare.start_extraction()
    with qtbot.waitSignal(window.prepare.runner.done, timeout=120000):
        pass
    index = pd.read_csv(tmp_path / "patches" / "index.csv", dtype=str)
    mine = index[(index["kind"] == "lesion") & (index["image_id"] == "mdb006")]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (int(row["row"]), int(row["col"])) == (410, 310) and row["status"] == "B5"
    assert row["lesion_type"] == "calcification"


def test_marking_a_box_wrong_keeps_it_out_of_extraction_input(qtbot, window, mias_copy):
    _open(qtbot, window, mias_copy)
    window.state.select("mdb005")
    qtbot.waitUntil(lambda: getattr(window.viewer.canvas.display, "image_id", None) == "mdb005", timeout=20000)
    window.viewer.boxes.select("mdb005:2")
    window.annotation.wrong.click()
    assert window.state.wrong_uids() == {"mdb005:2"}
    qtbot.waitUntil(lambda: "WRONG" in " ".join(l.textItem.toPlainText() for l in window.viewer.boxes.labels))
    assert "mdb005:2" not in set(window.state.edited_catalog().lesions["lesion_uid"])
    window.viewer.boxes.delete_selected()
    assert "mdb005:2" not in set(window.state.catalog.lesions["lesion_uid"])
    window.state.undo.undo()
    assert "mdb005:2" in set(window.state.catalog.lesions["lesion_uid"])


def test_four_up_view_hangs_the_study_mirrored(qtbot, window, tmp_path):
    import mammostudio.core.demo.build as build
    window.open_demo(lambda: build.ensure_demo_dataset(tmp_path / "demo", config=build.DemoConfig(
        patients=1, rows=256, cols=208, seed=0)))
    qtbot.waitUntil(lambda: window.state.catalog is not None, timeout=120000)
    assert window.state.catalog.source_format == "workbook" and window.state.catalog.n_images == 4
    from PySide6.QtGui import QImage

    window.browse_tabs.setCurrentWidget(window.fourup)
    slots = window.fourup.assignments()
    assert all(slots.values())
    for pane in window.fourup.panes.values():
        qtbot.waitUntil(lambda pane=pane: pane.canvas.display is not None, timeout=20000)
    # Look at what is on screen: the breast side (bright) of each pane faces the middle.
    for (side, _view), pane in window.fourup.panes.items():
        img = pane.canvas.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
        grey = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())[:, :img.width()]
        band = grey.shape[1] // 6
        left, right = grey[:, :band].mean(), grey[:, -band:].mean()
        assert (right > left) if side == "R" else (left > right), (side, left, right)


def test_gui_command_refuses_a_missing_folder(tmp_path, capsys):
    from mammostudio.cli import main

    assert main(["gui", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_demo_command_without_gui_prints_the_summary(tmp_path, capsys):
    from mammostudio.cli import main

    assert main(["demo", "--no-gui", "--data", str(tmp_path / "demo"), "--patients", "1",
                 "--size", "256", "208"]) == 0
    assert "demo data:" in capsys.readouterr().out


def test_a_corrupt_image_is_reported_and_the_app_goes_on(qtbot, window, mias_copy):
    data = (mias_copy / "mdb002.pgm").read_bytes()
    (mias_copy / "mdb002.pgm").write_bytes(data[: len(data) // 3])  # truncated file
    _open(qtbot, window, mias_copy)
    window.state.select("mdb002")
    qtbot.waitUntil(lambda: "cannot show mdb002" in window.status_label.text(), timeout=20000)
    assert "truncated" in window.status_label.text()
    window.state.select("mdb005")
    qtbot.waitUntil(lambda: getattr(window.viewer.canvas.display, "image_id", None) == "mdb005", timeout=20000)


def test_the_next_image_is_prefetched(qtbot, window, mias_copy):
    _open(qtbot, window, mias_copy)
    ids = window.browser.visible_image_ids()
    qtbot.waitUntil(lambda: window.viewer.loader.cached(ids[1]) is not None, timeout=20000)
    window.step_image(+1)
    assert window.viewer.canvas.display.image_id == ids[1]  # shown at once, from the cache


def test_audit_replays_the_prepare_settings_and_draws_figure_2(qtbot, window, mias_copy):
    from mammostudio.core.images import load_pixels
    from mammostudio.core.patches.tissue import audit_image

    _open(qtbot, window, mias_copy)
    window.prepare.editors["patch_size"].setValue(64)
    window.prepare.seed.setValue(7)
    window.state.select("mdb005")
    qtbot.waitUntil(lambda: getattr(window.viewer.canvas.display, "image_id", None) == "mdb005", timeout=20000)
    window.viewer.request_audit()
    qtbot.waitUntil(lambda: "audit of mdb005" in window.status_label.text(), timeout=30000)
    boxes = window.state.catalog.boxes_of("mdb005")
    want = audit_image(load_pixels(mias_copy / "mdb005.pgm"), None, boxes, window.prepare.params(),
                       seed=7, image_id="mdb005")
    assert f"accepted {int(want['accepted'].sum())}" in window.status_label.text()
    assert len(window.viewer.overlays.audit_items) >= 3  # rejected, accepted, lesion (+ reason labels)


def test_no_widget_hides_a_qt_method_under_an_attribute(window, qtbot):
    # `self.size = QSpinBox()` on a widget hid QWidget.size(): any code asking a page or dialog its size
    # got a spin box. Every widget of the window, the dialogs and the reading view keep Qt's names.
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from mammostudio.gui.quiz import DesignDialog
    from mammostudio.gui.quiz.calibration import CalibrationDialog
    from mammostudio.gui.quiz.detection_dialog import DetectionDesignDialog
    from mammostudio.gui.quiz.patch_view import PatchView
    from mammostudio.gui.tags import TagDialog

    dialogs = [DesignDialog(), DetectionDesignDialog(), CalibrationDialog(), TagDialog(), PatchView()]
    for d in dialogs:
        qtbot.addWidget(d)
    qt_names = {name for name in dir(QWidget) if not name.startswith("_")}
    hidden = []
    for w in [window, *window.findChildren(QWidget), *dialogs]:
        own = getattr(w, "__dict__", {})
        hidden += [f"{type(w).__name__}.{name}" for name, value in own.items()
                   if name in qt_names and not isinstance(value, SignalInstance)]  # PySide caches signals there
    assert hidden == [], "\n".join(sorted(set(hidden)))
