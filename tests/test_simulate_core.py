"""Lesion insertion engine: templates, blending, placement, seam scores (no files)."""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.core.simulate import (METHODS, auto_place, estimate_support, insert_lesion, parametric_template,
                                       patch_template, rescale_template, seam_scores, spectral_slope)
from mammostudio.core.simulate.blend import poisson_correction
from mammostudio.core.simulate.seam import ring_gradient_ratio


def _tissue(rng, shape=(256, 256), beta=3.0):
    """A 1/f^beta random field scaled to 1000..3000 (uint16), like breast texture."""
    f = np.hypot(np.fft.fftfreq(shape[0])[:, None], np.fft.fftfreq(shape[1])[None, :])
    f[0, 0] = 1.0
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * f ** (-beta / 2)
    spec[0, 0] = 0
    field = np.real(np.fft.ifft2(spec))
    field = (field - field.min()) / np.ptp(field)
    return (1000 + 2000 * field).astype(np.uint16)


def _disc(shape=(48, 48), radius=12, level=200, background=60, rng=None):
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    inside = np.hypot(yy - shape[0] / 2, xx - shape[1] / 2) <= radius
    img = np.where(inside, level, background).astype(np.float32)
    if rng is not None:
        img += rng.normal(0, 5, shape)
    return np.clip(img, 0, 255).astype(np.uint8), inside


def test_additive_insert_changes_only_the_window_by_contrast_times_signal():
    image = _tissue(np.random.default_rng(0))
    t = parametric_template("round", spacing_mm=0.2, seed=1, size_mm=8.0)
    ins = insert_lesion(image, t, (128, 128), contrast=0.5, unit=2000.0)
    out = image.copy()
    ins.apply(out)
    r0, c0, r1, c1 = ins.window
    changed = out.astype(np.int64) - image
    assert not changed[:r0].any() and not changed[r1:].any() and not changed[:, :c0].any() and not changed[:, c1:].any()
    expected = image[r0:r1, c0:c1] + 0.5 * 2000.0 * t.signal
    assert np.abs(out[r0:r1, c0:c1] - expected).max() <= 0.5 + 1e-3


def test_undo_restores_the_image_bit_for_bit():
    image = _tissue(np.random.default_rng(1))
    work = image.copy()
    for method in METHODS:
        ins = insert_lesion(work, parametric_template("spiculated", spacing_mm=0.2, seed=2), (120, 140),
                            method=method, unit=2000.0, out=work)
        assert not np.array_equal(work, image)
        ins.undo(work)
        assert np.array_equal(work, image)


def test_lesion_near_the_edge_is_cut_not_refused():
    image = _tissue(np.random.default_rng(2), (128, 128))
    ins = insert_lesion(image, parametric_template("round", spacing_mm=0.2, seed=3, size_mm=10.0), (2, 126),
                        unit=2000.0)
    r0, c0, r1, c1 = ins.window
    assert r0 == 0 and c1 == 128 and ins.after.shape == (r1 - r0, c1 - c0)
    with pytest.raises(ValueError, match="outside"):
        insert_lesion(image, parametric_template("round", spacing_mm=0.2, seed=3), (-500, -500), unit=1.0)


def test_rescale_keeps_the_physical_size_in_mm():
    t = parametric_template("round", spacing_mm=0.1, seed=4, size_mm=6.0)
    finer = rescale_template(t, 0.05)
    b0, b1 = t.box(), finer.box()
    mm0 = (b0[2] - b0[0] + 1) * 0.1
    mm1 = (b1[2] - b1[0] + 1) * 0.05
    assert abs(mm1 - mm0) <= 0.15
    assert finer.spacing_mm == 0.05
    bigger = rescale_template(t, 0.1, scale=1.5)
    assert abs(bigger.shape[0] - round(t.shape[0] * 1.5)) <= 1
    # integral of the signal scales with the area
    assert bigger.signal.sum() == pytest.approx(t.signal.sum() * 1.5 ** 2, rel=0.03)


def test_rescale_equals_the_project_resize_when_enlarging():
    from mammostudio.core.imageops import resize_image

    t = parametric_template("lobulated", spacing_mm=0.2, seed=6)
    big = rescale_template(t, 0.2, scale=1.7)
    ref = resize_image(t.signal, big.shape)
    np.testing.assert_allclose(big.signal[2:-2, 2:-2], ref[2:-2, 2:-2], atol=1e-5)


def test_blends_that_clone_pixels_refuse_a_template_without_its_patch():
    t = rescale_template(parametric_template("round", spacing_mm=0.2, seed=1), 0.1, with_patch=False)
    assert t.patch is None
    image = _tissue(np.random.default_rng(3))
    insert_lesion(image, t, (128, 128), unit=2000.0)  # additive needs no patch
    with pytest.raises(ValueError, match="patch"):
        insert_lesion(image, t, (128, 128), method="paste", unit=2000.0)


def test_poisson_correction_reproduces_a_difference_that_vanishes_on_the_border():
    rng = np.random.default_rng(5)
    diff = np.zeros((40, 50))
    diff[1:-1, 1:-1] = rng.normal(size=(38, 48))
    u = poisson_correction(diff, np.ones_like(diff))
    np.testing.assert_allclose(u, diff, atol=1e-8)


def test_estimated_support_finds_a_bright_disc_on_noise():
    patch, truth = _disc(rng=np.random.default_rng(6))
    mask = estimate_support(patch)
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.85


def test_patch_template_removes_the_background_and_keeps_the_lesion():
    patch, truth = _disc(rng=np.random.default_rng(7))
    t = patch_template(patch, spacing_mm=0.1, kind="mass", source={"type": "patch", "patch_id": "x"})
    assert t.signal[t.support == 0].max() == 0
    inside = t.signal[truth].mean()
    assert inside == pytest.approx((200 - 60) / 255, abs=0.08)
    assert t.source["patch_id"] == "x" and t.kind == "mass"


def test_given_mask_is_used_instead_of_the_estimate():
    patch, truth = _disc(rng=np.random.default_rng(8))
    square = np.zeros_like(truth)
    square[8:18, 8:18] = True
    t = patch_template(patch, spacing_mm=0.1, mask=square)
    assert t.support[13, 13] == 1.0 and t.support[36, 36] == 0.0


def test_support_fades_to_zero_at_the_crop_border():
    patch, _ = _disc((40, 40), radius=18, rng=np.random.default_rng(9))  # a tight crop: the box
    t = patch_template(patch, spacing_mm=0.1)
    assert t.support[[0, -1]].max() == 0 and t.support[:, [0, -1]].max() == 0 and t.support[20, 20] > 0.9


def test_auto_place_keeps_the_margin_from_skin_and_other_boxes():
    yy, xx = np.mgrid[0:400, 0:300]
    mask = np.hypot(yy - 200, xx) < 250  # a half-disc breast, chest wall on the left
    existing = np.array([[150, 20, 250, 120]])
    rng = np.random.default_rng(9)
    from scipy import ndimage

    inner = ndimage.binary_erosion(mask, iterations=20)
    for _ in range(20):
        r, c = auto_place(mask, existing, (31, 31), rng, margin=20)
        assert inner[r - 15:r + 16, c - 15:c + 16].all()
        assert not (r + 15 >= 150 - 20 and r - 15 <= 250 + 20 and c + 15 >= 20 - 20 and c - 15 <= 120 + 20)
    assert auto_place(mask, existing, (600, 600), rng, margin=20) is None


def test_auto_place_is_deterministic_for_a_seed():
    mask = np.ones((300, 300), bool)
    a = auto_place(mask, [], (21, 21), np.random.default_rng(3), margin=5)
    b = auto_place(mask, [], (21, 21), np.random.default_rng(3), margin=5)
    assert a == b


def test_ring_gradient_is_one_untouched_and_high_for_a_hard_paste():
    image = _tissue(np.random.default_rng(10)).astype(np.float64)
    support = np.zeros((80, 80), np.float32)
    support[20:60, 20:60] = 1.0
    window = image[88:168, 88:168]
    assert ring_gradient_ratio(window, window, support) == pytest.approx(1.0)
    pasted = window.copy()
    pasted[20:60, 20:60] = window.max() + 500
    assert ring_gradient_ratio(window, pasted, support) > 5


def test_additive_blend_leaves_no_seam_and_paste_does_on_texture():
    image = _tissue(np.random.default_rng(11), (384, 384))
    t = parametric_template("round", spacing_mm=0.2, seed=12, size_mm=8.0)
    scores = {}
    for method in ("additive", "paste"):
        ins = insert_lesion(image, t, (192, 192), method=method, unit=2000.0)
        after = image.copy()
        ins.apply(after)
        scores[method] = seam_scores(image, after, ins)
    assert abs(scores["additive"]["ring_gradient"] - 1) < abs(scores["paste"]["ring_gradient"] - 1)
    assert set(scores["additive"]) == {"ring_gradient", "slope_insert", "slope_surround", "slope_delta",
                                       "slope_delta_before"}


@pytest.mark.parametrize("beta", [2.0, 3.0])
def test_spectral_slope_recovers_the_exponent_of_a_power_law_field(beta):
    field = _tissue(np.random.default_rng(13), (128, 128), beta=beta)
    assert spectral_slope(field) == pytest.approx(beta, abs=0.35)


def test_parametric_template_is_the_same_for_the_same_seed():
    a = parametric_template("spiculated", spacing_mm=0.2, seed=5)
    b = parametric_template("spiculated", spacing_mm=0.2, seed=5)
    c = parametric_template("spiculated", spacing_mm=0.2, seed=6)
    assert np.array_equal(a.signal, b.signal) and not np.array_equal(a.signal, c.signal)
    assert a.source["seed"] == 5 and a.kind == "mass"


def _lin_file(tmp_path, pixels):
    import pydicom

    from mammostudio.core.dicom import write_dicom

    path = write_dicom(tmp_path / "raw.dcm", pixels, {"for_presentation": False, "pixel_spacing_mm": 0.2},
                       photometric="MONOCHROME1")
    ds = pydicom.dcmread(path)
    ds.PixelIntensityRelationship, ds.PixelIntensityRelationshipSign = "LIN", 1
    ds.save_as(path)
    return path


def test_lin_raw_images_are_blended_in_attenuation(tmp_path):
    from mammostudio.core.images import load_pixels
    from mammostudio.core.simulate.domain import IntensityDomain, domain_of
    from mammostudio.core.simulate.session import SimulationSession
    from mammostudio.core.simulate.sources import parametric_items

    intensity = (4095 - _tissue(np.random.default_rng(14), (200, 200)) // 2).astype(np.uint16)  # raw: I stored
    path = _lin_file(tmp_path, intensity)
    row = {"image_id": "raw", "path": str(path), "format": "dicom", "pixel_spacing_mm": 0.2, "patient_id": "p"}
    domain = domain_of(row)
    assert isinstance(domain, IntensityDomain) and domain.inverted
    loaded = load_pixels(row)  # MONOCHROME1 inverted: bright = dense = less intensity
    np.testing.assert_allclose(domain.inverse(domain.forward(loaded)), loaded, rtol=1e-5)
    s = SimulationSession(row, loaded)
    le = s.place(parametric_items(("round",))[0], (100, 100), size_mm=8.0)
    r0, c0, r1, c1 = le.insertion.window
    got = domain.intensity(s.image[r0:r1, c0:c1]) / domain.intensity(loaded[r0:r1, c0:c1])
    want = np.exp(-s.unit * le.template.signal)  # Beer-Lambert: the lesion multiplies the intensity
    inside = le.template.signal > 0.02
    np.testing.assert_allclose(got[inside], want[inside], rtol=0.02)
    assert (s.image[r0:r1, c0:c1][inside] >= loaded[r0:r1, c0:c1][inside]).all()  # denser = brighter
    assert s.records()[0]["domain"].startswith("log")


def test_log_type_images_have_no_domain(tmp_path):
    from mammostudio.core.dicom import write_dicom
    from mammostudio.core.simulate.domain import domain_of

    path = write_dicom(tmp_path / "p.dcm", np.full((16, 16), 100, np.uint16))
    assert domain_of({"path": str(path), "format": "dicom"}) is None
    assert domain_of({"path": "x.pgm", "format": "pgm"}) is None
