"""load_patches: plain PNG folders, the patch dataset layout, the memory-mapped cache."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from skimage.transform import resize

from mammostudio.core import images
from mammostudio.core.atomic import write_text
from mammostudio.core.patches import PatchDatasetError, load_patches


def _rand(rng, shape):
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _dataset(tmp_path, rng):
    rows = []
    for i, shape in enumerate([(128, 128), (200, 150), (64, 80)]):
        rel = f"lesion/l{i}.png"
        images.write_png(tmp_path / rel, _rand(rng, shape))
        rows.append({"kind": "lesion", "file": rel, "image_id": f"img{i}"})
    for i in range(4):
        rel = f"tissue/t{i}.png"
        images.write_png(tmp_path / rel, _rand(rng, (128, 128)))
        rows.append({"kind": "tissue", "file": rel, "image_id": f"img{i}"})
    write_text(tmp_path / "index.csv", pd.DataFrame(rows).to_csv(index=False))
    return rows


def test_native_size_patches_come_back_unchanged_in_index_order(tmp_path):
    rng = np.random.default_rng(0)
    _dataset(tmp_path, rng)
    arr, index = load_patches(tmp_path, "tissue")
    assert arr.shape == (4, 128, 128) and arr.dtype == np.uint8
    assert list(index["file"]) == [f"tissue/t{i}.png" for i in range(4)]
    for i in range(4):
        np.testing.assert_array_equal(arr[i], images.read_png(tmp_path / f"tissue/t{i}.png"))


def test_lesion_crops_of_any_size_are_resized_like_skimage(tmp_path):
    rng = np.random.default_rng(1)
    _dataset(tmp_path, rng)
    arr, index = load_patches(tmp_path, "lesion", size=64)
    assert arr.shape == (3, 64, 64)
    for i, rel in enumerate(index["file"]):
        src = images.read_png(tmp_path / rel).astype(np.float64)
        ref = np.clip(np.rint(resize(src, (64, 64), order=1, preserve_range=True, anti_aliasing=src.shape[0] > 64)), 0, 255)
        assert np.abs(arr[i].astype(int) - ref.astype(int)).max() <= 1


def test_cache_is_memory_mapped_reused_and_rebuilt_when_index_changes(tmp_path, monkeypatch):
    rng = np.random.default_rng(2)
    rows = _dataset(tmp_path, rng)
    first, _ = load_patches(tmp_path, "tissue")
    assert isinstance(first, np.memmap)
    caches = list((tmp_path / ".cache").glob("tissue-128-*.npy"))
    assert len(caches) == 1

    import mammostudio.core.patches.dataset as ds

    def boom(path):
        raise AssertionError("cache should have been reused")

    monkeypatch.setattr(ds, "read_png", boom)
    again, _ = load_patches(tmp_path, "tissue")
    np.testing.assert_array_equal(again, first)
    monkeypatch.undo()

    write_text(tmp_path / "index.csv", pd.DataFrame(rows[:-1]).to_csv(index=False))
    fewer, index = load_patches(tmp_path, "tissue")
    assert fewer.shape[0] == 3 and len(index) == 3
    new_caches = list((tmp_path / ".cache").glob("tissue-128-*.npy"))
    assert len(new_caches) == 1 and new_caches != caches


def test_plain_folder_of_pngs_ignores_hidden_and_partial_files(tmp_path):
    rng = np.random.default_rng(3)
    for name in ["b.png", "a.png", "sub/c.png"]:
        images.write_png(tmp_path / name, _rand(rng, (32, 32)))
    (tmp_path / ".a.png.xyz.part.png").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("not an image")
    arr, index = load_patches(tmp_path, "lesion", size=32)
    assert list(index["file"]) == ["a.png", "b.png", "sub/c.png"]
    np.testing.assert_array_equal(arr[2], images.read_png(tmp_path / "sub/c.png"))


def test_index_pointing_at_missing_file_names_it(tmp_path):
    rng = np.random.default_rng(4)
    _dataset(tmp_path, rng)
    (tmp_path / "tissue/t2.png").unlink()
    with pytest.raises(PatchDatasetError, match="t2.png"):
        load_patches(tmp_path, "tissue")
    assert not list((tmp_path / ".cache").glob("*.npy"))


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        load_patches(tmp_path, "mass")
    with pytest.raises(PatchDatasetError, match="no such folder"):
        load_patches(tmp_path / "absent")
    arr, index = load_patches(tmp_path, "tissue")
    assert arr.shape == (0, 128, 128) and len(index) == 0
