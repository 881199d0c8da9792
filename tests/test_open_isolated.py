"""Reading a big dataset in a child process gives the in-process catalog; errors and cancel cross over."""
from __future__ import annotations

import multiprocessing
import os

import pandas as pd
import pytest

from mammostudio.core import header_index
from mammostudio.core.catalog_cache import snapshot_path
from mammostudio.core.progress import Cancelled, StopToken, drive
from mammostudio.core.readers import DatasetError, open_dataset_job
from mammostudio.core.readers.isolated import read_in_child
from tests.test_open_job import _tree


def _same(a, b):
    pd.testing.assert_frame_equal(a.images, b.images)
    pd.testing.assert_frame_equal(a.lesions, b.lesions)
    assert a.problems == b.problems and a.root == b.root and a.source_format == b.source_format


def test_a_child_read_gives_the_in_process_catalog_and_fills_the_cache(tmp_path):
    root = _tree(tmp_path / "set", n=6)
    (root / "batch1" / "p0" / "s1" / "junk.dcm").write_bytes(b"not a dicom file")  # a problem to carry over
    here = drive(open_dataset_job(root, cache=False))
    seen = []
    there = drive(open_dataset_job(root, isolate_from=1), seen.append)
    _same(here, there)
    assert any("handing the catalog over" in p.message for p in seen)
    assert header_index.index_path(root).exists() and snapshot_path(os.path.realpath(root)).exists()
    assert not multiprocessing.active_children()


def test_without_the_cache_the_catalog_travels_through_a_temporary_file_left_nowhere(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    root = _tree(tmp_path / "set", n=4)
    there = drive(open_dataset_job(root, cache=False, isolate_from=1))
    _same(drive(open_dataset_job(root, cache=False)), there)
    assert not header_index.index_path(root).exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_childs_error_is_raised_here_with_its_message(tmp_path):
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "a.dcm").write_bytes(b"x")
    with pytest.raises(DatasetError, match="not a dataset|no annotation workbook"):
        drive(read_in_child(tmp_path / "set", fmt="workbook", cache=False))


def test_cancelling_ends_the_child_and_leaves_no_process(tmp_path):
    root = _tree(tmp_path / "set", n=120)  # enough headers that the child is still reading when asked to stop
    stop, listings, running = StopToken(), [], []

    def on_progress(p):
        if p.message.startswith("listing files in"):
            listings.append(p)
        if len(listings) == 2:  # the child's own report: it runs
            running.extend(multiprocessing.active_children())
            stop.request()

    with pytest.raises(Cancelled):
        drive(open_dataset_job(root, cache=False, isolate_from=1), on_progress, stop=stop)
    assert running, "the child never reported"
    assert not multiprocessing.active_children() and not any(c.is_alive() for c in running)


def test_a_child_that_dies_without_a_word_is_an_error_naming_the_folder(tmp_path):
    import signal

    from mammostudio.core.readers.isolated import ChildOpenError

    root = _tree(tmp_path / "set", n=120)
    job = read_in_child(root, fmt="workbook", cache=False)
    next(job)  # the child runs and has reported
    for child in multiprocessing.active_children():
        os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(ChildOpenError, match="the process reading the dataset ended"):
        drive(job)
    assert not multiprocessing.active_children()
