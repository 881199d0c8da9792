"""Opening a dataset as a job: header index, re-reading only changed files, cancel, pixel problems."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest

from mammostudio.core import header_index
from mammostudio.core.catalog_cache import snapshot_path
from mammostudio.core.dicom import read_header, scan_file, write_dicom
from mammostudio.core.progress import Cancelled, StopToken, drive
from mammostudio.core.readers import open_dataset, open_dataset_job
from mammostudio.core.readers import opening
from mammostudio.core.readers.workbook import write_workbook
from tests._broken_pixels import BROKEN, write_broken

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def _tree(root: Path, n: int = 6) -> Path:
    for i in range(n):
        write_dicom(root / "batch1" / f"p{i // 2}" / "s1" / f"1.2.3.{i}.dcm", np.full((40, 30), 100, np.uint16),
                    {"image_id": f"1.2.3.{i}", "patient_id": f"p{i // 2}", "study_id": f"1.2.9.{i // 2}",
                     "laterality": "LR"[i % 2], "view": "CC"})
    write_workbook(root / "annotations.xlsx", pd.DataFrame([{"patient_id": "p0", "study_id": "s1",
                                                             "image_id": "1.2.3.0", "x1": 1, "y1": 1, "x2": 9,
                                                             "y2": 9, "status": "B5", "lesion_type": "Mass"}]))
    return root


@pytest.fixture()
def counted(monkeypatch):
    """Records the paths whose headers are read from disk."""
    seen: list[str] = []
    real = opening._scan_chunk

    def spy(paths, cap):
        seen.extend(paths)
        return real(paths, cap)

    monkeypatch.setattr(opening, "_scan_chunk", spy)
    return seen


def test_fast_header_scan_gives_read_header_fields_for_every_sample_file():
    files = [p for p in sorted(PYDICOM_FILES.rglob("*")) if p.is_file()]
    compared = 0
    for path in files:
        try:
            expected = read_header(path)
        except OSError:
            continue
        assert scan_file(path)[0] == expected, path.name
        compared += 1
    assert compared > 80


def test_second_open_reads_no_header_and_a_changed_file_is_read_again(tmp_path, counted):
    root = _tree(tmp_path / "set")
    first = open_dataset(root)
    assert len(counted) == 6 and first.n_images == 6 and first.n_lesions == 1
    assert header_index.index_path(root).is_file()
    assert not any(p.name.startswith(".") or p.suffix == ".sqlite" for p in root.rglob("*"))  # dataset untouched
    counted.clear()
    again = open_dataset(root)
    assert counted == []
    pd.testing.assert_frame_equal(first.images, again.images)
    changed = root / "batch1" / "p1" / "s1" / "1.2.3.2.dcm"
    write_dicom(changed, np.full((40, 30), 7, np.uint16), {"image_id": "1.2.3.2", "patient_id": "p1",
                                                           "study_id": "1.2.9.1", "view": "MLO"})
    os.utime(changed, ns=(1, 1))  # a different mtime even on coarse clocks
    (root / "batch1" / "p2" / "s1" / "1.2.3.5.dcm").unlink()
    third = open_dataset(root)
    assert counted == [str(changed)]
    assert third.n_images == 5
    assert third.images.set_index("image_id").loc["1.2.3.2", "view"] == "MLO"


def test_a_damaged_index_and_snapshot_are_rebuilt(tmp_path, counted):
    root = _tree(tmp_path / "set", n=2)
    open_dataset(root)
    header_index.index_path(root).write_bytes(b"not sqlite")
    snapshot_path(root).write_bytes(b"not npz")
    counted.clear()
    assert open_dataset(root).n_images == 2 and len(counted) == 2


def test_an_unchanged_folder_reopens_from_the_snapshot_with_identical_tables(tmp_path, monkeypatch):
    root = _tree(tmp_path / "set")
    write_broken(root / "batch1" / "pb" / "s9", "rgb")
    first = open_dataset(root)
    assert snapshot_path(root).is_file()
    calls = []
    monkeypatch.setattr(opening, "_pixel_problems", lambda *a: calls.append(1) or [])  # the reader path
    again = open_dataset(root)
    assert calls == []
    pd.testing.assert_frame_equal(first.images, again.images)
    pd.testing.assert_frame_equal(first.lesions, again.lesions)
    assert again.problems == first.problems and again.root == first.root
    # a changed workbook (not a DICOM file) is a change too
    write_workbook(root / "annotations.xlsx", pd.DataFrame([{"patient_id": "p1", "study_id": "s1",
                                                             "image_id": "1.2.3.3", "x1": 2, "y1": 2, "x2": 9,
                                                             "y2": 9, "status": "B3", "lesion_type": "Mass"}]))
    os.utime(root / "annotations.xlsx", ns=(5, 5))
    assert list(open_dataset(root).lesions["image_id"]) == ["1.2.3.3"] and calls == [1]


def test_headers_are_read_by_worker_processes_with_progress(tmp_path, monkeypatch):
    root = _tree(tmp_path / "set", n=6)
    monkeypatch.setattr(opening, "_PARALLEL_FROM", 2)
    monkeypatch.setattr(opening, "CHUNK", 2)
    seen = []
    cat = drive(open_dataset_job(root, workers=2, cache=False), seen.append)
    assert cat.n_images == 6
    reading = [p for p in seen if p.message.startswith("reading headers")]
    assert [p.done for p in reading][-1] == 6 and all(p.total == 6 for p in reading)


def test_opening_can_be_cancelled_between_header_chunks(tmp_path, monkeypatch):
    root = _tree(tmp_path / "set", n=6)
    monkeypatch.setattr(opening, "CHUNK", 1)
    stop = StopToken()

    def on_progress(item):
        if item.message.startswith("reading headers") and item.done == 2:
            stop.request()

    with pytest.raises(Cancelled):
        drive(open_dataset_job(root), on_progress, stop=stop)
    assert not header_index.index_path(root).exists()  # nothing half-saved


def test_every_broken_pixel_case_is_a_problem_at_open_and_the_image_stays_listed(tmp_path):
    root = _tree(tmp_path / "set", n=2)
    for i, kind in enumerate(BROKEN):
        write_broken(root / "batch1" / "pb" / "s9", kind, i)
    cat = open_dataset(root)
    assert cat.n_images == 2 + len(BROKEN)
    named = {Path(p.path).stem: p.message for p in cat.problems if "pixel data cannot be shown" in p.message}
    assert set(named) == set(BROKEN)
    assert "exceeds the decode cap" in named["huge_rle"] and "colour" in named["rgb"]


def test_scan_names_every_broken_file_and_verify_finds_corrupt_compressed_data(tmp_path, capsys):
    from mammostudio.cli import main

    root = _tree(tmp_path / "set", n=2)
    for i, kind in enumerate(BROKEN):
        write_broken(root / "batch1" / "pb" / "s9", kind, i)
    # compressed data that only a decode can find broken
    bad = write_dicom(root / "batch1" / "pb" / "s9" / "bad_rle.dcm", np.full((40, 30), 5, np.uint16),
                      {"image_id": "1.2.3.77"}, compress="rle")
    ds = pydicom.dcmread(bad)
    ds.PixelData = ds.PixelData[:40] + b"\0" * (len(ds.PixelData) - 40)
    ds.save_as(bad)
    assert main(["scan", str(root), "--json", "--no-filter", "--quiet"]) == 0
    listed = {Path(p["path"]).stem for p in json.loads(capsys.readouterr().out)["problem_list"]}
    assert listed == set(BROKEN)
    assert main(["scan", str(root), "--json", "--no-filter", "--quiet", "--verify", "--workers", "1"]) == 0
    listed = {Path(p["path"]).stem for p in json.loads(capsys.readouterr().out)["problem_list"]}
    assert listed == set(BROKEN) | {"bad_rle"}
