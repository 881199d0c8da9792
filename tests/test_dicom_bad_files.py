"""DICOM files that are not what they claim: clear errors naming the file, nothing half-written."""
from __future__ import annotations

import numpy as np
import pytest

from _dicom_samples import META, PYDICOM_FILES, sample_pixels
from mammostudio.core.dicom import DicomError, read_header, read_pixels, write_dicom


@pytest.fixture
def pixels() -> np.ndarray:
    return sample_pixels()


def test_text_file_gives_dicom_error_naming_the_file(tmp_path):
    path = tmp_path / "notes é.dcm"
    path.write_text("Patient ID, Image ID\n" * 40)
    for reader in (read_header, read_pixels):
        with pytest.raises(DicomError, match=r"notes é\.dcm: not a DICOM file"):
            reader(path)


def test_missing_file_and_tiny_file_give_dicom_error(tmp_path):
    with pytest.raises(DicomError, match="no such file"):
        read_header(tmp_path / "absent.dcm")
    (tmp_path / "tiny.dcm").write_bytes(b"DI")
    with pytest.raises(DicomError, match="tiny.dcm"):
        read_header(tmp_path / "tiny.dcm")
    assert issubclass(DicomError, OSError)


def test_file_truncated_inside_the_header_gives_dicom_error(tmp_path, pixels):
    data = write_dicom(tmp_path / "a.dcm", pixels, META).read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[:600])
    with pytest.raises(DicomError, match=r"cut\.dcm: .*truncated"):
        read_header(cut)
    with pytest.raises(DicomError, match=r"cut\.dcm"):
        read_pixels(cut)


def test_header_only_read_never_touches_truncated_pixel_data(tmp_path, pixels):
    data = write_dicom(tmp_path / "a.dcm", pixels, META).read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: len(data) - 500])
    assert read_header(cut)["image_id"] == META["image_id"]
    with pytest.raises(DicomError, match=r"cut\.dcm: corrupt or truncated pixel data"):
        read_pixels(cut)


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, META)
    before = path.read_bytes()
    with pytest.raises(ValueError):
        write_dicom(path, pixels, {**META, "window_center": [1, 2], "window_width": [3]})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.dcm"]


def test_non_image_dicom_objects_are_named_as_such():
    """A structured report and an RT plan (pydicom's test files) have no pixels."""
    for name in ("test-SR.dcm", "rtplan.dcm"):
        path = PYDICOM_FILES / name
        if not path.is_file():
            pytest.skip("pydicom test files not installed")
        with pytest.raises(DicomError, match=rf"{name}: no pixel data \(a .* object\): not an image"):
            read_header(path)


def test_file_cut_just_before_the_pixels_says_truncated(tmp_path, pixels):
    data = write_dicom(tmp_path / "a.dcm", pixels, META).read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(data[: data.index(b"\xe0\x7f\x10\x00")])
    with pytest.raises(DicomError, match=r"cut\.dcm: truncated \(the header describes a 40x32 image"):
        read_header(cut)


def test_write_rejects_bad_input(tmp_path, pixels):
    with pytest.raises(ValueError, match="image_id"):
        write_dicom(tmp_path / "a.dcm", pixels, {"image_id": "img-001"})
    with pytest.raises(ValueError, match="bits_stored"):
        write_dicom(tmp_path / "a.dcm", pixels, {"bits_stored": 10})
    with pytest.raises(ValueError, match="2-D"):
        write_dicom(tmp_path / "a.dcm", pixels[None], {})
    with pytest.raises(ValueError, match="compress"):
        write_dicom(tmp_path / "a.dcm", pixels, {}, compress="zip")
