"""The app with broken pixel data and big tables: problem list at open, placeholder, cancel, async table."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pytestqt")

from mammostudio.core.dicom import write_dicom  # noqa: E402
from mammostudio.core.readers.workbook import write_workbook  # noqa: E402
from mammostudio.gui.app import make_app  # noqa: E402
from tests._broken_pixels import BROKEN, write_broken  # noqa: E402


def _dataset(root: Path) -> Path:
    pixels = (np.arange(64 * 48).reshape(64, 48) % 3000).astype(np.uint16)
    write_dicom(root / "b" / "p0" / "s1" / "1.2.3.1.dcm", pixels,
                {"image_id": "1.2.3.1", "patient_id": "p0", "study_id": "1.2.9", "laterality": "L", "view": "CC"})
    for i, kind in enumerate(BROKEN):
        write_broken(root / "b" / "pb" / "s9", kind, i)
    write_workbook(root / "annotations.xlsx", pd.DataFrame([
        {"patient_id": "p0", "study_id": "s1", "image_id": "1.2.3.1", "x1": 2, "y1": 2, "x2": 20, "y2": 20,
         "status": "B5", "lesion_type": "Mass"}]))
    return root


def test_broken_images_are_listed_at_open_and_shown_as_a_placeholder(qtbot, window, tmp_path):
    from mammostudio.gui.browser import KEYS

    root = _dataset(tmp_path / "set")
    window.open_dataset(str(root))
    qtbot.waitUntil(lambda: window.viewer.canvas.display is not None, timeout=30000)
    assert window.viewer.canvas.display.image_id == "1.2.3.1"
    assert window.viewer.boxes.image_id == "1.2.3.1"
    texts = [window.problems.item(i).text() for i in range(window.problems.count())]
    for kind in BROKEN:
        assert any(f"{kind}.dcm" in t and "pixel data cannot be shown" in t for t in texts), kind
    assert window.docks["Problems"].isVisibleTo(window)
    m = window.browser.model
    row = m.row_of("huge_rle")  # the workbook reader names images by file stem
    assert "decode cap" in m.data(m.index(row, KEYS.index("problem")))
    # double-click the problem: its image is selected and a placeholder says why
    item = next(window.problems.item(i) for i in range(window.problems.count())
                if "huge_rle" in window.problems.item(i).text())
    window.problems.itemActivated.emit(item)
    qtbot.waitUntil(lambda: window.viewer.screens.currentWidget() is window.viewer.placeholder, timeout=20000)
    assert window.state.current_image == "huge_rle"
    assert window.viewer.canvas.display is None  # the previous image is gone ...
    assert window.viewer.boxes.image_id == ""  # ... and so are its boxes
    assert "exceeds the decode cap" in window.viewer.placeholder.text()
    window.viewer.grab().save(str(tmp_path / "placeholder.png"))
    window.state.select("1.2.3.1")
    qtbot.waitUntil(lambda: window.viewer.screens.currentWidget() is window.viewer.canvas, timeout=20000)


def test_opening_can_be_cancelled(qtbot, window, tmp_path, monkeypatch):
    from mammostudio.core.readers import opening

    root = _dataset(tmp_path / "set")
    monkeypatch.setattr(opening, "CHUNK", 1)
    real = opening._scan_chunk

    def slow(paths, cap):
        import time

        time.sleep(0.3)
        return real(paths, cap)

    monkeypatch.setattr(opening, "_scan_chunk", slow)
    window.open_dataset(str(root))
    qtbot.waitUntil(lambda: window.cancel_button.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: "reading headers" in window.status_label.text(), timeout=10000)
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.runner.running, timeout=10000)
    assert window.state.catalog is None and window.status_label.text() == "cancelled"
    assert not window.cancel_button.isVisible()


def test_big_tables_are_filtered_searched_and_sorted_off_the_gui_thread(qtbot, tmp_path, monkeypatch):
    make_app()
    from mammostudio.core.catalog import Catalog
    from mammostudio.gui import browser as browser_mod
    from mammostudio.gui.state import AppState

    monkeypatch.setattr(browser_mod, "ASYNC_FROM", 1)
    n = 300
    images = pd.DataFrame({"image_id": [f"i{k:04d}" for k in range(n)], "patient_id": [f"p{k // 4}" for k in range(n)],
                           "study_id": [f"s{k // 4}" for k in range(n)], "path": [f"/x/i{k}.dcm" for k in range(n)],
                           "format": "dicom", "laterality": ["L", "R"] * (n // 2), "view": "CC",
                           "tube_current_ma": np.arange(n) % 7 * 10.0})
    lesions = pd.DataFrame({"lesion_uid": ["i0005:1"], "image_id": ["i0005"], "lesion_id": ["1"], "row_min": [1],
                            "col_min": [1], "row_max": [5], "col_max": [5], "status": ["B4"], "status_ordinal": [4],
                            "lesion_type": ["mass"], "severity": [""], "source": [""]})
    state = AppState()
    state.set_dataset(Catalog(images, lesions, tmp_path, "workbook"), sidecar=tmp_path / "side.json")
    b = browser_mod.StudyBrowser(state)
    qtbot.addWidget(b)
    qtbot.waitUntil(lambda: len(b.visible_image_ids()) == n, timeout=10000)
    b.search.setText("b4")
    qtbot.waitUntil(lambda: b.visible_image_ids() == ["i0005"], timeout=10000)
    b.search.clear()
    state.set_kept({f"i{k:04d}" for k in range(0, n, 2)})
    qtbot.waitUntil(lambda: len(b.visible_image_ids()) == n // 2, timeout=10000)
    b.sort_by("tube_current_ma", descending=True)
    qtbot.waitUntil(lambda: b.visible_image_ids()[0] == "i0006", timeout=10000)  # 60 mA, first of its tie
    assert b.neighbour("i0006", +1) == b.visible_image_ids()[1]
