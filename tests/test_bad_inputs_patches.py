"""Hostile patch folders: each bad file named with its reason, nothing resized silently, --skip-bad goes on.

Every case builds a folder of ten good 16 x 16 8-bit patches, spoils it, runs
``mammostudio tsne`` on it (the cheapest command that loads a patch set) and
checks: one error line naming the file and the problem, exit 2, no file of
the folder changed (checksums before / after). With ``--skip-bad`` the good
patches are processed and each bad file is listed.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from _hostile import assert_error_line, checksums, run_main, write_pngs

N_GOOD = 10


def _img(path, mode, size, fmt="PNG"):
    rows, cols = size
    if mode == "I;16":
        im = Image.fromarray(np.full((rows, cols), 1000, np.uint16))
    else:
        im = Image.new(mode, (cols, rows))
    im.save(path, format=fmt)


def _truncated(path):
    """A 16 x 16 PNG cut in half: its header is fine, its pixels are not."""
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _outside(path):
    target = path.parents[2] / "elsewhere.png"
    _img(target, "L", (16, 16))
    path.symlink_to(target)


# case id -> (make the bad file at `path`, words the error must hold)
BAD_FILES = {
    "one_by_one": (lambda p: _img(p, "L", (1, 1)), "too small"),
    "rgb": (lambda p: _img(p, "RGB", (16, 16)), "RGB colour"),
    "rgba": (lambda p: _img(p, "RGBA", (16, 16)), "RGBA"),
    "palette": (lambda p: _img(p, "P", (16, 16)), "palette"),
    "one_bit": (lambda p: _img(p, "1", (16, 16)), "1-bit"),
    "grey_alpha": (lambda p: _img(p, "LA", (16, 16)), "alpha"),
    "huge_5000": (lambda p: _img(p, "L", (5000, 5000)), "too large"),
    "empty_file": (lambda p: p.write_bytes(b""), "empty file"),
    "text_named_png": (lambda p: p.write_text("not an image\n"), "not an image"),
    "jpeg_named_png": (lambda p: _img(p, "L", (16, 16), fmt="JPEG"), "JPEG file, not a PNG"),
    "truncated_png": (_truncated, "truncated"),
    "symlink_outside": (_outside, "outside the patch folder"),
    "random_bytes": (lambda p: p.write_bytes(np.random.default_rng(2).bytes(300)), "not an image"),
    "png_header_only": (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n"), "not an image"),
}


@pytest.fixture
def folder(tmp_path):
    f = tmp_path / "patches"
    write_pngs(f, N_GOOD, size=(16, 16))
    return f


def _tsne(capsys, tmp_path, folder, *extra):
    return run_main(capsys, "tsne", tmp_path / "tsne", f"p={folder}", "--size", "16", "--perplexity", "3",
                    "--max-iter", "250", *extra)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_patch_file_is_named_with_its_reason_and_nothing_is_changed(case, folder, tmp_path, capsys):
    make, words = BAD_FILES[case]
    bad = folder / "zz_bad.png"
    make(bad)
    before = checksums(tmp_path)
    code, _, err = _tsne(capsys, tmp_path, folder)
    assert_error_line(err, code, bad, words, "--skip-bad")
    assert checksums(tmp_path) == before


@pytest.mark.parametrize("case", ["rgb", "one_by_one", "truncated_png", "jpeg_named_png"])
def test_skip_bad_lists_the_bad_file_and_processes_the_good_ones(case, folder, tmp_path, capsys):
    make, words = BAD_FILES[case]
    bad = folder / "zz_bad.png"
    make(bad)
    code, _, err = _tsne(capsys, tmp_path, folder, "--skip-bad")
    assert code == 0, err
    assert f"skipped {bad}: " in err and words.lower() in err.lower()
    assert len(pd.read_csv(tmp_path / "tsne" / "tsne.csv")) == N_GOOD


def test_every_bad_file_is_named_not_only_the_first(folder, tmp_path, capsys):
    for name, case in (("a_rgb.png", "rgb"), ("m_empty.png", "empty_file"), ("z_text.png", "text_named_png")):
        BAD_FILES[case][0](folder / name)
    code, _, err = _tsne(capsys, tmp_path, folder)
    line = assert_error_line(err, code, "3 of 13", folder / "a_rgb.png", folder / "m_empty.png", folder / "z_text.png")
    assert "10 good" in line


def test_mixed_sizes_are_refused_with_counts_not_resized(folder, tmp_path, capsys):
    _img(folder / "wide.png", "L", (300, 50))
    _img(folder / "odd.png", "L", (20, 20))
    code, _, err = _tsne(capsys, tmp_path, folder)
    assert_error_line(err, code, folder, "mixed sizes", "16 x 16: 10", "300 x 50: 1", "20 x 20: 1", "not resized")


def test_mixed_sizes_are_resized_only_when_asked(folder, tmp_path, capsys):
    _img(folder / "wide.png", "L", (300, 50))
    code, _, err = _tsne(capsys, tmp_path, folder, "--mixed-sizes")
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "tsne" / "tsne.csv")) == N_GOOD + 1
    _img(folder / "deep.png", "I;16", (16, 16))  # formats must still agree
    code, _, err = _tsne(capsys, tmp_path, folder, "--mixed-sizes")
    assert_error_line(err, code, "mixed pixel formats")


def test_mixed_bit_depths_are_refused_with_counts(folder, tmp_path, capsys):
    _img(folder / "deep.png", "I;16", (16, 16))
    code, _, err = _tsne(capsys, tmp_path, folder)
    assert_error_line(err, code, folder, "mixed pixel formats", "8-bit grey: 10", "16-bit grey: 1")


def test_skip_bad_keeps_the_majority_size_and_lists_the_others(folder, tmp_path, capsys):
    _img(folder / "wide.png", "L", (300, 50))
    code, _, err = _tsne(capsys, tmp_path, folder, "--skip-bad")
    assert code == 0, err
    assert f"skipped {folder / 'wide.png'}: 300 x 50, the folder's patches are 16 x 16" in err
    assert len(pd.read_csv(tmp_path / "tsne" / "tsne.csv")) == N_GOOD


def test_skip_bad_refuses_a_tie_between_sizes(tmp_path, capsys):
    f = tmp_path / "tie"
    write_pngs(f, 5, size=(16, 16))
    write_pngs(f / "b", 5, size=(24, 24))
    code, _, err = _tsne(capsys, tmp_path, f, "--skip-bad")
    assert_error_line(err, code, "mixed sizes", "16 x 16: 5", "24 x 24: 5")


def test_a_missing_folder_and_an_empty_folder_are_named(tmp_path, capsys):
    code, _, err = _tsne(capsys, tmp_path, tmp_path / "nope")
    assert_error_line(err, code, tmp_path / "nope", "no such folder")
    (tmp_path / "empty").mkdir()
    code, _, err = _tsne(capsys, tmp_path, tmp_path / "empty")
    assert_error_line(err, code, tmp_path / "empty", "no lesion patches")


def _indexed(tmp_path, rows_change):
    """A patch dataset (index.csv) of ten 16 x 16 lesion patches, then ``rows_change(index)``."""
    f = tmp_path / "ds"
    files = write_pngs(f / "lesion", N_GOOD, size=(16, 16))
    index = pd.DataFrame({"kind": "lesion", "file": [p.relative_to(f).as_posix() for p in files],
                          "height": 16, "width": 16, "patient_id": [f"P-{i}" for i in range(N_GOOD)]})
    index = rows_change(index)
    (f / "index.csv").write_text(index.to_csv(index=False) if isinstance(index, pd.DataFrame) else index)
    return f


INDEX_CASES = {
    "lists_a_missing_file": (lambda ix: pd.concat([ix, ix.tail(1).assign(file="lesion/gone.png")]),
                             ["lesion/gone.png", "missing"]),
    "lists_a_path_outside": (lambda ix: pd.concat([ix, ix.tail(1).assign(file="../../etc/passwd")]),
                             ["passwd", "outside the patch folder"]),
    "size_disagrees_with_index": (lambda ix: ix.assign(height=[16] * 9 + [32]),
                                  ["the index says 32 x 16"]),
    "has_no_file_column": (lambda ix: ix.drop(columns=["file"]), ["index.csv", "no 'file' column"]),
    "is_binary_garbage": (lambda ix: "\x00\x01\x02garbage\x00", ["index.csv"]),
}


@pytest.mark.parametrize("case", sorted(INDEX_CASES))
def test_a_bad_patch_index_is_named_and_nothing_is_changed(case, tmp_path, capsys):
    change, words = INDEX_CASES[case]
    f = _indexed(tmp_path, change)
    before = checksums(f)
    code, _, err = _tsne(capsys, tmp_path, f)
    assert_error_line(err, code, f, *words)
    assert checksums(f) == before


def test_skip_bad_in_a_patch_dataset_keeps_index_rows_in_step(tmp_path):
    from mammostudio.core.patches import load_patches

    f = _indexed(tmp_path, lambda ix: pd.concat([ix, ix.tail(1).assign(file="lesion/gone.png")]))
    for cache in (True, False, True):  # build the cache, bypass it, read it back
        stack, index = load_patches(f, "lesion", size=16, skip_bad=True, cache=cache)
        assert len(stack) == len(index) == N_GOOD
        assert [p for p, _ in index.attrs["skipped"]] == [str(f / "lesion/gone.png")]
    with pytest.raises(ValueError, match="gone.png"):  # a cache built with skip_bad never hides the problem
        load_patches(f, "lesion", size=16)


def test_a_png_bomb_header_is_refused_without_decoding(tmp_path, capsys):
    f = tmp_path / "bomb"
    write_pngs(f, N_GOOD, size=(16, 16))
    buf = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buf, format="PNG")  # ~100 kB on disk, 900 megapixels decoded
    (f / "bomb.png").write_bytes(buf.getvalue())
    code, _, err = _tsne(capsys, tmp_path, f)
    assert_error_line(err, code, f / "bomb.png")
