"""The mammogram viewer: display pyramid, overlays, window/level, invert, zoom levels."""
from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.pyramid import build_display, reduce_block  # noqa: E402


@pytest.fixture()
def viewer(mias_viewer):
    return mias_viewer


def _show(qtbot, viewer, image_id):
    with qtbot.waitSignal(viewer.displayed, timeout=20000):
        viewer.state.select(image_id)


def test_reductions_match_scikit_image_block_reduce():
    from skimage.measure import block_reduce

    rng = np.random.default_rng(0)
    img = rng.integers(0, 4096, size=(37, 50), dtype=np.uint16)
    want_max = block_reduce(img, (4, 4), np.max, cval=0)
    got_max = reduce_block(img, 4, how="max")
    assert got_max.shape == want_max.shape == (10, 13)
    # Edge blocks: we pad by edge values, block_reduce by cval=0; the max agrees
    # wherever a block is whole.
    np.testing.assert_array_equal(got_max[:9, :12], want_max[:9, :12])
    want_mean = block_reduce(img.astype(np.float64), (4, 4), np.mean)
    np.testing.assert_allclose(reduce_block(img, 4, how="mean")[:9, :12], want_mean[:9, :12], atol=1)


def test_max_pooled_level_keeps_a_single_bright_pixel():
    img = np.full((4096, 3328), 1000, np.uint16)
    img[2001, 1501] = 4000  # one calcification-like pixel
    d = build_display("x", img)
    assert d.factor == 4
    assert d.fit_max.max() == 4000
    assert d.fit_mean.max() < 1200


def _screen_colour(viewer, row, col):
    from PySide6.QtCore import QPointF

    pos = viewer.canvas.mapFromScene(viewer.canvas.view.mapViewToScene(QPointF(col, row)))
    return viewer.canvas.grab().toImage().pixelColor(pos.x(), pos.y())


def test_image_is_greyscale_by_default_and_overlays_are_outlines(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    d = viewer.canvas.display
    assert d.image_id == "mdb001" and d.shape == (1024, 1024)
    assert viewer.canvas.image_item.image.shape == (1024, 1024)
    qtbot.waitUntil(lambda: len(viewer.boxes.rois) == 1)
    assert "mass" in viewer.boxes.labels[0].textItem.toPlainText()
    box = viewer.state.lesions_of("mdb001").iloc[0]
    centre = ((box.row_min + box.row_max) / 2, (box.col_min + box.col_max) / 2)
    c = _screen_colour(viewer, *centre)
    assert c.red() == c.green() == c.blue()  # no tint: the box is an outline, not a fill
    # The ground-truth path is exactly the inclusive box.
    r = viewer.overlays.gt_item.path().boundingRect()
    assert (r.left(), r.top(), r.width(), r.height()) == (box.col_min, box.row_min, box.col_max - box.col_min + 1,
                                                          box.row_max - box.row_min + 1)
    # The breast outline is off until asked for; then a line, the tissue inside stays grey.
    assert viewer.overlays.mask_item.opacity() == 0
    viewer.act_mask.setChecked(True)
    assert viewer.overlays.mask_item.opacity() == 1 and not viewer.overlays.mask_item.path().isEmpty()
    c = _screen_colour(viewer, *centre)
    assert c.red() == c.green() == c.blue()


def test_film_mask_threshold_keeps_the_film_background_out(qtbot, viewer):
    from mammostudio.core.pyramid import mask_at_threshold

    assert viewer.mask_threshold == 20 and viewer.threshold_spin.value() == 20  # mini-MIAS is film
    _show(qtbot, viewer, "mdb001")
    viewer.act_mask.setChecked(True)
    d = viewer.canvas.display
    at20 = viewer.overlays.mask_item.path().boundingRect()
    viewer.threshold_spin.setValue(0)
    assert viewer.state.mask_threshold == 0
    assert mask_at_threshold(d, 0).sum() > mask_at_threshold(d, 20).sum()
    at0 = viewer.overlays.mask_item.path().boundingRect()
    assert at0.width() * at0.height() >= at20.width() * at20.height()


def test_changing_window_updates_image_levels(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    viewer.canvas.set_window(100, 50)
    assert tuple(viewer.canvas.image_item.levels) == (75, 125)
    before = viewer.canvas.grab().toImage()
    viewer.canvas.set_window(200, 20)
    after = viewer.canvas.grab().toImage()
    assert tuple(viewer.canvas.image_item.levels) == (190, 210)
    assert before != after


def test_right_drag_changes_window(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    c, w = viewer.canvas.window_center, viewer.canvas.window_width
    viewer.canvas.view.windowDrag.emit(40.0, -20.0)
    assert viewer.canvas.window_width > w and viewer.canvas.window_center > c


def test_invert_flips_rendered_grey_levels(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    viewer.act_hide.setChecked(True)  # look at the image itself
    viewer.canvas.set_window(128, 256)
    viewer.canvas.fit()
    # A point inside the breast (image centre-right) rendered before and after invert.
    pos = viewer.canvas.view.mapViewToScene(__import__("PySide6.QtCore", fromlist=["QPointF"]).QPointF(700, 500))
    x, y = int(pos.x()), int(pos.y())
    grey = lambda: viewer.canvas.grab().toImage().pixelColor(x, y).red()  # noqa: E731
    value = viewer.canvas.pixel_at(500, 700)
    plain = grey()
    viewer.act_invert.setChecked(True)
    inverted = grey()
    assert abs(plain - value) <= 3
    assert abs(inverted - (255 - value)) <= 3


def test_hide_key_hides_every_overlay(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    viewer.act_mask.setChecked(True)
    viewer.act_hide.trigger()
    assert viewer.overlays.mask_item.opacity() == 0 and viewer.overlays.gt_item.opacity() == 0
    assert all(not r.isVisible() for r in viewer.boxes.rois.values())
    viewer.act_hide.trigger()
    assert viewer.overlays.mask_item.opacity() == 1
    assert all(r.isVisible() for r in viewer.boxes.rois.values())


def test_fit_view_shows_reduced_copy_and_one_to_one_full_resolution(qtbot, viewer):
    img = (np.arange(4096 * 3328, dtype=np.uint32) % 4096).astype(np.uint16).reshape(4096, 3328)
    d = build_display("big", img)
    viewer.canvas.set_display(d)
    qtbot.wait(50)
    assert viewer.canvas.level == "fit"
    assert viewer.canvas.image_item.image.shape == d.fit_max.shape
    viewer.canvas.one_to_one()
    qtbot.wait(50)
    assert viewer.canvas.level == "full"
    assert viewer.canvas.image_pixels_per_screen_pixel() == pytest.approx(1.0, rel=0.05)
    # Full resolution (one array pixel per image pixel) over at least the visible part.
    r0, r1, c0, c1 = viewer.canvas._crop
    shown = viewer.canvas.image_item
    assert shown.image.shape == (r1 - r0, c1 - c0)
    np.testing.assert_array_equal(shown.image, img[r0:r1, c0:c1])
    v = viewer.canvas.view.viewRect()
    assert r0 <= max(v.top(), 0) and c0 <= max(v.left(), 0) and r1 >= min(v.bottom(), 4096) and c1 >= min(v.right(), 3328)
    # Panning far away brings a new full-resolution part.
    viewer.canvas.view.translateBy(x=1500, y=1500)
    qtbot.wait(50)
    r0b, _, c0b, _ = viewer.canvas._crop
    assert (r0b, c0b) != (r0, c0) and viewer.canvas.level == "full"


def test_pixel_readout_gives_value_and_millimetres(qtbot, viewer):
    _show(qtbot, viewer, "mdb001")
    viewer._on_hover(500, 700, viewer.canvas.pixel_at(500, 700))
    text = viewer.readout.text()
    assert "row 500, col 700" in text and "100.0 mm down" in text and "140.0 mm across" in text


def _mouse_drag(canvas, a, b, button):
    """Press at view point ``a`` (x, y), move in steps, release at ``b``: real Qt mouse events."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    vp = canvas.viewport()

    def at(p):
        return QPointF(canvas.mapFromScene(canvas.view.mapViewToScene(QPointF(*p))))

    def send(kind, pos, btn, btns):
        time.sleep(0.015)  # pyqtgraph drops mouse moves closer than 10 ms apart
        QApplication.sendEvent(vp, QMouseEvent(kind, pos, vp.mapToGlobal(pos), btn, btns,
                                               Qt.KeyboardModifier.NoModifier))

    # Screen positions fixed before the drag (a pan moves the view under the mouse).
    path = [at((a[0] + (b[0] - a[0]) * i / 10, a[1] + (b[1] - a[1]) * i / 10)) for i in range(11)]
    # The pointer arrives first (hover: pyqtgraph picks the item a drag goes to).
    send(QEvent.Type.MouseMove, path[0], Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
    send(QEvent.Type.MouseButtonPress, path[0], button, button)
    for pos in path[1:]:
        send(QEvent.Type.MouseMove, pos, Qt.MouseButton.NoButton, button)
    send(QEvent.Type.MouseButtonRelease, path[-1], button, Qt.MouseButton.NoButton)


def test_mouse_drag_in_draw_mode_adds_a_box(qtbot, viewer):
    from PySide6.QtCore import Qt

    _show(qtbot, viewer, "mdb002")
    viewer.act_draw.setChecked(True)
    _mouse_drag(viewer.canvas, (200, 300), (320, 380), Qt.MouseButton.LeftButton)
    uid = viewer.boxes.selected
    assert uid.startswith("mdb002:edit")
    s = viewer.state.box_state(uid)
    assert abs(s["col_min"] - 200) <= 6 and abs(s["row_min"] - 300) <= 6
    assert abs(s["col_max"] - 319) <= 6 and abs(s["row_max"] - 379) <= 6


def test_right_mouse_drag_adjusts_window_and_left_drag_pans(qtbot, viewer):
    from PySide6.QtCore import Qt

    _show(qtbot, viewer, "mdb002")
    width = viewer.canvas.window_width
    _mouse_drag(viewer.canvas, (500, 500), (700, 500), Qt.MouseButton.RightButton)
    assert viewer.canvas.window_width > width
    qtbot.wait(600)  # past the double-click interval: a new gesture
    before = viewer.canvas.view.viewRect().center()
    _mouse_drag(viewer.canvas, (500, 500), (600, 500), Qt.MouseButton.LeftButton)
    assert viewer.canvas.view.viewRect().center().x() < before.x() - 50


def test_mouse_drag_moves_a_box_in_edit_mode_and_undo_puts_it_back(qtbot, viewer):
    from PySide6.QtCore import Qt

    _show(qtbot, viewer, "mdb002")
    viewer.act_edit.setChecked(True)
    qtbot.waitUntil(lambda: "mdb002:1" in viewer.boxes.rois and viewer.boxes.rois["mdb002:1"].translatable)
    before = viewer.state.box_state("mdb002:1")
    _mouse_drag(viewer.canvas, (522, 744), (572, 744), Qt.MouseButton.LeftButton)
    after = viewer.state.box_state("mdb002:1")
    assert abs(after["col_min"] - (before["col_min"] + 50)) <= 4
    assert after["row_max"] - after["row_min"] == before["row_max"] - before["row_min"]
    viewer.state.undo.undo()
    assert viewer.state.box_state("mdb002:1") == before


def test_reduced_breast_mask_equals_the_reduced_full_mask(mias_dir):
    from mammostudio.core.images import load_pixels
    from mammostudio.core.preprocess import breast_mask, normalise_uint8
    from mammostudio.gui.loader import breast_mask_of

    pixels = load_pixels(mias_dir / "mdb001.pgm")
    d = build_display("mdb001", pixels, target=256, **breast_mask_of(pixels))
    full = np.asarray(breast_mask(normalise_uint8(pixels))).astype(bool)  # spec 1.5, the long way
    np.testing.assert_array_equal(d.mask, reduce_block(full.astype(np.uint8), d.factor, how="max").astype(bool))
    assert 0 < d.mask.mean() < 1
