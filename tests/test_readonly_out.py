"""Every command that writes, pointed at a read-only OUT, says so in one line and exits 2.

How "read-only" is made (root ignores chmod) is explained in ``_hostile.py``:
a read-only tmpfs mount where possible (EROFS), else ``chattr +i``.
"""
from __future__ import annotations

import json

import pytest

from _hostile import assert_one_line_error, readonly_folder, run_cli, write_pngs


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, mias_dir):
    """A tiny patch folder, a copied mini-MIAS subset and a tiny generator checkpoint."""
    import shutil

    import torch

    from trainers.dcgan.models import Generator

    root = tmp_path_factory.mktemp("ro-inputs")
    write_pngs(root / "patches" / "lesion", 12, size=(16, 16))
    mias = root / "mias"
    mias.mkdir()
    shutil.copy(mias_dir / "Info.txt", mias)
    shutil.copy(mias_dir / "mdb001.pgm", mias)
    gen = Generator(16, 8, 4)
    torch.save(gen.state_dict(), root / "g.pth")
    return root


def _commands(inp, ro):
    out = ro / "out"
    return {
        "demo-data": ["demo-data", out, "--patients", "1", "--size", "64", "64", "--quiet"],
        "prepare": ["prepare", inp / "mias", out, "--no-filter", "--quiet"],
        "extract": ["extract", inp / "mias", out, "--no-filter", "--quiet"],
        "train-gan": ["train-gan", inp / "patches", out, "--preset", "tiny", "--quiet"],
        "generate": ["generate", inp / "g.pth", out, "--n", "2"],
        "fid --json": ["fid", inp / "patches", inp / "patches", "--backbone", "random", "--size", "16",
                       "--no-cache", "--quiet", "--json", ro / "fid.json"],
        "tsne": ["tsne", out, f"a={inp / 'patches'}", "--size", "16", "--perplexity", "3", "--max-iter", "250"],
        "experiment": ["experiment", inp / "patches", out, "--preset", "tiny", "--quiet"],
        "quiz-create": ["quiz-create", ro / "study.sqlite", "--real", inp / "patches",
                        "--generated", inp / "patches", "--cases", "4", "--training-cases", "0", "--size", "16"],
    }


@pytest.mark.slow
@pytest.mark.parametrize("command", ["demo-data", "prepare", "extract", "train-gan", "generate", "fid --json",
                                     "tsne", "experiment", "quiz-create"])
def test_every_writing_command_refuses_a_read_only_out_in_one_line(inputs, tmp_path, command):
    with readonly_folder(tmp_path / "ro") as ro:
        proc = run_cli(*_commands(inputs, ro)[command])
        line = assert_one_line_error(proc, str(ro))
    # The reason is the system's own words, not a guess.
    assert any(w in line.lower() for w in ("read-only", "operation not permitted", "permission denied")), line


def test_a_user_error_from_a_settings_file_is_one_line_naming_file_and_field(tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"gan": "x"}))
    proc = run_cli("experiment", tmp_path, tmp_path / "out", "--config", cfg, "--list-cells")
    assert_one_line_error(proc, str(cfg), "gan config")


def test_a_bug_is_one_line_with_a_log_file_and_debug_shows_the_traceback(tmp_path, monkeypatch, capsys):
    from mammostudio import cli
    from mammostudio.cli import cmd_data

    def buggy(args):  # a handler with a programming error (not bad input)
        return {}["missing"]

    monkeypatch.setattr(cmd_data, "_scan", buggy)
    monkeypatch.setenv("MAMMOSTUDIO_DATA_DIR", str(tmp_path / "user"))
    assert cli.main(["scan", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "internal error (KeyError" in err and "--debug" in err
    logs = list((tmp_path / "user" / "logs").glob("error-*.log"))
    assert len(logs) == 1 and "Traceback" in logs[0].read_text() and "buggy" in logs[0].read_text()
    with pytest.raises(KeyError):
        cli.main(["--debug", "scan", str(tmp_path)])
