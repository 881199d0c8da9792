"""Tissue patches (paper Algorithm 1 lines 11-21): validity, variety rule, rounds, exhaustive mode, audit.

Validity is checked against ``_msk`` / ``_gt`` images made by the preprocessing
module and saved as PNG, then read back: not against the sampler's own arrays.
"""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.core import images, preprocess
from mammostudio.core.patches import ExtractParams, audit_image, image_rng, valid_positions
from mammostudio.core.patches.prepared import prepare
from mammostudio.core.patches.tissue import sample_tissue


def _saved_mask_and_gt(tmp_path, raw, boxes):
    """The paper's _msk and _gt images, written to disk and read back."""
    norm = preprocess.normalise_uint8(raw)
    images.write_png(tmp_path / "img_msk.png", (preprocess.breast_mask(norm) > 0).astype(np.uint8) * 255)
    images.write_png(tmp_path / "img_gt.png", preprocess.ground_truth(raw.shape, boxes))
    return norm, images.read_png(tmp_path / "img_msk.png"), images.read_png(tmp_path / "img_gt.png")


def _phantom(rng, shape=(256, 320), radius=None):
    """A half-disc 'breast' of textured 12-bit tissue on a zero background."""
    rows, cols = shape
    rr, cc = np.mgrid[:rows, :cols]
    radius = radius or 0.9 * min(rows / 2, cols)
    inside = (rr - rows / 2) ** 2 + cc**2 < radius**2
    img = np.where(inside, 800 + rng.integers(0, 3000, size=shape), 0)
    return img.astype(np.uint16)


@pytest.mark.parametrize("exhaustive", [False, True])
def test_tissue_patch_lies_inside_saved_mask_and_outside_every_saved_box(tmp_path, exhaustive):
    rng = np.random.default_rng(0)
    raw = _phantom(rng)
    boxes = np.array([[100, 30, 140, 70], [60, 120, 61, 200]])  # one thin box: inclusive ends matter
    params = ExtractParams.tiny().with_(exhaustive=exhaustive, n_tissue=25, rounds=20)
    res = sample_tissue(prepare(raw), boxes, params, image_rng(0, "phantom"))
    norm, msk, gt = _saved_mask_and_gt(tmp_path, raw, boxes)
    s = params.patch_size
    assert len(res.patches) >= 10
    for (r, c), patch in zip(res.positions, res.patches):
        assert (msk[r : r + s, c : c + s] == 255).all()
        assert (gt[r : r + s, c : c + s] == 0).all()
        np.testing.assert_array_equal(patch, norm[r : r + s, c : c + s])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16, np.float32])
def test_prepared_image_matches_preprocessing_for_every_dtype(dtype):
    rng = np.random.default_rng(11)
    raw = rng.integers(-300 if dtype == np.int16 else 3, 250 if dtype == np.uint8 else 4000, size=(40, 50))
    raw = raw.astype(dtype) * (dtype(1.37) if dtype == np.float32 else 1)
    norm = preprocess.normalise_uint8(raw)
    for threshold in (0, 40):
        prep = prepare(raw, threshold=threshold)
        np.testing.assert_array_equal(prep.normalised(0, 40, 0, 50), norm)
        np.testing.assert_array_equal(prep.full_mask(), preprocess.breast_mask(norm, threshold=threshold))
        np.testing.assert_array_equal(prep.normalised(5, 20, 7, 31), norm[5:20, 7:31])
        assert prep.inside(3, 4, 10) == bool(preprocess.breast_mask(norm, threshold=threshold)[3:13, 4:14].all())


def test_valid_positions_equal_brute_force_on_saved_images(tmp_path):
    rng = np.random.default_rng(1)
    raw = _phantom(rng, (96, 80), radius=70)
    boxes = np.array([[40, 10, 40, 10], [70, 50, 90, 79]])
    _, msk, gt = _saved_mask_and_gt(tmp_path, raw, boxes)
    s = 16
    valid = valid_positions(prepare(raw), boxes, s)
    brute = np.array([[(msk[r : r + s, c : c + s] == 255).all() and (gt[r : r + s, c : c + s] == 0).all()
                       for c in range(80 - s + 1)] for r in range(96 - s + 1)])
    np.testing.assert_array_equal(valid, brute)
    assert brute.any() and not brute.all()


def test_patches_with_fewer_than_30_values_are_dropped_and_audited(tmp_path):
    rng = np.random.default_rng(2)
    raw = _phantom(rng, (256, 256), radius=250)
    raw[:, :128] = np.where(raw[:, :128] > 0, 1000 + rng.integers(0, 5, size=(256, 128)) * 700, 0)
    raw[0, 200] = 4095  # keep the stretch wide so the flat half stays at a few values
    params = ExtractParams.tiny().with_(patch_size=64, n_tissue=10, min_unique=30)
    audit = audit_image(raw, None, np.zeros((0, 4)), params, seed=5, image_id="flat")
    res = sample_tissue(prepare(raw), np.zeros((0, 4)), params, image_rng(5, "flat"))
    assert (audit["reason"] == "low variety").any()
    for patch in res.patches:
        assert len(np.unique(patch)) >= 30
    dropped = audit[audit["reason"] == "low variety"]
    assert (dropped["n_unique"] < 30).all()
    # paper rule: a dropped patch still counted towards the stop at n_tissue
    valid = audit[audit["reason"].isin(["", "low variety"])]
    assert len(valid) == params.n_tissue and len(res.patches) == params.n_tissue - len(dropped)
    keep_all = sample_tissue(prepare(raw), np.zeros((0, 4)), params.with_(min_unique=0), image_rng(5, "flat"))
    assert len(keep_all.patches) == params.n_tissue


def test_every_round_draws_fresh_candidates_and_stops_after_the_last_round():
    rng = np.random.default_rng(3)
    raw = _phantom(rng, (200, 200), radius=30)  # tiny breast: every round runs
    params = ExtractParams.tiny()
    audit = audit_image(raw, None, np.zeros((0, 4)), params, seed=0, image_id="x")
    assert sorted(audit["round"].unique()) == list(range(params.rounds))
    per_round = [set(zip(g["row"], g["col"])) for _, g in audit.groupby("round")]
    assert all(len(g) == params.candidates_per_round for _, g in audit.groupby("round"))
    assert per_round[0] != per_round[1] and len(per_round[0] & per_round[1]) < 5


def test_exhaustive_mode_fills_a_small_breast_that_random_rounds_miss():
    rng = np.random.default_rng(4)
    raw = np.zeros((400, 400), np.uint16)
    raw[200:250, 300:350] = 500 + rng.integers(0, 2000, size=(50, 50))
    params = ExtractParams.tiny()
    paper = sample_tissue(prepare(raw), np.zeros((0, 4)), params, image_rng(0, "a"))
    full = sample_tissue(prepare(raw), np.zeros((0, 4)), params.with_(exhaustive=True), image_rng(0, "a"))
    assert len(paper.patches) < params.n_tissue
    assert len(full.patches) == params.n_tissue


def test_audit_replays_the_extraction_and_names_every_reason():
    rng = np.random.default_rng(6)
    raw = (800 + rng.integers(0, 3000, size=(256, 256))).astype(np.uint16)
    raw[:, :40] = 0  # background
    raw[:100, 150:] = 2000  # flat: low variety
    boxes = np.array([[150, 60, 200, 120]])
    params = ExtractParams.tiny().with_(n_tissue=40, rounds=5, candidates_per_round=100)
    audit = audit_image(raw, None, boxes, params, seed=9, image_id="fig2")
    res = sample_tissue(prepare(raw), boxes, params, image_rng(9, "fig2"))
    assert set(audit["reason"]) == {"", "background", "lesion overlap", "low variety"}
    accepted = audit[audit["accepted"]]
    assert list(zip(accepted["row"], accepted["col"])) == res.positions
    assert (audit.loc[~audit["accepted"], "reason"] != "").all()
    assert list(audit.columns[:5]) == ["row", "col", "size", "accepted", "reason"]


def test_image_stream_depends_only_on_seed_and_image_id():
    a = image_rng(7, "1.2.3").integers(0, 1 << 30, size=5)
    assert (a == image_rng(7, "1.2.3").integers(0, 1 << 30, size=5)).all()
    assert (a != image_rng(8, "1.2.3").integers(0, 1 << 30, size=5)).any()
    assert (a != image_rng(7, "1.2.4").integers(0, 1 << 30, size=5)).any()
    with pytest.raises(ValueError, match="seed"):
        image_rng(-1, "x")


def test_small_and_all_background_images_give_no_patch_and_say_why():
    params = ExtractParams.tiny()
    small = sample_tissue(prepare(np.arange(20 * 20, dtype=np.uint16).reshape(20, 20)), [], params,
                          image_rng(0, "s"))
    assert small.patches == [] and "smaller than" in small.note
    empty = sample_tissue(prepare(np.zeros((64, 64), np.uint16)), [], params, image_rng(0, "e"))
    assert empty.patches == [] and "background" in empty.note
    covered = np.full((64, 64), 1000, np.uint16)
    covered[0, 0] = 0
    crowded = sample_tissue(prepare(covered), [[0, 0, 63, 63]], params.with_(exhaustive=True), image_rng(0, "c"))
    assert crowded.patches == [] and "no valid position" in crowded.note


def test_mask_threshold_follows_preprocessing_breast_mask(tmp_path):
    rng = np.random.default_rng(8)
    raw = _phantom(rng, (160, 160), radius=150)
    raw[raw == 0] = rng.integers(1, 200, size=int((raw == 0).sum()))  # noisy film background
    params = ExtractParams.tiny().with_(mask_threshold=20, exhaustive=True, n_tissue=30)
    res = sample_tissue(prepare(raw, threshold=20), [], params, image_rng(0, "film"))
    norm = preprocess.normalise_uint8(raw)
    msk = preprocess.breast_mask(norm, threshold=20)
    assert not msk.all() and len(res.positions) == 30
    for r, c in res.positions:
        assert msk[r : r + 32, c : c + 32].all()


def test_bad_parameters_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="patch_size"):
        ExtractParams(patch_size=0)
    with pytest.raises(ValueError, match="lesion_mode"):
        ExtractParams(lesion_mode="zoom")
    with pytest.raises(ValueError, match="min_unique"):
        ExtractParams(min_unique=-1)
    assert ExtractParams.from_json(ExtractParams.tiny().to_json(tmp_path / "params.json")) == ExtractParams.tiny()


def test_blocked_min_max_equals_numpy_on_any_shape_and_dtype():
    from mammostudio.core.patches.prepared import _min_max

    rng = np.random.default_rng(11)
    for shape, dtype in (((1, 5), np.uint16), ((191, 3), np.uint8), ((193, 7), np.uint16), ((1000, 13), np.int16)):
        a = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, shape, dtype=dtype)
        a.flat[rng.integers(a.size)] = np.iinfo(dtype).max  # the extremes anywhere, the last block included
        a.flat[-1] = np.iinfo(dtype).min
        assert _min_max(a) == (int(a.min()), int(a.max()))
        assert _min_max(a, rows=2) == (int(a.min()), int(a.max()))
