"""DICOM reading and writing: round trips, compressed syntaxes, bad files."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, JPEGLosslessSV1, generate_uid

from mammostudio.core.dicom import (
    MG_FOR_PRESENTATION,
    MG_FOR_PROCESSING,
    DicomError,
    read_header,
    read_pixels,
    write_dicom,
)

from _dicom_samples import META, PYDICOM_FILES, sample_pixels


@pytest.fixture
def pixels() -> np.ndarray:
    return sample_pixels()


def test_header_round_trip_gives_every_catalog_field(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, META)
    head = read_header(path)
    assert head == {
        "image_id": META["image_id"],
        "patient_id": "demo-0001",
        "study_id": META["study_id"],
        "series_id": META["series_id"],
        "laterality": "L",
        "view": "MLO",
        "rows": 40,
        "cols": 32,
        "manufacturer": "HOLOGIC, Inc.",
        "model_name": "Lorad Selenia",
        "tube_current_ma": 100.0,
        "magnification": 1.073,
        "for_presentation": True,
        "photometric": "MONOCHROME2",
        "pixel_spacing_mm": 0.07,
        "series_description": "",
    }


def test_written_file_is_an_mg_for_presentation_object(tmp_path, pixels):
    ds = pydicom.dcmread(write_dicom(tmp_path / "a.dcm", pixels, META))
    assert ds.Modality == "MG"
    assert ds.SOPClassUID == MG_FOR_PRESENTATION == ds.file_meta.MediaStorageSOPClassUID
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert ds.PresentationIntentType == "FOR PRESENTATION"
    assert (ds.BitsStored, ds.HighBit, ds.BitsAllocated) == (12, 11, 16)
    assert ds.XRayTubeCurrent == 100 and float(ds.EstimatedRadiographicMagnificationFactor) == 1.073
    assert ds.ViewCodeSequence[0].CodeMeaning == "medio-lateral oblique"
    assert str(ds.PatientName) == "Zoë^Test"
    assert float(ds.WindowCenter) == 2047 and float(ds.WindowWidth) == 4096


def test_for_processing_picks_the_for_processing_sop_class(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "for_presentation": False})
    assert pydicom.dcmread(path).SOPClassUID == MG_FOR_PROCESSING
    assert read_header(path)["for_presentation"] is False


@pytest.mark.parametrize("compress", [None, "rle", "jpeg2000"])
@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_pixels_round_trip_bright_is_dense(tmp_path, pixels, compress, photometric):
    path = write_dicom(tmp_path / "a.dcm", pixels, META, photometric=photometric, compress=compress)
    out = read_pixels(path)
    assert out.dtype == np.uint16 and out.shape == (40, 32)
    np.testing.assert_array_equal(out, pixels)
    assert read_header(path)["photometric"] == photometric


def test_monochrome1_file_stores_inverted_values(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, META, photometric="MONOCHROME1")
    raw = pydicom.dcmread(path).pixel_array  # pydicom itself never inverts
    np.testing.assert_array_equal(raw, 4095 - pixels)


@pytest.mark.parametrize("shape", [(4, 6), (5, 7), (1, 1)])
@pytest.mark.parametrize("bits", [8, 12])
def test_rle_round_trips_eight_bit_data_and_odd_sizes(tmp_path, shape, bits):
    pixels = np.random.default_rng(1).integers(0, 2**bits, shape).astype(np.uint16)
    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "bits_stored": bits}, compress="rle")
    np.testing.assert_array_equal(read_pixels(path), pixels)


def test_rle_file_is_really_compressed(tmp_path):
    flat = np.full((64, 64), 1000, np.uint16)
    plain = write_dicom(tmp_path / "plain.dcm", flat, META)
    rle = write_dicom(tmp_path / "rle.dcm", flat, META, compress="rle")
    assert pydicom.dcmread(rle).file_meta.TransferSyntaxUID == pydicom.uid.RLELossless
    assert rle.stat().st_size < plain.stat().st_size - 4000


def test_integral_rescale_keeps_uint16(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "rescale_slope": 2, "rescale_intercept": 10})
    out = read_pixels(path)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, pixels.astype(np.int64) * 2 + 10)


def test_fractional_rescale_gives_float32(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "rescale_slope": 0.5, "rescale_intercept": -100})
    out = read_pixels(path)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, pixels * 0.5 - 100)


def test_monochrome1_with_rescale_inverts_over_the_rescaled_range(tmp_path):
    stored = np.array([[0, 1, 4095]], np.uint16)
    path = write_dicom(tmp_path / "a.dcm", stored, {**META, "rescale_slope": 2, "rescale_intercept": 0})
    ds = pydicom.dcmread(path)
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(path)
    # range after rescale is 0..8190: v -> 8190 - v
    np.testing.assert_array_equal(read_pixels(path), [[8190, 8188, 0]])


def test_compressed_reference_files_decode_like_the_uncompressed_one():
    """pydicom's own test files, encoded by other tools (JPEG-LS, JPEG 2000, RLE)."""
    base = PYDICOM_FILES / "MR_small.dcm"
    if not base.is_file():
        pytest.skip("pydicom test files not installed")
    expected = read_pixels(base)
    for name in ("MR_small_jpeg_ls_lossless.dcm", "MR_small_jp2klossless.dcm", "MR_small_RLE.dcm"):
        np.testing.assert_array_equal(read_pixels(PYDICOM_FILES / name), expected, err_msg=name)


def _jpeg_lossless_sv1(image: np.ndarray, precision: int) -> bytes:
    """A minimal JPEG Lossless (process 14, selection value 1) encoder, ITU T.81 annex H."""
    x = image.astype(np.int64)
    pred = np.empty_like(x)
    pred[0, 0] = 1 << (precision - 1)
    pred[0, 1:] = x[0, :-1]  # first row: left neighbour
    pred[1:, 0] = x[:-1, 0]  # first column: the sample above
    pred[1:, 1:] = x[1:, :-1]  # predictor 1: left neighbour
    diff = (x - pred) & 0xFFFF
    diff = np.where(diff >= 32768, diff - 65536, diff).ravel()
    bits: list[str] = []
    for d in diff.tolist():
        ssss = 16 if d == -32768 else abs(d).bit_length()
        bits.append(format(ssss, "05b"))  # 17 symbols, all 5-bit codes 0..16
        if 0 < ssss < 16:
            bits.append(format(d if d > 0 else d + (1 << ssss) - 1, f"0{ssss}b"))
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    data = bytearray()
    for i in range(0, len(stream), 8):
        byte = int(stream[i : i + 8], 2)
        data.append(byte)
        if byte == 0xFF:
            data.append(0x00)
    rows, cols = image.shape
    dht = bytes([0xFF, 0xC4, 0, 36, 0x00]) + bytes([0, 0, 0, 0, 17] + [0] * 11) + bytes(range(17))
    size = rows.to_bytes(2, "big") + cols.to_bytes(2, "big")
    sof = bytes([0xFF, 0xC3, 0, 11, precision]) + size + bytes([1, 1, 0x11, 0])
    sos = bytes([0xFF, 0xDA, 0, 8, 1, 1, 0x00, 1, 0, 0])
    return b"\xff\xd8" + dht + sof + sos + bytes(data) + b"\xff\xd9"


def test_jpeg_lossless_process14_sv1_decodes_through_pylibjpeg(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, META)
    ds = pydicom.dcmread(path)
    ds.PixelData = encapsulate([_jpeg_lossless_sv1(pixels, 12)])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    ds.save_as(path)
    np.testing.assert_array_equal(read_pixels(path), pixels)


def test_missing_codec_error_names_file_and_transfer_syntax(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, META)
    ds = pydicom.dcmread(path)
    ds.PixelData = encapsulate([b"\x00" * 64])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no decoder exists
    ds.save_as(path)
    with pytest.raises(DicomError, match=r"a\.dcm: cannot decode pixel data .*1\.2\.840\.10008\.1\.2\.4\.100"):
        read_pixels(path)
    assert read_header(path)["rows"] == 40  # the header still scans


def _bare_dataset(**elements) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"  # secondary capture
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", uid
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 2, 3, 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = np.arange(6, dtype="<u2").tobytes()
    for key, value in elements.items():
        setattr(ds, key, value)
    return ds


def test_missing_tags_give_empty_strings_and_none(tmp_path):
    path = tmp_path / "bare.dcm"
    _bare_dataset().save_as(path, enforce_file_format=True)
    head = read_header(path)
    assert head["image_id"] and head["rows"] == 2 and head["cols"] == 3
    for key in ("patient_id", "study_id", "laterality", "view", "manufacturer", "model_name"):
        assert head[key] == "", key
    for key in ("tube_current_ma", "magnification", "for_presentation", "pixel_spacing_mm"):
        assert head[key] is None, key
    np.testing.assert_array_equal(read_pixels(path), [[0, 1, 2], [3, 4, 5]])


def test_fallback_tags_laterality_view_code_imager_spacing_sop_class(tmp_path):
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "399162004", "SCT", "cranio-caudal"
    ds = _bare_dataset(
        Laterality="R", ViewCodeSequence=[code], ImagerPixelSpacing=[0.1, 0.1], XRayTubeCurrentInuA=62500
    )
    ds.SOPClassUID = MG_FOR_PROCESSING
    path = tmp_path / "fallback.dcm"
    ds.save_as(path, enforce_file_format=True)
    head = read_header(path)
    assert (head["laterality"], head["view"], head["pixel_spacing_mm"]) == ("R", "CC", 0.1)
    assert head["for_presentation"] is False and head["tube_current_ma"] == 62.5


@pytest.mark.filterwarnings("ignore:Invalid value for VR IS")
def test_unparseable_tag_value_is_treated_as_missing(tmp_path):
    path = tmp_path / "bad.dcm"
    _bare_dataset(XRayTubeCurrent="31415", Manufacturer="Lorad").save_as(path, enforce_file_format=True)
    path.write_bytes(path.read_bytes().replace(b"31415", b"abcde"))  # what a broken exporter writes
    head = read_header(path)
    assert head["tube_current_ma"] is None and head["manufacturer"] == "Lorad"


def test_file_without_preamble_is_read(tmp_path):
    path = tmp_path / "nopreamble.dcm"
    ds = _bare_dataset(Manufacturer="Lorad")
    del ds.file_meta
    pydicom.dcmwrite(path, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert not path.read_bytes()[128:132] == b"DICM"
    assert read_header(path)["manufacturer"] == "Lorad"


def test_sixteen_bit_values_choose_sixteen_bits_stored(tmp_path):
    img = np.array([[0, 65535]], np.uint16)
    path = write_dicom(tmp_path / "a.dcm", img, {})
    assert pydicom.dcmread(path).BitsStored == 16
    np.testing.assert_array_equal(read_pixels(path), img)


def test_fractional_tube_current_survives(tmp_path, pixels):
    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "tube_current_ma": 62.5})
    assert read_header(path)["tube_current_ma"] == 62.5


def test_a_catalog_row_with_missing_values_can_be_written_back(tmp_path, pixels):
    from mammostudio.core.catalog import empty_images

    row = empty_images(1)
    for key, value in read_header(write_dicom(tmp_path / "a.dcm", pixels, META, photometric="MONOCHROME1")).items():
        row.loc[0, key] = value
    row.loc[0, ["magnification", "pixel_spacing_mm"]] = pd.NA
    path = write_dicom(tmp_path / "b.dcm", pixels, row.iloc[0])
    head = read_header(path)
    assert head["photometric"] == "MONOCHROME1" and head["image_id"] == META["image_id"]
    assert head["magnification"] is None and head["pixel_spacing_mm"] is None
    np.testing.assert_array_equal(read_pixels(path), pixels)


def test_multi_frame_needs_a_frame_index(tmp_path):
    ds = _bare_dataset(NumberOfFrames=2)
    ds.PixelData = np.arange(12, dtype="<u2").tobytes()
    path = tmp_path / "two.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(DicomError, match="2 frames"):
        read_pixels(path)
    np.testing.assert_array_equal(read_pixels(path, frame=1), [[6, 7, 8], [9, 10, 11]])


def test_header_of_a_dicom_json_document_equals_the_file_header(tmp_path, pixels):
    from mammostudio.core.dicom import header_of, read_dataset

    path = write_dicom(tmp_path / "a.dcm", pixels, {**META, "tube_current_ma": 62.5}, photometric="MONOCHROME1")
    doc = read_dataset(path).to_json_dict()
    assert header_of(Dataset.from_json(doc)) == read_header(path)
    import mammostudio.core.readers.omidb_json as omidb_json
    assert omidb_json.header_from_dicom_json(doc) == read_header(path)  # the OMI-DB reader agrees


@pytest.mark.parametrize("implicit", [False, True])
def test_uncompressed_fast_path_equals_pydicom_including_bits_above_bits_stored(tmp_path, implicit):
    raw = np.array([[0, 4095, 4096 + 7], [65535, 100, 8192 + 4095]], np.uint16)  # garbage above bit 11
    ds = _bare_dataset(BitsStored=12, HighBit=11)
    ds.PixelData = raw.astype("<u2").tobytes()
    if implicit:
        ds.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    path = tmp_path / "garbage.dcm"
    ds.save_as(path, enforce_file_format=True)
    reference = pydicom.dcmread(path).pixel_array
    np.testing.assert_array_equal(read_pixels(path), reference)
    np.testing.assert_array_equal(reference, raw & 4095)


def test_eight_bit_uncompressed_file(tmp_path):
    ds = _bare_dataset(BitsAllocated=8, BitsStored=8, HighBit=7)
    ds.PixelData = bytes([0, 1, 2, 3, 4, 255])
    path = tmp_path / "eight.dcm"
    ds.save_as(path, enforce_file_format=True)
    out = read_pixels(path)
    np.testing.assert_array_equal(out, [[0, 1, 2], [3, 4, 255]])
    assert out.dtype == np.uint16


def test_modality_lut_sequence_agrees_with_pydicom(tmp_path):
    from pydicom.pixels import apply_modality_lut

    stored = np.arange(0, 4096, 64, dtype=np.uint16).reshape(8, 8)
    path = write_dicom(tmp_path / "a.dcm", stored, META)
    ds = pydicom.dcmread(path)
    item = Dataset()
    item.LUTDescriptor = [1024, 512, 16]  # 1024 entries from stored value 512, 16-bit output
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", [int(v) for v in np.linspace(60000, 100, 1024).round()])  # LUTData
    ds.ModalityLUTSequence = [item]
    ds.save_as(path)
    out = read_pixels(path)
    np.testing.assert_array_equal(out, apply_modality_lut(pydicom.dcmread(path).pixel_array, ds))
    assert out.dtype == np.uint16 and out[0, 0] == 60000 and out[-1, -1] == 100
