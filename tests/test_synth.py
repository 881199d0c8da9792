"""The synthetic mammogram generator of the demo dataset."""
from __future__ import annotations


import numpy as np
import pytest
from scipy import ndimage

from mammostudio.core.demo.synth import LesionSpec, synthesize_mammogram
from mammostudio.core.demo.synth_fields import powerlaw_field, resize_bilinear, spectrum_slope
from mammostudio.core.images import read_pgm

SMALL = {"rows": 384, "cols": 312}


def _ring(mask_shape, box, width):
    """Pixels around a box (a frame ``width`` wide outside it)."""
    r0, c0, r1, c1 = box
    outer = np.zeros(mask_shape, bool)
    outer[max(r0 - width, 0):r1 + width + 1, max(c0 - width, 0):c1 + width + 1] = True
    outer[r0:r1 + 1, c0:c1 + 1] = False
    return outer


def test_same_generator_state_gives_the_same_image():
    a = synthesize_mammogram(np.random.default_rng(7), view="MLO", lesions=["spiculated"], **SMALL)
    b = synthesize_mammogram(np.random.default_rng(7), view="MLO", lesions=["spiculated"], **SMALL)
    c = synthesize_mammogram(np.random.default_rng(8), view="MLO", lesions=["spiculated"], **SMALL)
    np.testing.assert_array_equal(a.pixels, b.pixels)
    assert a.lesions == b.lesions
    assert not np.array_equal(a.pixels, c.pixels)


@pytest.mark.parametrize("rows, cols", [(100, 90), (700, 500), (1100, 900), (600, 900)])
def test_any_image_size_renders_with_mask_matching_pixels(rows, cols):
    m = synthesize_mammogram(4, rows=rows, cols=cols, view="MLO", lesions=["mass"])
    assert m.pixels.shape == m.breast_mask.shape == (rows, cols)
    np.testing.assert_array_equal(m.breast_mask, m.pixels > 0)
    assert m.breast_mask[:, 0].any() and not m.breast_mask[:, -1].any()


def test_pixels_are_12_bit_with_air_exactly_zero():
    m = synthesize_mammogram(1, view="CC", laterality="L", **SMALL)
    assert m.pixels.dtype == np.uint16 and m.pixels.shape == (384, 312)
    assert m.breast_mask.dtype == bool
    assert m.pixels.max() <= 4095
    np.testing.assert_array_equal(m.breast_mask, m.pixels > 0)
    assert 0.3 < m.breast_mask.mean() < 0.9
    # Breast pixels are well above 0, so the paper's mask (normalised > 0) recovers the breast.
    assert m.pixels[m.breast_mask].min() >= 200


@pytest.mark.parametrize("view", ["CC", "MLO"])
def test_lesion_boxes_lie_inside_the_breast(view):
    for seed in range(4):
        m = synthesize_mammogram(seed, view=view, lesions=["mass", "calcification", "mass+calcification"], **SMALL)
        assert [les["type"] for les in m.lesions] == ["mass", "calcification", "mass+calcification"]
        for les in m.lesions:
            r0, c0, r1, c1 = les["box"]
            assert 0 <= r0 <= r1 < 384 and 0 <= c0 <= c1 < 312
            assert m.breast_mask[r0:r1 + 1, c0:c1 + 1].all()
            if m.pectoral_mask is not None:
                assert not m.pectoral_mask[r0:r1 + 1, c0:c1 + 1].any()


@pytest.mark.parametrize("shape", ["round", "oval", "lobulated", "spiculated"])
def test_masses_are_brighter_than_the_tissue_around_them(shape):
    for seed in range(3):
        m = synthesize_mammogram(seed, rows=768, cols=624, lesions=[LesionSpec("mass", shape=shape, size_mm=16)],
                                 density="B")
        les = m.lesions[0]
        assert les["shape"] == shape
        cy, cx = les["center"]
        r = 4
        core = m.pixels[cy - r:cy + r + 1, cx - r:cx + r + 1].astype(float).mean()
        ring = _ring(m.pixels.shape, les["box"], 12) & m.breast_mask
        assert core > np.median(m.pixels[ring]) + 100, (shape, seed)


def test_calcifications_are_small_bright_specks():
    m = synthesize_mammogram(3, rows=1024, cols=832, lesions=["calcification"], density="C")
    r0, c0, r1, c1 = m.lesions[0]["box"]
    inside = m.pixels[r0:r1 + 1, c0:c1 + 1].astype(float)
    breast = m.pixels[m.breast_mask].astype(float)
    assert inside.max() > np.percentile(breast, 99.9)
    bright = inside > np.percentile(breast, 99.5)
    labels, n = ndimage.label(bright)
    sizes = np.bincount(labels.ravel())[1:]
    assert n >= 3 and np.median(sizes) < 40  # several specks, each a few pixels


def test_pectoral_muscle_appears_only_on_mlo_views():
    for seed in range(3):
        mlo = synthesize_mammogram(seed, view="MLO", laterality="L", density="B", **SMALL)
        cc = synthesize_mammogram(seed, view="CC", laterality="L", density="B", **SMALL)
        assert cc.pectoral_mask is None and mlo.pectoral_mask.any()
        corner = (slice(0, 30), slice(0, 20))  # upper chest-wall corner
        breast_median = np.median(mlo.pixels[mlo.breast_mask])
        assert mlo.pixels[corner].mean() > 1.25 * breast_median
        assert mlo.pixels[corner].mean() > 1.25 * cc.pixels[corner].mean()


def test_chest_wall_side_follows_laterality():
    left = synthesize_mammogram(5, view="MLO", laterality="L", lesions=["mass"], **SMALL)
    right = synthesize_mammogram(5, view="MLO", laterality="R", lesions=["mass"], **SMALL)
    assert left.breast_mask[:, 0].mean() > 0.5 and not left.breast_mask[:, -1].any()
    assert right.breast_mask[:, -1].mean() > 0.5 and not right.breast_mask[:, 0].any()
    np.testing.assert_array_equal(right.pixels, left.pixels[:, ::-1])
    (r0, c0, r1, c1), cols = left.lesions[0]["box"], 312
    assert right.lesions[0]["box"] == (r0, cols - 1 - c1, r1, cols - 1 - c0)
    assert right.pectoral_mask[:10, -10:].all()


def _central_roi(pixels, mask, n):
    dist = ndimage.distance_transform_edt(mask[::4, ::4])  # coarse is enough to find the middle
    r, c = (4 * v for v in np.unravel_index(np.argmax(dist), dist.shape))
    r0 = int(np.clip(r - n // 2, 0, pixels.shape[0] - n))
    c0 = int(np.clip(c - n // 2, 0, pixels.shape[1] - n))
    assert mask[r0:r0 + n, c0:c0 + n].mean() > 0.99  # (almost) all breast
    return pixels[r0:r0 + n, c0:c0 + n]


def test_texture_spectrum_slope_matches_real_mini_mias(mias_dir):
    real = []
    for name in ["mdb001", "mdb005", "mdb010", "mdb013", "mdb019", "mdb023", "mdb028", "mdb032"]:
        img = read_pgm(mias_dir / f"{name}.pgm")
        mask = ndimage.binary_erosion(img > 40, iterations=20)
        real.append(spectrum_slope(_central_roi(img, mask, 256)))
    ours = []
    for seed, density in enumerate("ABCD"):
        m = synthesize_mammogram(seed, rows=1024, cols=832, view="CC", density=density)
        mask = ndimage.binary_erosion(m.breast_mask, iterations=20)
        ours.append(spectrum_slope(_central_roi(m.pixels, mask, 256)))
    lo, hi = np.mean(real) - 2 * np.std(real), np.mean(real) + 2 * np.std(real)
    assert 2.0 < np.mean(real) < 3.6  # mammograms: beta about 3 (Burgess et al. 2001)
    assert lo < np.mean(ours) < hi, (ours, real)
    assert all(1.8 < b < 3.8 for b in ours)


def test_powerlaw_field_has_the_requested_slope():
    field = powerlaw_field(np.random.default_rng(0), (256, 256), 3.0)
    assert abs(spectrum_slope(field, f_min=1 / 64, f_max=1 / 4) - 3.0) < 0.3
    white = np.random.default_rng(1).standard_normal((256, 256))
    assert abs(spectrum_slope(white)) < 0.3
    # stretch: features long along the requested direction (here the row axis).
    fibres = powerlaw_field(np.random.default_rng(2), (256, 256), 3.0, stretch=6.0, angle=0.0)
    along, across = np.diff(fibres, axis=0).std(), np.diff(fibres, axis=1).std()
    assert along < 0.5 * across


def test_resize_bilinear_matches_scipy_zoom():
    a = np.random.default_rng(0).random((13, 9)).astype(np.float32)
    ref = ndimage.zoom(a, 4, order=1, grid_mode=True, mode="nearest")[:50, :35]
    np.testing.assert_allclose(resize_bilinear(a, (50, 35)), ref, atol=1e-5)


def test_lesions_given_in_several_forms_and_bad_input_is_named():
    m = synthesize_mammogram(2, lesions=[LesionSpec("calcification"), {"kind": "mass", "shape": "lobulated"},
                                         "spiculated"], **SMALL)
    assert [(x["type"], x["shape"]) for x in m.lesions] == [("calcification", "cluster"), ("mass", "lobulated"),
                                                           ("mass", "spiculated")]
    assert all(x["status"] in {"B2", "B3", "B4", "B5"} for x in m.lesions)
    assert len(synthesize_mammogram(2, lesions=2, **SMALL).lesions) == 2
    assert [x["type"] for x in synthesize_mammogram(2, lesions="calcification", **SMALL).lesions] == ["calcification"]
    with pytest.raises(ValueError, match="view"):
        synthesize_mammogram(0, view="ML", **SMALL)
    with pytest.raises(ValueError, match="lesion kind"):
        synthesize_mammogram(0, lesions=["tumour"], **SMALL)
    with pytest.raises(ValueError, match="does not fit"):
        synthesize_mammogram(0, lesions=[LesionSpec("mass", size_mm=400)], **SMALL)


@pytest.mark.slow
def test_full_size_image_has_the_demo_builds_size_and_lesions():
    # Its speed (about 0.25 s of CPU on an idle core) is a figure of benchmarks/synth.py.
    m = synthesize_mammogram(0, view="MLO", lesions=["spiculated", "calcification"])
    assert m.pixels.shape == (2048, 1664)
    assert sorted(x["type"] for x in m.lesions) == ["calcification", "mass"]


def test_views_of_one_patient_share_density_and_breast_size():
    widths, densities = [], set()
    for seed, (view, lat) in enumerate([("CC", "L"), ("CC", "R"), ("MLO", "L"), ("MLO", "R")]):
        m = synthesize_mammogram(seed, view=view, laterality=lat, patient=42, **SMALL)
        cols = np.nonzero(m.breast_mask.any(axis=0))[0]
        widths.append(cols.max() - cols.min() + 1)
        densities.add(m.density)
    assert len(densities) == 1
    assert max(widths) - min(widths) <= 0.12 * max(widths)
    assert synthesize_mammogram(0, patient=42, density="D", **SMALL).density == "D"


def test_distortion_and_asymmetry_on_request_use_catalog_vocabulary():
    from mammostudio.core.catalog import normalise_lesion_type

    m = synthesize_mammogram(6, rows=768, cols=624, lesions=["architectural distortion", "asymmetry"], density="B")
    assert [x["type"] for x in m.lesions] == ["architectural distortion", "focal asymmetry"]
    for les in m.lesions:
        assert normalise_lesion_type(les["type"]) == les["type"]
        r0, c0, r1, c1 = les["box"]
        assert m.breast_mask[r0:r1 + 1, c0:c1 + 1].all()
        ring = _ring(m.pixels.shape, les["box"], 12) & m.breast_mask
        cy, cx = les["center"]
        assert m.pixels[cy - 3:cy + 4, cx - 3:cx + 4].mean() > np.percentile(m.pixels[ring], 25)
    # Random draws stay masses and calcifications.
    rng = np.random.default_rng(0)
    from mammostudio.core.demo.synth import random_lesion_specs
    assert {s.kind for s in random_lesion_specs(rng, 200)} == {"mass", "calcification", "mass+calcification"}
