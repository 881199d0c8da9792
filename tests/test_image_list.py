"""The image list model behind Simulate's image chooser (100,000+ rows without a per-row fill)."""
from __future__ import annotations

import pandas as pd
import pytest

pytest.importorskip("pytestqt")


def test_combo_box_over_the_model_shows_labels_and_gives_image_ids(qtbot):
    from PySide6.QtWidgets import QComboBox

    from mammostudio.gui.app import make_app
    from mammostudio.gui.image_list import ImageListModel

    make_app()
    box = QComboBox()
    qtbot.addWidget(box)
    model = ImageListModel(box)
    box.setModel(model)
    images = pd.DataFrame({"image_id": ["1.2.826.0.1.3680043.10.5", "img2"], "patient_id": ["p1", "p2"],
                           "laterality": ["R", "L"], "view": ["CC", "MLO"]})
    model.set_images(images)
    assert box.count() == 2
    assert box.itemText(0) == "p1 R CC  3680043.10.5" and box.itemData(0) == "1.2.826.0.1.3680043.10.5"
    assert box.itemText(1) == "p2 L MLO  img2" and box.itemData(1) == "img2"
    model.set_images(None)
    assert box.count() == 0


def test_big_catalog_is_listed_from_a_pool_thread_without_choosing_an_image(qtbot, monkeypatch):
    from pathlib import Path

    from PySide6.QtWidgets import QComboBox

    import mammostudio.gui.image_list as image_list
    from mammostudio.core.catalog import Catalog
    from mammostudio.gui.app import make_app

    make_app()
    monkeypatch.setattr(image_list, "ASYNC_FROM", 0)  # every catalog counts as big
    images = pd.DataFrame({"image_id": ["a", "b", "c"], "patient_id": "p", "laterality": ["R", "L", "R"],
                           "view": "CC", "path": "/nowhere.dcm", "format": "dicom"})
    lesions = pd.DataFrame({"lesion_uid": ["b:1"], "image_id": ["b"], "row_min": 1, "col_min": 1, "row_max": 2,
                            "col_max": 2})
    box = QComboBox()
    qtbot.addWidget(box)
    model = image_list.ImageListModel(box)
    box.setModel(model)
    box.setPlaceholderText("choose an image")  # as Simulate's chooser has
    chosen = []
    box.currentIndexChanged.connect(chosen.append)
    with qtbot.waitSignal(model.rowsInserted, timeout=5000):
        model.list_normal(Catalog(images, lesions, Path("/nowhere"), "test"))
    qtbot.waitUntil(lambda: box.count() == 2, timeout=5000)
    assert [box.itemData(i) for i in range(box.count())] == ["a", "c"]
    assert box.currentIndex() == -1 and chosen == []
