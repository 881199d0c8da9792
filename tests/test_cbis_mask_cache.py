"""CBIS-DDSM keeps the ROI masks' boxes in the header index: a re-open reads no mask pixels."""
from __future__ import annotations

import os

import mammostudio.core.dicom as dicom
from _reader_fixtures import write_cbis
from mammostudio.core.readers import open_dataset


def _counting_mask_reads(monkeypatch) -> list[str]:
    """Record each ROI-mask pixel read (the real reader still runs)."""
    seen: list[str] = []
    real = dicom.read_pixels

    def counting(path, *args, **kwargs):
        if "ROI mask" in str(path):
            seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(dicom, "read_pixels", counting)
    return seen


def _boxes(cat) -> dict:
    return {r.lesion_uid: (r.row_min, r.col_min, r.row_max, r.col_max) for r in cat.lesions.itertuples()}


def test_second_open_reads_no_mask_and_gives_the_same_boxes(tmp_path, monkeypatch):
    facts = write_cbis(tmp_path / "cbis")
    seen = _counting_mask_reads(monkeypatch)
    first = open_dataset(tmp_path / "cbis")
    assert len(set(seen)) == 3
    # a new side file changes the catalog snapshot's key, so the reader runs again
    (tmp_path / "cbis" / "notes.txt").write_text("x")
    seen.clear()
    second = open_dataset(tmp_path / "cbis")
    assert seen == []
    assert _boxes(second) == _boxes(first)
    assert _boxes(first)["Mass-Training_P_00001_LEFT_CC:1"] == facts["boxes"]["1"]


def test_a_touched_mask_is_read_again_and_the_others_are_not(tmp_path, monkeypatch):
    write_cbis(tmp_path / "cbis")
    seen = _counting_mask_reads(monkeypatch)
    open_dataset(tmp_path / "cbis")
    touched = sorted(set(seen))[0]
    st = os.stat(touched)
    os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    seen.clear()
    open_dataset(tmp_path / "cbis")
    assert seen == [touched]


def test_without_the_cache_every_mask_is_read(tmp_path, monkeypatch):
    write_cbis(tmp_path / "cbis")
    seen = _counting_mask_reads(monkeypatch)
    open_dataset(tmp_path / "cbis")
    seen.clear()
    open_dataset(tmp_path / "cbis", cache=False)
    assert len(set(seen)) == 3
