"""The filter panel's work (filter_catalog): the same answer as the separate filters, and, for
big catalogs, computed on a pool thread with stale answers dropped."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mammostudio.core.acquisition import AcquisitionFilter
from mammostudio.core.catalog import Catalog
from mammostudio.core.catalog_filter import filter_catalog, lesion_filter_mask


def _catalog(n: int = 40, seed: int = 0) -> Catalog:
    rng = np.random.default_rng(seed)
    man = rng.choice(["HOLOGIC, Inc.", "GE MEDICAL SYSTEMS", ""], n)
    images = pd.DataFrame({"image_id": [f"i{k:03d}" for k in range(n)], "patient_id": [f"p{k // 4}" for k in range(n)],
                           "study_id": [f"s{k // 4}" for k in range(n)], "manufacturer": man,
                           "model_name": "Lorad Selenia", "tube_current_ma": rng.choice([100.0, 80.0], n),
                           "magnification": 1.0, "for_presentation": True,
                           "birads": rng.choice(["", "2", "4A"], n), "density": rng.choice(["", "A", "C"], n),
                           "path": "/nowhere.dcm", "format": "dicom"})
    m = n // 3
    lesions = pd.DataFrame({"lesion_uid": [f"l{k}" for k in range(m)], "image_id": [f"i{3 * k:03d}" for k in range(m)],
                            "lesion_type": rng.choice(["mass", "calcification", "mass+asymmetry", "odd"], m),
                            "status": rng.choice(["B2", "B5", ""], m), "pathology": rng.choice(["", "benign"], m),
                            "birads": rng.choice(["", "3", "5"], m),
                            "row_min": 1, "col_min": 1, "row_max": 5, "col_max": 5})
    return Catalog(images, lesions, Path("/nowhere"), "test")


CHOICES = dict(normals=True, types={"mass", "other"}, categories={"B2", "B5", ""}, pathologies={"unknown"},
               birads={"2", "4", "5", "unknown"}, densities={"A", "unknown"})


def test_filter_catalog_keeps_what_the_acquisition_and_lesion_filters_keep_together():
    cat = _catalog()
    acq = AcquisitionFilter()
    out = filter_catalog(cat.images, cat.lesions, acquisition=acq, acquisition_on=None, **CHOICES)
    assert out.acquisition_on  # the catalog records manufacturers
    keep = acq.apply(cat.images).kept.to_numpy() & lesion_filter_mask(cat.images, cat.lesions, **CHOICES)
    assert out.kept_ids == set(cat.images.loc[keep, "image_id"])
    assert 0 < out.n_kept < len(cat.images) and out.report.n_kept == acq.apply(cat.images).n_kept
    wrong = set(cat.lesions["lesion_uid"])  # every box marked wrong: only box-free rules remain
    none = filter_catalog(cat.images, cat.lesions, acquisition_on=False, wrong=wrong, **CHOICES)
    assert none.with_lesion == 0 and none.report is None


def test_unreadable_criteria_leave_the_acquisition_filter_out_and_say_why():
    cat = _catalog()
    out = filter_catalog(cat.images, cat.lesions, acquisition=None, acquisition_on=True,
                         acquisition_error="could not convert 'abc'", **CHOICES)
    assert out.error == "could not convert 'abc'" and out.report is None
    assert out.kept_ids == set(cat.images.loc[lesion_filter_mask(cat.images, cat.lesions, **CHOICES), "image_id"])


def test_big_catalog_is_filtered_on_a_pool_thread_and_a_stale_answer_is_dropped(qtbot, monkeypatch):
    pytest.importorskip("pytestqt")
    import mammostudio.gui.filters as filters
    from mammostudio.gui.app import make_app
    from mammostudio.gui.state import AppState

    make_app()
    monkeypatch.setattr(filters, "ASYNC_FROM", 0)  # every catalog counts as big
    state = AppState()
    state.set_dataset(_catalog())
    panel = filters.FilterPanel(state)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.total.text().startswith("Kept") and "updating" not in panel.total.text(),
                    timeout=5000)
    everything = set(state.kept_ids)
    panel.normals.setChecked(False)
    panel.recompute()
    assert state.kept_ids == everything and "updating" in panel.total.text()  # not computed here
    with qtbot.waitSignal(state.filterChanged, timeout=5000):
        pass
    with_box = set(state.catalog.lesions["image_id"])
    assert state.kept_ids and state.kept_ids <= with_box
    newer = set(state.kept_ids)
    stale = filter_catalog(state.catalog.images, state.catalog.lesions, acquisition_on=False, **CHOICES)
    panel._on_result(panel._generation - 1, stale)  # an answer a newer request overtook
    assert state.kept_ids == newer


def test_an_outcome_worked_out_with_the_dataset_is_shown_without_filtering_again(qtbot, monkeypatch, tmp_path):
    pytest.importorskip("pytestqt")
    import mammostudio.gui.filters as filters
    from mammostudio.core.annotations import Annotations
    from mammostudio.gui.app import make_app
    from mammostudio.gui.state import AppState

    make_app()
    monkeypatch.setattr(filters, "ASYNC_FROM", 0)  # every catalog counts as big: filtering would go to the pool
    state = AppState()
    panel = filters.FilterPanel(state)
    qtbot.addWidget(panel)
    calls = []
    monkeypatch.setattr(filters, "submit", lambda *a, **k: calls.append(a))
    cat = _catalog(seed=1)
    # what the open worker does: edits applied, then the panel's settings on the result
    annotations = Annotations.load(tmp_path / "sidecar.json")
    shown = annotations.apply(cat, include_wrong=True)
    args = {**panel.settings(), "acquisition_on": None, "wrong": set()}
    outcome = filter_catalog(shown.images, shown.lesions, **args)
    panel.use_outcome(shown, args, outcome)
    state.set_dataset(cat, prepared=(annotations, shown))
    assert calls == [] and state.kept_ids == outcome.kept_ids and "updating" not in panel.total.text()
    # used once: a later change of choices filters again (on the pool)
    panel.normals.setChecked(not panel.normals.isChecked())
    panel.recompute()
    assert len(calls) == 1
    # an outcome made with other choices than the panel's is not used
    other = annotations.apply(_catalog(seed=2), include_wrong=True)
    stale = args  # made before the normals choice changed
    panel.use_outcome(other, stale, filter_catalog(other.images, other.lesions, **stale))
    state.set_dataset(other, prepared=(annotations, other))
    assert len(calls) == 2
