"""The study table lists a study's images in the hanging order (RCC, LCC, RMLO, LMLO) by default."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mammostudio.core.catalog import Catalog
from mammostudio.core.study_table import study_table, visible_order

# ids whose alphabetical order is not the hanging order
SIDES = [("1", "L", "MLO"), ("2", "L", "CC"), ("3", "R", "MLO"), ("4", "R", "CC"), ("5", "R", "ML"), ("6", "", "")]
HANGING_IDS = ["4", "2", "3", "1", "5", "6"]


def _catalog() -> Catalog:
    rows = [{"image_id": f"{p}-{i}", "patient_id": p, "study_id": f"s{p}", "laterality": lat, "view": view,
             "path": f"/nowhere/{p}-{i}.dcm", "format": "dicom", "rows": 8, "cols": 6}
            for p in ("pb", "pa") for i, lat, view in SIDES]
    return Catalog(pd.DataFrame(rows), pd.DataFrame(), Path("/nowhere"), "test")


def test_default_order_is_patient_study_then_hanging_order():
    cat = _catalog()
    table = study_table(cat.images, cat.lesions)
    shown = list(table.ids[visible_order(table, None, "", None)])
    assert shown == [f"pa-{i}" for i in HANGING_IDS] + [f"pb-{i}" for i in HANGING_IDS]


def test_a_column_sort_wins_over_the_hanging_order():
    cat = _catalog()
    table = study_table(cat.images, cat.lesions)
    shown = list(table.ids[visible_order(table, None, "", "image_id")])
    assert shown == sorted(shown)
    by_view = list(table.text["view"][visible_order(table, None, "", "view", descending=True)])
    assert by_view == sorted(by_view, reverse=True)


def test_browser_shows_the_hanging_order_until_a_header_is_clicked(qtbot):
    pytest.importorskip("pytestqt")
    from mammostudio.gui.app import make_app
    from mammostudio.gui.browser import KEYS, StudyBrowser
    from mammostudio.gui.state import AppState

    make_app()
    state = AppState()
    state.set_dataset(_catalog())
    browser = StudyBrowser(state)
    qtbot.addWidget(browser)
    assert browser.visible_image_ids()[:6] == [f"pa-{i}" for i in HANGING_IDS]
    browser._on_header(KEYS.index("image_id"))
    assert browser.visible_image_ids()[:6] == [f"pa-{i}" for i in ("1", "2", "3", "4", "5", "6")]
    browser.sort_by(None)
    assert browser.visible_image_ids()[6:] == [f"pb-{i}" for i in HANGING_IDS]
