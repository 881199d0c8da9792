"""The in-process pipeline: results in task order, each only once its patch store exists."""
from __future__ import annotations

import errno

import pytest

from mammostudio.core.patches import ExtractParams, FatalWriteError, store
from mammostudio.core.patches.extract import _tasks
from mammostudio.core.patches.pipeline import Pipeline
from mammostudio.core.privacy import Pseudonymiser
from mammostudio.core.readers import open_dataset

IDS = ["mdb001", "mdb002", "mdb005", "mdb006"]


@pytest.fixture(scope="module")
def mias4(mias_dir):
    return open_dataset(mias_dir, fmt="mias").subset(IDS)


def _make_tasks(catalog, out):
    (out / "patches").mkdir(parents=True, exist_ok=True)
    params = ExtractParams(patch_size=64, n_tissue=3)
    return _tasks(catalog, params, 1, out, set(), Pseudonymiser.for_dataset(catalog.root, keep_identifiers=True))


def test_results_come_in_task_order_with_their_store_already_written(tmp_path, mias4):
    tasks = _make_tasks(mias4, tmp_path)
    pipe = Pipeline(tasks, lookahead=3, computers=2, writers=2)
    seen = []
    try:
        for res in pipe:
            assert res["done"] and res["rows"] and res["writes"] == []
            assert all((tmp_path / r["file"]).is_file() for r in res["rows"])
            seen.append(res["image_id"])
    finally:
        pipe.close()
    assert seen == IDS
    assert not list(tmp_path.rglob("*.part*"))


def test_closing_early_hands_out_nothing_more_and_leaves_no_temporaries(tmp_path, mias4):
    tasks = _make_tasks(mias4, tmp_path)
    pipe = Pipeline(tasks, lookahead=3)
    first = next(iter(pipe))
    pipe.close()
    assert first["image_id"] == IDS[0]
    assert not list(tmp_path.rglob("*.part*"))


def test_a_failed_patch_write_is_raised_as_fatal_and_nothing_after_it_is_handed_out(tmp_path, mias4, monkeypatch):
    tasks = _make_tasks(mias4, tmp_path)
    real_write = store.write_store

    def full_disk_for_mdb002(path, items):  # the disk fills up while the second image is written
        if "mdb002" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, items)

    monkeypatch.setattr(store, "write_store", full_disk_for_mdb002)
    pipe = Pipeline(tasks)
    seen = []
    with pytest.raises(FatalWriteError, match="disk is full"):
        for res in pipe:
            seen.append(res["image_id"])
    pipe.close()
    assert seen == ["mdb001"]
    assert not list(tmp_path.rglob("*.part*"))
