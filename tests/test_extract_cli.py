"""The ``mammostudio extract`` command on a two-image mini-MIAS folder."""
from __future__ import annotations

import json

import pytest

from mammostudio.cli import main
from mammostudio.core.patches import load_patches, read_index


@pytest.fixture
def mias_pair(tmp_path, mias_dir):
    folder = tmp_path / "mias"
    folder.mkdir()
    for name in ["Info.txt", "mdb001.pgm", "mdb006.pgm"]:
        (folder / name).symlink_to(mias_dir / name)
    return folder


def test_extract_writes_a_patch_dataset_and_resumes(tmp_path, mias_pair, capsys):
    out = tmp_path / "patches"
    args = ["extract", str(mias_pair), str(out), "--no-filter", "--quiet", "--lesion-mode", "centred",
            "--seed", "3", "--mask-threshold", "20"]
    assert main(args) == 0
    index = read_index(out)
    assert set(index["image_id"]) == {"mdb001", "mdb006"}
    assert set(index.loc[index["kind"] == "lesion", "mode"]) == {"centred"}
    params = json.loads((out / "params.json").read_text())
    assert params["seed"] == 3 and params["params"]["mask_threshold"] == 20
    lesion, _ = load_patches(out, "lesion")
    assert lesion.shape == (1, 128, 128)
    assert "1 lesion" in capsys.readouterr().out
    assert main(args) == 0
    assert "2 already done" in capsys.readouterr().out


def test_extract_refuses_bad_input_without_a_traceback(tmp_path, mias_pair, capsys):
    assert main(["extract", str(tmp_path / "nothing"), str(tmp_path / "o")]) == 2
    assert "no such folder" in capsys.readouterr().err
    # mini-MIAS has no acquisition tags: the paper's filter keeps nothing
    assert main(["extract", str(mias_pair), str(tmp_path / "o"), "--quiet"]) == 2
    assert "--no-filter" in capsys.readouterr().err
    assert main(["extract", str(mias_pair), str(tmp_path / "o"), "--no-filter", "--patch-size", "0"]) == 2
    assert "patch_size" in capsys.readouterr().err
