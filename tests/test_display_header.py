"""The viewer's header values (window presets, study date) come with the decoded image,
so showing an image reads no file on the GUI thread."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")

from mammostudio.core.dicom import write_dicom  # noqa: E402
from mammostudio.gui import viewer  # noqa: E402
from mammostudio.gui.loader import decode_for_display, header_for_display  # noqa: E402


def _row(tmp_path, **meta):
    path = tmp_path / "a.dcm"
    pixels = np.tile(np.arange(64, dtype=np.uint16) * 50, (48, 1))
    write_dicom(path, pixels, {"image_id": "1.2.3", "patient_id": "p", "study_id": "1.2.9", "laterality": "L",
                               "view": "CC", **meta})
    return {"image_id": "1.2.3", "path": str(path), "format": "dicom"}


def test_decoding_brings_the_header_windows_and_study_date(tmp_path):
    row = _row(tmp_path, window_center=1500, window_width=1000, study_date="20240131")
    display = decode_for_display("1.2.3", row)
    assert display.header["study_date"] == "20240131"
    centers = [(c, w) for c, w, e in display.header["window_presets"] if e != "full range"]
    assert centers == [(1500.0, 1000.0)]


def test_window_choices_use_the_decoded_header_without_reading_the_file(tmp_path, monkeypatch):
    row = _row(tmp_path, window_center=1500, window_width=1000)
    display = decode_for_display("1.2.3", row)

    def no_read(*_a, **_k):
        raise AssertionError("the GUI thread read the file")

    import mammostudio.core.dicom as dicom
    monkeypatch.setattr(dicom, "window_presets", no_read)
    choices = viewer.window_choices(display, row)
    assert choices[0][:2] == (1500.0, 1000.0)


def test_other_formats_and_unreadable_files_give_no_header_values(tmp_path):
    assert header_for_display({"format": "pgm", "path": "x.pgm"}) == {}
    (tmp_path / "bad.dcm").write_bytes(b"not dicom")
    assert header_for_display({"format": "dicom", "path": str(tmp_path / "bad.dcm")}) == {}


def test_patient_orientation_comes_with_the_pixels_and_places_the_chest_wall(tmp_path):
    import pydicom

    from mammostudio.core.navigation import chest_wall_side

    row = _row(tmp_path)
    ds = pydicom.dcmread(row["path"])
    ds.PatientOrientation = ["P", "L"]  # moving right along a row goes towards the chest wall
    ds.save_as(row["path"])
    display = decode_for_display("1.2.3", row)
    assert display.header["patient_orientation"] == ["P", "L"]
    bright_left = np.zeros((8, 16))
    bright_left[:, :4] = 1.0  # by brightness alone the chest wall would be on the left
    assert chest_wall_side(bright_left) == "left"
    assert chest_wall_side(bright_left, display.header["patient_orientation"]) == "right"
    assert chest_wall_side(bright_left, "A\\R") == "left" and chest_wall_side(bright_left, ["", ""]) == "left"
