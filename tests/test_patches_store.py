"""The patch store: one .npz per image, read by any NumPy, checked like PNGs, exported to PNGs on demand."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from mammostudio.cli import main
from mammostudio.core.images import ImageReadError, read_png, write_png
from mammostudio.core.patches import (ExtractParams, PatchDatasetError, PatchReader, export_pngs, extract_patches,
                                      load_patches, read_index)
from mammostudio.core.patches.store import encode_store, store_members, write_store
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset

IDS = ["mdb001", "mdb005", "mdb006"]  # one lesion, two lesions, normal
PARAMS = ExtractParams(patch_size=64, n_tissue=3)


@pytest.fixture(scope="module")
def mias3(mias_dir):
    return open_dataset(mias_dir, fmt="mias").subset(IDS)


@pytest.fixture(scope="module")
def dataset(mias3, tmp_path_factory):
    out = tmp_path_factory.mktemp("patches")
    drive(extract_patches(mias3, out, PARAMS, seed=3))
    return out


def _items(rng, shapes=((40, 30), (64, 64), (64, 64))):
    return [(f"img_p{k:02d}", rng.integers(0, 256, s, dtype=np.uint8)) for k, s in enumerate(shapes)]


def test_a_store_is_a_numpy_archive_with_the_patches_in_order_and_no_clock_in_its_bytes(tmp_path):
    items = _items(np.random.default_rng(0))
    items[0] = (items[0][0], items[0][1][:, ::2])  # a strided view is stored as its pixels
    data = encode_store(items)
    assert data == encode_store(items)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None  # every checksum holds
        assert zf.namelist() == [f"{name}.npy" for name, _ in items]
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    write_store(tmp_path / "s.npz", items)
    with np.load(tmp_path / "s.npz") as npz:  # numpy alone reads it
        for name, arr in items:
            np.testing.assert_array_equal(npz[name], arr)
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]  # no temporary left
    assert store_members(tmp_path / "s.npz") == {name: (arr.shape, "uint8") for name, arr in items}


@pytest.mark.parametrize("items, match", [
    ([("a", np.zeros((4, 4), np.uint16))], "uint8"),
    ([("a", np.zeros((4, 4, 3), np.uint8))], "2-D"),
    ([("a", np.zeros((0, 4), np.uint8))], "non-empty"),
    ([("a", np.zeros((4, 4), np.uint8)), ("a", np.zeros((4, 4), np.uint8))], "repeated"),
    ([("é", np.zeros((4, 4), np.uint8))], "non-ASCII"),
])
def test_a_store_refuses_what_is_not_a_patch_or_a_second_patch_of_one_id(items, match):
    with pytest.raises(ValueError, match=match):
        encode_store(items)


def test_the_reader_names_the_file_and_patch_when_a_store_is_missing_damaged_or_lacks_it(tmp_path):
    items = _items(np.random.default_rng(1))
    write_store(tmp_path / "patches" / "a.npz", items)
    (tmp_path / "patches" / "junk.npz").write_bytes(b"not a zip at all")
    with PatchReader(tmp_path) as reader:
        np.testing.assert_array_equal(reader.read("patches/a.npz", "img_p01"), items[1][1])
        with pytest.raises(ImageReadError, match=r"a\.npz: holds no patch 'nope'"):
            reader.read("patches/a.npz", "nope")
        with pytest.raises(ImageReadError, match=r"junk\.npz: not a readable patch store"):
            reader.read("patches/junk.npz", "img_p00")
        with pytest.raises(ImageReadError, match=r"gone\.npz: missing"):
            reader.read("patches/gone.npz", "img_p00")
        write_png(tmp_path / "one.png", items[2][1])  # a PNG row (earlier versions) reads through the same call
        np.testing.assert_array_equal(reader.read("one.png"), items[2][1])


def test_load_patches_lists_a_damaged_store_and_a_missing_patch_and_skip_bad_drops_only_those(tmp_path, dataset):
    import shutil

    folder = tmp_path / "d"
    shutil.copytree(dataset, folder)
    index = read_index(folder)
    tissue = index[index["kind"] == "tissue"]
    files = sorted(set(tissue["file"]))
    data = (folder / files[0]).read_bytes()
    (folder / files[0]).write_bytes(data[: len(data) // 2])  # truncated: the whole store is unreadable
    with PatchReader(folder) as reader:  # the second image's store without its last tissue patch
        rows = index[index["file"] == files[1]]
        keep = [(pid, reader.read(files[1], pid)) for pid in rows["patch_id"]]
    dropped = tissue[tissue["file"] == files[1]]["patch_id"].iloc[-1]
    write_store(folder / files[1], [(pid, arr) for pid, arr in keep if pid != dropped])
    with pytest.raises(PatchDatasetError) as err:
        load_patches(folder, "tissue", size=64)
    message = str(err.value)
    assert files[0] in message and "not a readable patch store" in message
    assert f"{files[1]}#{dropped}: missing from its store" in message
    arr, good = load_patches(folder, "tissue", size=64, skip_bad=True)
    expected = tissue[(tissue["file"] != files[0]) & (tissue["patch_id"] != dropped)]
    assert list(good["patch_id"]) == list(expected["patch_id"]) and arr.shape == (len(expected), 64, 64)
    assert len(good.attrs["skipped"]) == int((tissue["file"] == files[0]).sum()) + 1


def test_the_png_export_is_a_patch_dataset_with_the_same_pixels_and_index(tmp_path, dataset):
    job = export_pngs(dataset, tmp_path / "png")
    steps = []
    try:
        while True:
            steps.append(next(job))
    except StopIteration as stop:
        summary = stop.value
    index = read_index(dataset)
    assert summary["patches"] == len(index) == steps[-1].done == steps[-1].total
    exported = read_index(tmp_path / "png")
    assert list(exported["file"]) == [f"{k}/{p}.png" for k, p in zip(index["kind"], index["patch_id"])]
    pd.testing.assert_frame_equal(exported.drop(columns="file"), index.drop(columns="file"))
    for kind in ("lesion", "tissue"):
        a, _ = load_patches(dataset, kind, size=64, cache=False)
        b, _ = load_patches(tmp_path / "png", kind, size=64, cache=False)
        np.testing.assert_array_equal(a, b)
    first = index.iloc[0]
    assert read_png(tmp_path / "png" / first["kind"] / f"{first['patch_id']}.png").shape == (
        first["height"], first["width"])
    with pytest.raises(PatchDatasetError, match="not an empty folder"):
        drive(export_pngs(dataset, tmp_path / "png"))


def test_export_command_writes_one_kind_and_refuses_a_folder_without_an_index(tmp_path, dataset, capsys):
    assert main(["export-patches", str(dataset), str(tmp_path / "lesions"), "--kind", "lesion", "--quiet"]) == 0
    n_lesion = int((read_index(dataset)["kind"] == "lesion").sum())
    assert f"{n_lesion} patches written as PNG" in capsys.readouterr().out
    assert len(list((tmp_path / "lesions" / "lesion").glob("*.png"))) == n_lesion
    assert not (tmp_path / "lesions" / "tissue").exists()
    (tmp_path / "empty").mkdir()
    assert main(["export-patches", str(tmp_path / "empty"), str(tmp_path / "x"), "--quiet"]) == 2
    assert "index.csv" in capsys.readouterr().err


def test_a_png_dataset_of_an_earlier_version_resumes_into_stores_with_the_same_patches(tmp_path, mias3):
    old = tmp_path / "old"
    drive(extract_patches(mias3.subset(IDS[:1]), old, PARAMS, seed=3))
    # As an earlier version left it: one PNG per patch under lesion/ and tissue/, no store.
    index = pd.read_csv(old / "index.csv", dtype=str, keep_default_na=False)
    with PatchReader(old) as reader:
        for i, rec in enumerate(index.to_dict("records")):
            rel = f"{rec['kind']}/{rec['patch_id']}.png"
            write_png(old / rel, reader.read_row(rec))
            index.loc[i, "file"] = rel
    for store in (old / "patches").iterdir():
        store.unlink()
    index.to_csv(old / "index.csv", index=False)
    summary = drive(extract_patches(mias3, old, PARAMS, seed=3))
    assert summary["skipped"] == 1 and summary["new"] == 2
    drive(extract_patches(mias3, tmp_path / "fresh", PARAMS, seed=3))
    resumed, fresh = read_index(old), read_index(tmp_path / "fresh")
    assert set(resumed.loc[resumed["image_id"] == IDS[0], "file"].str[-4:]) == {".png"}
    pd.testing.assert_frame_equal(resumed.drop(columns="file"), fresh.drop(columns="file"))
    for kind in ("lesion", "tissue"):
        np.testing.assert_array_equal(load_patches(old, kind, size=64)[0], load_patches(tmp_path / "fresh", kind,
                                                                                          size=64)[0])


def test_a_resume_redoes_images_whose_store_a_power_cut_left_empty_or_that_went_missing(tmp_path, mias3):
    out = tmp_path / "cut"
    drive(extract_patches(mias3, out, PARAMS, seed=3))
    index = read_index(out)
    files = {iid: index.loc[index["image_id"] == iid, "file"].iloc[0] for iid in IDS}
    (out / files[IDS[0]]).write_bytes(b"\0" * 4096)  # renamed, never written back: zeros
    (out / files[IDS[1]]).unlink()
    summary = drive(extract_patches(mias3, out, PARAMS, seed=3))
    assert (summary["skipped"], summary["new"]) == (1, 2)
    drive(extract_patches(mias3, tmp_path / "fresh", PARAMS, seed=3))
    for name in ("index.csv", "images.csv"):
        if name == "images.csv":  # per-image seconds differ; the images and counts do not
            cols = ["image_id", "lesion", "tissue", "low_variety", "short"]
            a, b = (pd.read_csv(d / name, dtype=str)[cols].sort_values("image_id").reset_index(drop=True)
                    for d in (out, tmp_path / "fresh"))
            pd.testing.assert_frame_equal(a, b)
        else:
            assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes()
    assert {p.name: p.read_bytes() for p in (out / "patches").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "fresh" / "patches").iterdir()}
