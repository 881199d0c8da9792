"""The Prepare gallery shows its default tab's thumbnails right after it is filled."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import Qt

from mammostudio.core.images import write_png


def _patch_folder(tmp_path, layout, n_lesion=8, n_tissue=20):
    """A patch dataset: one PNG per patch (earlier versions, exports) or one store per image."""
    from mammostudio.core.patches.store import write_store

    rng = np.random.default_rng(0)
    rows, stores = [], {}
    for kind, n in (("lesion", n_lesion), ("tissue", n_tissue)):
        for i in range(n):
            size = 24 if kind == "lesion" else 64  # small lesion crops, as extraction makes them
            patch, pid = rng.integers(0, 255, (size, size), dtype=np.uint8), f"img{i}_{kind}{i:02d}"
            if layout == "png":
                file = f"{kind}/{i:03d}.png"
                write_png(tmp_path / file, patch)
            else:
                file = f"patches/img{i}.npz"
                stores.setdefault(file, []).append((pid, patch))
            rows.append({"patch_id": pid, "kind": kind, "file": file, "image_id": f"img{i}", "row": 0, "col": 0,
                         "height": size, "width": size})
    for file, items in stores.items():
        write_store(tmp_path / file, items)
    pd.DataFrame(rows).to_csv(tmp_path / "index.csv", index=False)
    return tmp_path


@pytest.mark.parametrize("layout", ["store", "png"])
def test_gallery_first_tab_items_have_size_and_show_thumbnails_without_a_relayout(qtbot, tmp_path, layout):
    from mammostudio.gui.gallery import PatchGallery

    gallery = PatchGallery()
    qtbot.addWidget(gallery)
    gallery.resize(700, 500)
    gallery.show()
    with qtbot.waitSignal(gallery.loaded, timeout=20000):
        gallery.open_folder(_patch_folder(tmp_path, layout))
    view = gallery.tabs.currentWidget()
    assert gallery.tabs.tabText(gallery.tabs.currentIndex()) == "Lesion (8)"
    qtbot.wait(50)  # one event-loop turn: the view lays out (the first thumbnail is not ready yet)
    model = view.model()
    rects = [view.visualRect(model.index(i)) for i in range(model.rowCount())]
    assert all(r.width() >= 64 and r.height() >= 64 for r in rects), rects
    assert len({(r.x(), r.y()) for r in rects}) == len(rects)  # laid out on a grid, not stacked
    # a click on the first tile activates its patch
    with qtbot.waitSignal(gallery.patchActivated, timeout=2000) as hit:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rects[0].center())
    assert hit.args[0]["patch_id"] == "img0_lesion00" and hit.args[0]["file"] == {"png": "lesion/000.png", "store": "patches/img0.npz"}[layout]
    # the thumbnails arrive and are painted: the viewport is no longer one flat colour
    qtbot.waitUntil(lambda: all(gallery.thumbs._pixmaps.get(f) is not None for f in model.files), timeout=20000)
    qtbot.wait(50)
    img = view.viewport().grab().toImage()
    tile = [img.pixelColor(rects[0].x() + dx, rects[0].y() + dy).value() for dx in range(8, 56, 4)
            for dy in range(8, 56, 4)]
    assert np.std(tile) > 10, "the first thumbnail is not drawn"
