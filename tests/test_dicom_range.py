"""read_pixels_range: the pixels of read_pixels, and their min/max measured while reading."""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, generate_uid

from mammostudio.core import dicom_native
from mammostudio.core.dicom import DicomError, read_pixels, read_pixels_range, write_dicom


def _native(path, raw: np.ndarray, *, stored: int, implicit: bool = False, photometric: str = "MONOCHROME2"):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", uid
    ds.Rows, ds.Columns = raw.shape
    ds.SamplesPerPixel, ds.PixelRepresentation, ds.PhotometricInterpretation = 1, 0, photometric
    ds.BitsAllocated = 8 * raw.dtype.itemsize
    ds.BitsStored, ds.HighBit = stored, stored - 1
    ds.PixelData = raw.astype(raw.dtype.newbyteorder("<")).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
@pytest.mark.parametrize("implicit", [False, True])
def test_range_of_an_uncompressed_image_read_in_several_blocks_equals_numpy(tmp_path, monkeypatch, implicit,
                                                                             photometric):
    monkeypatch.setattr(dicom_native, "_BLOCK_BYTES", 4 * 2 * 50)  # 4 rows a block: 13 blocks
    rng = np.random.default_rng(0)
    raw = rng.integers(3, 4000, size=(50, 50)).astype(np.uint16)
    raw[37, 11] = 1  # the extremes in different blocks
    raw[2, 49] = 4090
    raw[20:23] |= 0xF000  # garbage above BitsStored in a few blocks only: cleared as pydicom does
    path = _native(tmp_path / "a.dcm", raw, stored=12, implicit=implicit, photometric=photometric)
    pixels, found = read_pixels_range(path)
    expected = read_pixels(path)
    np.testing.assert_array_equal(pixels, expected)
    reference = pydicom.dcmread(path).pixel_array
    if photometric == "MONOCHROME1":
        reference = 4095 - reference
    np.testing.assert_array_equal(expected, reference)
    assert found == (int(expected.min()), int(expected.max()))
    assert (pixels == (4095 - 4090 if photometric == "MONOCHROME1" else 4090)).sum() == 1


def test_eight_bit_and_full_sixteen_bit_images_give_their_range(tmp_path):
    eight = np.array([[7, 200], [9, 31]], np.uint8)
    pixels, found = read_pixels_range(_native(tmp_path / "e.dcm", eight, stored=8))
    assert pixels.dtype == np.uint16 and found == (7, 200)
    full = np.array([[0, 65535], [3, 4]], np.uint16)
    assert read_pixels_range(_native(tmp_path / "f.dcm", full, stored=16))[1] == (0, 65535)


def test_no_range_when_the_read_did_not_see_final_values(tmp_path):
    img = np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) % 4000
    rescaled = write_dicom(tmp_path / "r.dcm", img, {"image_id": "1.2.3", "bits_stored": 12,
                                                      "rescale_slope": 2, "rescale_intercept": 5})
    pixels, found = read_pixels_range(rescaled)
    np.testing.assert_array_equal(pixels, read_pixels(rescaled))
    assert found is None  # stored values, not the rescaled ones: the caller measures
    rle = write_dicom(tmp_path / "c.dcm", img, {"image_id": "1.2.4", "bits_stored": 12}, compress="rle")
    pixels, found = read_pixels_range(rle)
    np.testing.assert_array_equal(pixels, img)
    assert found is None


def test_truncated_pixel_data_in_a_later_block_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(dicom_native, "_BLOCK_BYTES", 2 * 2 * 40)
    path = _native(tmp_path / "cut.dcm", np.ones((40, 40), np.uint16), stored=12)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 500])
    for read in (read_pixels, read_pixels_range):
        with pytest.raises(DicomError, match=r"cut\.dcm: .*truncated"):
            read(path)


@pytest.mark.parametrize("zero_row", [0, 45])
def test_a_zero_background_early_or_late_still_gives_the_exact_range(tmp_path, monkeypatch, zero_row):
    monkeypatch.setattr(dicom_native, "_BLOCK_BYTES", 4 * 2 * 50)
    raw = np.random.default_rng(1).integers(5, 3000, size=(50, 50)).astype(np.uint16)
    raw[zero_row, :10] = 0
    raw[30, 30] = 4095
    raw[40:42] |= 0x8000  # garbage after the zero: still masked
    pixels, found = read_pixels_range(_native(tmp_path / "z.dcm", raw, stored=12))
    np.testing.assert_array_equal(pixels, raw & 4095)
    assert found == (0, 4095)
