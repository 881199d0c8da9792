"""Preprocessing (spec 1.5): normalisation, breast mask, inclusive ground truth, crops, prepare."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from skimage import exposure

from mammostudio.cli import main
from mammostudio.core.catalog import Catalog
from mammostudio.core.images import read_pgm, read_png, write_png
from mammostudio.core.preprocess import (REPORT_NAME, breast_mask, ground_truth, lesion_crop, normalise_uint8,
                                         output_paths, prepare_dataset)
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset


def test_ground_truth_box_includes_both_end_points():
    gt = ground_truth((10, 12), [(2, 3, 5, 7)])
    assert gt.dtype == np.uint8
    assert np.count_nonzero(gt) == 4 * 5
    rows, cols = np.nonzero(gt)
    assert (rows.min(), cols.min(), rows.max(), cols.max()) == (2, 3, 5, 7)
    assert set(np.unique(gt)) == {0, 255}


def test_ground_truth_clips_boxes_outside_and_rejects_swapped_ends():
    gt = ground_truth((8, 8), np.array([[6, 6, 20, 20], [-5, -5, -1, -1]]))
    assert np.count_nonzero(gt) == 4  # rows 6-7 x cols 6-7; the second box is wholly outside
    assert ground_truth((4, 4), []).sum() == 0
    with pytest.raises(ValueError, match="row_max < row_min"):
        ground_truth((8, 8), [(5, 1, 2, 3)])


def test_normalise_matches_skimage_rescale_intensity():
    rng = np.random.default_rng(0)
    img = rng.integers(300, 3900, size=(40, 30)).astype(np.uint16)
    ours = normalise_uint8(img)
    ref = np.rint(exposure.rescale_intensity(img.astype(float), out_range=(0, 255))).astype(np.uint8)
    assert ours.dtype == np.uint8
    np.testing.assert_array_equal(ours, ref)
    assert ours.min() == 0 and ours.max() == 255


def test_normalise_constant_and_nan_images_do_not_crash():
    assert normalise_uint8(np.full((5, 6), 7, np.uint16)).max() == 0
    img = np.array([[np.nan, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(normalise_uint8(img), [[0, 0], [128, 255]])
    with pytest.raises(ValueError, match="2-D"):
        normalise_uint8(np.zeros((2, 2, 2)))


def test_breast_mask_is_pixel_above_zero_of_the_normalised_image():
    img = np.zeros((20, 20), np.uint16)
    img[5:15, 0:10] = 1000
    img[8, 3] = 40  # faint but above the background: still breast
    mask = breast_mask(normalise_uint8(img))
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, img > 0)
    noisy = normalise_uint8(img) // 2 + 10  # a film-like non-zero background
    assert breast_mask(noisy).all()
    np.testing.assert_array_equal(breast_mask(noisy, threshold=10), img > 0)


def test_lesion_crop_follows_paper_slice_and_inclusive_option():
    img = np.arange(100).reshape(10, 10)
    box = (2, 3, 5, 7)
    paper = lesion_crop(img, box)
    np.testing.assert_array_equal(paper, img[2:5, 3:7])
    full = lesion_crop(img, box, inclusive=True)
    assert full.size == np.count_nonzero(ground_truth(img.shape, [box]))
    with pytest.raises(ValueError, match="empty crop"):
        lesion_crop(img, (4, 4, 4, 9))


def test_output_paths_mirror_tree_and_keep_uid_names(tmp_path):
    root = tmp_path / "data"
    p = output_paths(root / "batch1" / "p01" / "s01" / "1.2.840.10008.9.dcm", root, tmp_path / "out")
    assert p["image"] == tmp_path / "out" / "batch1" / "p01" / "s01" / "1.2.840.10008.9.png"
    bare = output_paths(root / "s" / "1.2.840.10008.9", root, tmp_path / "out")
    assert bare["gt"].name == "1.2.840.10008.9_gt.png"


def _tiny_catalog(root: Path) -> Catalog:
    rng = np.random.default_rng(1)
    rows = []
    for i, sub in enumerate(["a/b", "a/c", "d"]):
        img = np.zeros((32, 24), np.uint8)
        img[:, :16] = rng.integers(20, 240, size=(32, 16))
        path = root / sub / f"img {i}.png"  # a space in the name on purpose
        write_png(path, img)
        rows.append({"image_id": f"i{i}", "patient_id": "p", "study_id": "s", "path": str(path), "format": "png"})
    lesions = pd.DataFrame([{"lesion_uid": "i0:1", "image_id": "i0", "lesion_id": "1", "row_min": 4, "col_min": 2,
                             "row_max": 9, "col_max": 6}])
    return Catalog(images=pd.DataFrame(rows), lesions=lesions, root=root, source_format="png")


def test_prepare_writes_three_pngs_in_mirrored_tree(tmp_path):
    cat = _tiny_catalog(tmp_path / "in")
    progress = []
    report = drive(prepare_dataset(cat, tmp_path / "out"), progress.append)
    assert [p.done for p in progress] == [1, 2, 3] and progress[-1].total == 3
    assert report["written"] == 3 and report["failed"] == 0
    for sub, i in [("a/b", 0), ("a/c", 1), ("d", 2)]:
        folder = tmp_path / "out" / sub
        src = read_png(tmp_path / "in" / sub / f"img {i}.png")
        norm = read_png(folder / f"img {i}.png")
        np.testing.assert_array_equal(norm, normalise_uint8(src))
        np.testing.assert_array_equal(read_png(folder / f"img {i}_msk.png") > 0, src > 0)
    gt = read_png(tmp_path / "out" / "a" / "b" / "img 0_gt.png")
    assert np.count_nonzero(gt) == 6 * 5
    assert read_png(tmp_path / "out" / "d" / "img 2_gt.png").max() == 0
    saved = json.loads((tmp_path / "out" / REPORT_NAME).read_text())
    assert saved["written"] == 3


def test_prepare_records_broken_file_and_goes_on(tmp_path):
    cat = _tiny_catalog(tmp_path / "in")
    Path(cat.images.loc[1, "path"]).write_bytes(b"not a png at all")
    report = drive(prepare_dataset(cat, tmp_path / "out"))
    assert (report["written"], report["failed"]) == (2, 1)
    assert "img 1.png" in report["problems"][0]["path"]
    assert (tmp_path / "out" / "d" / "img 2_gt.png").is_file()


def test_prepare_resumes_and_cancel_leaves_no_partial_files(tmp_path):
    cat = _tiny_catalog(tmp_path / "in")
    job = prepare_dataset(cat, tmp_path / "out")
    next(job)
    job.close()  # cancelled after the first image
    assert not list((tmp_path / "out").rglob("*.part*"))
    report = drive(prepare_dataset(cat, tmp_path / "out"))
    assert (report["skipped"], report["written"]) == (1, 2)


def test_prepare_real_mias_ground_truth_covers_annotated_lesion(mias_dir, tmp_path):
    cat = open_dataset(mias_dir).subset(["mdb028", "mdb001"])
    report = drive(prepare_dataset(cat, tmp_path / "out", mask_threshold=20))
    assert report["written"] == 2
    # Info.txt: mdb028 CIRC M, centre X=338 Y=314 (from the bottom-left), radius 56.
    gt = read_png(tmp_path / "out" / "mdb028_gt.png")
    row, col = 1024 - 314, 338
    assert gt[row, col] == 255 and gt[row - 50, col] == 255 and gt[row, col + 50] == 255
    assert gt[row - 60, col] == 0 and gt[row, col + 60] == 0
    norm = read_png(tmp_path / "out" / "mdb028.png")
    np.testing.assert_array_equal(norm, normalise_uint8(read_pgm(mias_dir / "mdb028.pgm")))
    # The mass is brighter than the breast around it in the prepared image.
    assert norm[row - 20:row + 20, col - 20:col + 20].mean() > norm[read_png(tmp_path / "out" / "mdb028_msk.png") > 0].mean()


def test_prepare_command_on_mias_subset(mias_dir, tmp_path, capsys):
    data = tmp_path / "mias copy"
    data.mkdir()
    shutil.copy(mias_dir / "Info.txt", data)
    shutil.copy(mias_dir / "mdb001.pgm", data)
    assert main(["prepare", str(data), str(tmp_path / "o1"), "--quiet"]) == 2
    assert "--no-filter" in capsys.readouterr().err
    assert main(["prepare", str(data), str(tmp_path / "o2"), "--no-filter", "--quiet"]) == 0
    assert {p.name for p in (tmp_path / "o2").iterdir()} == {"mdb001.png", "mdb001_msk.png", "mdb001_gt.png",
                                                            REPORT_NAME}
    assert main(["prepare", str(tmp_path / "missing"), str(tmp_path / "o3")]) == 2


def test_prepare_demo_dataset_mask_and_ground_truth_match_the_catalog(tmp_path):
    from mammostudio.core.demo.build import build_demo_dataset
    from mammostudio.core.images import load_pixels

    root = drive(build_demo_dataset(tmp_path / "demo", patients=1, size=(256, 208), seed=3))
    cat = open_dataset(root / "workbook")
    assert cat.n_lesions > 0
    report = drive(prepare_dataset(cat, tmp_path / "out"))
    assert report["written"] == cat.n_images and report["failed"] == 0
    from mammostudio.core.privacy import Pseudonymiser

    pseudo = Pseudonymiser.for_dataset(cat.root)  # patient folders carry pseudonyms
    for _, row in cat.images.iterrows():
        paths = output_paths(row["path"], cat.root, tmp_path / "out", pseudo=pseudo)
        pixels = load_pixels(row)
        mask = read_png(paths["mask"]) > 0
        # The paper's mask (normalised > 0) is the synthetic breast: its air is the
        # image minimum (exactly 0 after DICOM decoding).
        np.testing.assert_array_equal(mask, pixels > pixels.min())
        assert 0.3 < mask.mean() < 0.9
        gt = read_png(paths["gt"]) > 0
        boxes = cat.boxes_of(row["image_id"])
        assert gt.sum() == sum((b[2] - b[0] + 1) * (b[3] - b[1] + 1) for b in boxes)
        assert mask[gt].all()  # every lesion box lies on the breast


def test_prepare_reports_output_name_clash_instead_of_overwriting(tmp_path):
    cat = _tiny_catalog(tmp_path / "in")
    src = Path(cat.images.loc[0, "path"])
    twin = src.with_suffix(".pgm")
    twin.write_bytes(b"P5 24 32 255\n" + bytes(range(24)) * 32)
    rows = pd.concat([cat.images, cat.images.iloc[[0]].assign(image_id="twin", path=str(twin), format="pgm")])
    cat2 = Catalog(images=rows, lesions=cat.lesions, root=cat.root, source_format="png")
    report = drive(prepare_dataset(cat2, tmp_path / "out"))
    assert (report["written"], report["failed"]) == (3, 1)
    assert "same output name" in report["problems"][0]["message"]
    np.testing.assert_array_equal(read_png(tmp_path / "out" / "a" / "b" / "img 0.png"),
                                  normalise_uint8(read_png(src)))
