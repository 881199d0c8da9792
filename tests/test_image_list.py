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
