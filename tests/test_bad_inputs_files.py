"""Hostile checkpoints, arrays, output folders and faults: one line naming the file, nothing saved changed.

Read-only outputs for every command are in ``test_readonly_out.py``; the full
disk uses a real 256 kB tmpfs (skipped where it cannot be mounted).
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from _hostile import REPO, assert_error_line, checksums, full_folder, run_main, write_pngs


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _ckpt_cases(tmp_path):
    from trainers.dcgan.models import Generator

    good = tmp_path / "good.pth"
    torch.save(Generator(16, 8, 4).state_dict(), good)
    data = good.read_bytes()
    return {
        "empty": (lambda p: p.write_bytes(b""), ["empty"]),
        "truncated": (lambda p: p.write_bytes(data[: len(data) // 2]), ["truncated or corrupt"]),
        "garbage": (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)), ["checkpoint"]),
        "a_list": (lambda p: torch.save([1, 2, 3], p), ["expected a dict"]),
        "wrong_keys": (lambda p: torch.save({"weight": torch.zeros(3)}, p), ["bad.pt"]),
        "a_folder": (lambda p: p.mkdir(), ["not found"]),
        "missing": (lambda p: None, ["not found"]),
    }


@pytest.mark.parametrize("case", ["empty", "truncated", "garbage", "a_list", "wrong_keys", "a_folder", "missing"])
def test_a_bad_checkpoint_is_named_and_nothing_is_written(case, tmp_path, capsys):
    make, words = _ckpt_cases(tmp_path)[case]
    bad = tmp_path / "bad.pt"
    make(bad)
    before = checksums(tmp_path)
    code, _, err = run_main(capsys, "generate", bad, tmp_path / "out", "--n", "2")
    assert_error_line(err, code, bad, *words)
    assert checksums(tmp_path) == before and not (tmp_path / "out" / "manifest.json").exists()


def test_a_hostile_checkpoint_is_refused_whole_sentence_and_its_code_never_runs(tmp_path, capsys):
    marker, bad = tmp_path / "pwned", tmp_path / "evil.pt"
    torch.save({"generator": _Evil(marker)}, bad)
    code, _, err = run_main(capsys, "generate", bad, tmp_path / "out", "--n", "2")
    line = assert_error_line(err, code, bad, "refused", "system", "not loaded")
    assert not marker.exists()
    assert line.rstrip().endswith(("state dict", "not loaded")), line  # a whole sentence, not cut at 200 characters


@pytest.mark.parametrize("n", ["0", "-3"])
def test_generate_refuses_a_non_positive_count(n, tmp_path, capsys):
    from trainers.dcgan.models import Generator

    torch.save(Generator(16, 8, 4).state_dict(), tmp_path / "g.pth")
    code, _, err = run_main(capsys, "generate", tmp_path / "g.pth", tmp_path / "out", "--n", n)
    assert_error_line(err, code, "n")


@pytest.mark.parametrize("case", ["object_array", "float_2d", "truncated", "text"])
def test_a_hostile_generated_npy_is_named(case, tmp_path):
    from trainers.experiment.cells import Cell, _generated

    path = tmp_path / Cell("gan", 8, 0).id / "generated.npy"
    path.parent.mkdir()
    if case == "object_array":
        np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif case == "float_2d":
        np.save(path, np.zeros((4, 4)))
    elif case == "truncated":
        np.save(path, np.zeros((4, 8, 8), np.uint8))
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.write_text("hello")
    with pytest.raises(ValueError) as info:
        _generated(tmp_path, Cell("clf", 8, 0, "GAN"))
    msg = str(info.value)
    assert str(path) in msg and "\n" not in msg and "train G_k again" in msg


@pytest.mark.parametrize("case", ["object_array", "missing"])
def test_resuming_a_run_with_a_hostile_or_missing_patch_stack_names_it(case, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    if case == "object_array":
        np.save(run / "patches.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    before = checksums(tmp_path)
    code, _, err = run_main(capsys, "train-gan", "--resume", run)
    assert_error_line(err, code, run / "patches.npy", "cannot be resumed")
    assert checksums(tmp_path) == before


# -- output folders --------------------------------------------------------

@pytest.fixture
def mias2(tmp_path, mias_dir):
    d = tmp_path / "mias"
    d.mkdir()
    shutil.copy(mias_dir / "Info.txt", d)
    for name in ("mdb001", "mdb002"):
        shutil.copy(mias_dir / f"{name}.pgm", d)
    return d


def _extract(capsys, data, out, *extra):
    return run_main(capsys, "extract", data, out, "--no-filter", "--patch-size", "32", "--per-image", "2",
                    "--quiet", *extra)


OUT_CASES = {
    "out_is_a_file": (lambda o: o.write_text("keep me"), ["a file is in the way"]),
    "out_under_a_file": (lambda o: o.parent.joinpath("f").write_text("x"), ["a file is in the way"]),
    "out_not_empty_no_params": (lambda o: (o.mkdir(), o.joinpath("thesis.docx").write_text("x")), ["not empty"]),
    "params_garbage": (lambda o: (o.mkdir(), o.joinpath("params.json").write_text("{oops")), ["unreadable"]),
    "params_a_list": (lambda o: (o.mkdir(), o.joinpath("params.json").write_text("[]")), ["JSON object"]),
}


@pytest.mark.parametrize("case", sorted(OUT_CASES))
def test_a_wrong_extract_output_folder_is_named_and_left_alone(case, tmp_path, mias2, capsys):
    make, words = OUT_CASES[case]
    out = tmp_path / "outs" / "o"
    out.parent.mkdir()
    make(out)
    if case == "out_under_a_file":
        out = out.parent / "f" / "o"
    before = checksums(tmp_path / "outs")
    code, _, err = _extract(capsys, mias2, out)
    assert_error_line(err, code, out if case != "out_under_a_file" else out.parent, *words)
    assert checksums(tmp_path / "outs") == before


def test_resuming_with_other_settings_leaves_the_saved_patches_unchanged(tmp_path, mias2, capsys):
    out = tmp_path / "out"
    assert _extract(capsys, mias2, out)[0] == 0
    before = checksums(out)
    code, _, err = _extract(capsys, mias2, out, "--seed", "7")
    assert_error_line(err, code, out, "other parameters or seed")
    assert checksums(out) == before


@pytest.mark.parametrize("args,words", [(["--workers", "0"], ["workers"]), (["--seed", "-1"], ["seed"]),
                                        (["--patch-size", "0"], ["patch_size"]),
                                        (["--mask-threshold", "300"], ["mask_threshold"])])
def test_bad_extract_options_are_named(args, words, tmp_path, mias2, capsys):
    code, _, err = _extract(capsys, mias2, tmp_path / "out", *args)
    assert_error_line(err, code, *words)


def test_a_missing_dataset_is_named(tmp_path, capsys):
    code, _, err = _extract(capsys, tmp_path / "nowhere", tmp_path / "out")
    assert_error_line(err, code, tmp_path / "nowhere")


@pytest.mark.parametrize("command", ["fid", "tsne", "generate"])
def test_an_output_under_a_regular_file_is_named(command, tmp_path, capsys):
    from trainers.dcgan.models import Generator

    write_pngs(tmp_path / "p", 6, size=(16, 16))
    torch.save(Generator(16, 8, 4).state_dict(), tmp_path / "g.pth")
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "sub"
    args = {"fid": ["fid", tmp_path / "p", tmp_path / "p", "--backbone", "random", "--size", "16", "--no-cache",
                    "--quiet", "--json", target / "x.json"],
            "tsne": ["tsne", target, f"a={tmp_path / 'p'}", "--size", "16", "--perplexity", "2", "--max-iter", "250"],
            "generate": ["generate", tmp_path / "g.pth", target, "--n", "2"]}[command]
    code, _, err = run_main(capsys, *args)
    assert_error_line(err, code, tmp_path / "file", "a file is in the way")


def test_an_unreadable_image_is_listed_and_the_good_ones_are_still_extracted(tmp_path, mias2, capsys):
    bad = mias2 / "mdb002.pgm"
    bad.write_bytes(bad.read_bytes()[:5000])
    code, out, err = _extract(capsys, mias2, tmp_path / "out")
    assert code == 0, err
    assert "mdb002.pgm" in out and "truncated" in out
    index = pd.read_csv(tmp_path / "out" / "index.csv", dtype=str)
    assert set(index["image_id"]) == {"mdb001"}
    problems = pd.read_csv(tmp_path / "out" / "problems.csv")
    assert problems["path"].tolist() == ["mdb002.pgm"]  # relative to the dataset: no absolute path shared


def test_a_full_disk_during_extract_says_only_what_is_true(tmp_path, mias_dir, capsys):
    with full_folder(tmp_path / "small", size_kb=600) as small:
        out = small / "out"
        code, _, err = run_main(capsys, "extract", mias_dir, out, "--no-filter", "--quiet")
        line = assert_error_line(err, code, "the disk is full", "re-run the same command to resume")
        if "nothing indexed yet;" in line:
            assert not (out / "index.csv").exists()
        elif "nothing indexed yet (index.csv lists no finished image)" in line:
            done = out / "images.csv"
            assert not done.exists() or len(pd.read_csv(done)) == 0
        else:
            n = int(re.search(r"(\d+) finished image\(s\) are indexed", line).group(1))
            done = pd.read_csv(out / "images.csv", dtype=str)
            assert len(done) == n > 0
            index = pd.read_csv(out / "index.csv", dtype=str)
            assert all((out / f).is_file() for f in index["file"])


def test_tsne_ending_in_early_exaggeration_reports_no_fake_divergence(tmp_path, capsys):
    write_pngs(tmp_path / "p", 8, size=(16, 16))
    code, out, err = run_main(capsys, "tsne", tmp_path / "t", f"a={tmp_path / 'p'}", "--size", "16",
                              "--perplexity", "2", "--max-iter", "250")
    assert code == 0, err
    assert "e+308" not in out and "KL not computed" in out
    assert "e+308" not in (tmp_path / "t" / "tsne.json").read_text()


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_outputs_honour_the_umask(umask, mode, tmp_path, mias2):
    """Every file of a patch dataset gets the mode a plain open() would give (not mkstemp's 0600)."""
    code = ("import os, sys; os.umask(%d); from mammostudio.cli import main; "
            "sys.exit(main(['extract', %r, %r, '--no-filter', '--patch-size', '32', '--per-image', '2', '--quiet']))"
            % (umask, str(mias2), str(tmp_path / "out")))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True).returncode == 0
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) > 5
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {oct(mode)}
    assert stat.S_IMODE((mias2 / "mammostudio-pseudonyms.json").stat().st_mode) == 0o600  # private whatever the umask
