"""Widgets talk through AppState's signals, never to each other: box selection,
Prepare's settings and "show this patch" reach the viewer and the annotation panel
through the state alone."""
from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.boxes import box_to_rect  # noqa: E402
from mammostudio.core.patches.params import ExtractParams  # noqa: E402
from mammostudio.core.readers import open_dataset  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402


@pytest.fixture()
def parts(qtbot, mias_copy):
    make_app()
    from mammostudio.gui.annotation_panel import AnnotationPanel
    from mammostudio.gui.state import AppState
    from mammostudio.gui.viewer import ViewerWidget

    state = AppState()
    state.set_dataset(open_dataset(mias_copy))
    viewer, panel = ViewerWidget(state), AnnotationPanel(state)
    for w in (viewer, panel):
        qtbot.addWidget(w)
    viewer.resize(700, 600)
    viewer.show()
    with qtbot.waitSignal(viewer.displayed, timeout=20000):
        state.select("mdb005")
    return state, viewer, panel


def test_a_box_selected_on_the_canvas_is_edited_and_deleted_in_the_panel(qtbot, parts):
    state, viewer, panel = parts
    uid = str(state.lesions_of("mdb005")["lesion_uid"].iloc[0])
    with qtbot.waitSignal(state.boxSelected, timeout=2000) as sel:
        viewer.boxes.select(uid)
    assert sel.args == [uid] and state.selected_box == uid
    assert panel.uid == uid and panel.delete.isEnabled()
    panel.delete.click()
    assert uid not in set(state.lesions_of("mdb005")["lesion_uid"])
    assert state.selected_box == "" and viewer.boxes.selected == "" and not panel.delete.isEnabled()


def test_a_focused_patch_opens_its_image_with_the_patch_outlined(qtbot, parts):
    state, viewer, _ = parts
    with qtbot.waitSignal(viewer.displayed, timeout=20000):
        state.focus_patch("mdb001", (100, 200, 163, 263))
    assert state.current_image == "mdb001"
    rect = viewer.overlays.audit_items[-1].path().boundingRect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == box_to_rect((100, 200, 163, 263))


def test_new_extraction_settings_redo_an_audit_on_screen(qtbot, parts):
    state, viewer, _ = parts
    viewer.request_audit()
    qtbot.waitUntil(lambda: bool(viewer.audit_counts), timeout=30000)
    first = dict(viewer.audit_counts)
    with qtbot.waitSignal(viewer.audit_task.result, timeout=30000):
        state.set_extract_params(ExtractParams.tiny(), seed=3)
    assert state.extract_params.patch_size == 32 and state.extract_seed == 3
    assert viewer.audit_counts != first  # smaller patches: other candidates
