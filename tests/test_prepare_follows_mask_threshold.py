"""Prepare's extraction follows the breast-mask threshold set in Browse (film 20, digital 0)."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")


def test_prepare_takes_the_threshold_browse_sets_and_the_film_default(qtbot, window, mias_copy):
    window.open_dataset(str(mias_copy))
    qtbot.waitUntil(lambda: window.state.catalog is not None, timeout=30000)
    prepare = window.prepare
    assert window.viewer.mask_threshold == 20  # mini-MIAS is film
    assert prepare.params().mask_threshold == 20
    window.viewer.set_mask_threshold(35)
    assert window.state.mask_threshold == 35 and prepare.params().mask_threshold == 35
    assert window.state.extract_params.mask_threshold == 35  # published to the viewer's audit too
