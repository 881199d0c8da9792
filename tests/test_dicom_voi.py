"""VOI windows and LUTs: DICOM PS3.3 C.11.2.1.2 formulas, MONOCHROME1 order, presets."""
from __future__ import annotations

import math

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.pixels import apply_voi_lut

from mammostudio.core.dicom import apply_voi, read_pixels, voi_info, window, window_presets, write_dicom


def test_linear_window_matches_hand_computed_values():
    # c = 100, w = 21: 0 at or below 89.5, 1 above 109.5, else ((x - 99.5) / 20 + 0.5)
    x = np.array([89, 89.5, 90, 100, 109, 109.5, 110])
    expected = [0, 0, 0.025, 0.525, 0.975, 1.0, 1]
    np.testing.assert_allclose(window(x, 100, 21, "LINEAR"), expected, atol=1e-6)


def test_linear_exact_window_matches_hand_computed_values():
    # c = 100, w = 20: 0 at or below 90, 1 above 110, else (x - 100) / 20 + 0.5
    x = np.array([80, 90, 95, 100, 105, 110, 111])
    np.testing.assert_allclose(window(x, 100, 20, "LINEAR_EXACT"), [0, 0, 0.25, 0.5, 0.75, 1, 1], atol=1e-6)


def test_sigmoid_window_matches_hand_computed_values():
    x = np.array([75.0, 100.0, 125.0])
    expected = [1 / (1 + math.exp(2)), 0.5, 1 / (1 + math.exp(-2))]  # -4 (x - c) / w = +-2
    np.testing.assert_allclose(window(x, 100, 50, "SIGMOID"), expected, atol=1e-6)
    assert window(x, 100, 50, "sigmoid").dtype == np.float32


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_window_agrees_with_pydicom_apply_voi_lut(function):
    """pydicom maps to the stored range 0..4095; ours to 0..1."""
    x = np.arange(0, 4096, 7, dtype=np.uint16).reshape(1, -1)
    ds = Dataset()
    ds.BitsStored, ds.PixelRepresentation, ds.PhotometricInterpretation = 12, 0, "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 1500.0, 801.0, function
    reference = apply_voi_lut(x, ds) / 4095.0
    np.testing.assert_allclose(apply_voi(x, ds), reference, atol=1e-6)


def test_window_rejects_bad_parameters():
    with pytest.raises(ValueError, match="width"):
        window(np.zeros(3), 10, 0.5, "LINEAR")
    with pytest.raises(ValueError, match="width"):
        window(np.zeros(3), 10, 0, "SIGMOID")
    with pytest.raises(ValueError, match="function"):
        window(np.zeros(3), 10, 10, "GAMMA")
    with pytest.raises(ValueError, match="both center and width"):
        apply_voi(np.zeros((2, 2)), center=10)


def _ramp() -> np.ndarray:
    return np.arange(0, 4096, 16, dtype=np.uint16).reshape(16, 16)


@pytest.mark.parametrize("function", ["LINEAR", "LINEAR_EXACT", "SIGMOID"])
def test_monochrome1_window_is_applied_before_inversion(tmp_path, function):
    """Spec 1.4: modality, then the header window on stored values, then invert."""
    dense = _ramp()
    meta = {"window_center": 1200, "window_width": 600, "voi_function": function}
    path = write_dicom(tmp_path / "m1.dcm", dense, meta, photometric="MONOCHROME1")
    stored = pydicom.dcmread(path).pixel_array
    expected = 1.0 - window(stored, 1200, 600, function)
    pixels = read_pixels(path)
    np.testing.assert_allclose(apply_voi(pixels, path), expected, atol=1e-6)
    # the preset, used as an explicit window on bright = dense pixels, gives the same image
    center, width, _ = window_presets(path)[0]
    np.testing.assert_allclose(apply_voi(pixels, center=center, width=width, function=function), expected, atol=1e-6)


def test_monochrome2_header_window_and_presets(tmp_path):
    dense = _ramp()
    meta = {"window_center": [2000, 1000], "window_width": [1000, 500], "window_explanation": ["NORMAL", "HARDER"]}
    path = write_dicom(tmp_path / "m2.dcm", dense, meta)
    presets = window_presets(path)
    assert presets[:2] == [(2000.0, 1000.0, "NORMAL"), (1000.0, 500.0, "HARDER")]
    assert presets[-1][2] == "full range"
    np.testing.assert_allclose(apply_voi(dense, path, index=1), window(dense, 1000, 500), atol=1e-6)
    full = apply_voi(np.array([[0, 1, 4094, 4095]]), center=presets[-1][0], width=presets[-1][1])
    np.testing.assert_allclose(full, [[0, 1 / 4095, 4094 / 4095, 1]], atol=1e-6)
    with pytest.raises(ValueError, match="index 5"):
        apply_voi(dense, path, index=5)


def test_no_window_stretches_data_range():
    img = np.array([[100, 200], [300, 500]], np.uint16)
    out = apply_voi(img)
    np.testing.assert_allclose(out, [[0, 0.25], [0.5, 1]], atol=1e-6)
    assert out.dtype == np.float32


def _with_voi_lut(path):
    ds = pydicom.dcmread(path)
    item = Dataset()
    item.LUTDescriptor = [256, 1000, 16]  # 256 entries starting at stored value 1000
    item.LUTData = (np.linspace(0, 1, 256) ** 2 * 65535).round().astype("<u2").tobytes()  # OW
    ds.VOILUTSequence = [item]
    ds.save_as(path)
    return ds


def test_voi_lut_sequence_agrees_with_pydicom(tmp_path):
    dense = _ramp()
    path = write_dicom(tmp_path / "lut.dcm", dense, {"window_center": 500, "window_width": 100})
    ds = _with_voi_lut(path)
    reference = apply_voi_lut(dense, ds, prefer_lut=True) / 65535.0
    out = apply_voi(read_pixels(path), path)
    np.testing.assert_allclose(out, reference, atol=1e-6)
    assert out[0, 0] == 0.0 and out[-1, -1] == 1.0  # clamped below / above the LUT
    # the window is still reachable when the LUT is not preferred
    np.testing.assert_allclose(apply_voi(dense, path, prefer_lut=False), window(dense, 500, 100), atol=1e-6)
    assert len(voi_info(path).luts) == 1


def test_user_invert_comes_last_and_composes_with_monochrome1(tmp_path):
    dense = _ramp()
    path = write_dicom(tmp_path / "m1.dcm", dense, {"window_center": 1200, "window_width": 600},
                       photometric="MONOCHROME1")
    shown = apply_voi(read_pixels(path), path)
    np.testing.assert_allclose(apply_voi(read_pixels(path), path, invert=True), 1 - shown, atol=1e-6)
    # bright = dense: with the window 900..1500 the densest pixel is white, the least dense black
    assert shown[-1, -1] == 1.0 and shown[0, 0] == 0.0


def test_unusable_header_windows_are_skipped():
    ds = Dataset()
    ds.BitsStored, ds.PixelRepresentation, ds.PhotometricInterpretation = 12, 0, "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = [100.0, 2000.0], [0.0, 400.0]  # first: zero width
    info = voi_info(ds)
    assert (info.centers, info.widths) == ((2000.0,), (400.0,))
    ds.WindowWidth = 400.0  # one width for two centres: only the first pair is usable
    assert voi_info(ds).centers == (100.0,)
