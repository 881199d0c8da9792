"""The README's headless workflow, typed as written, and quiz-create's advice when images run short.

The README block marked ``readme-workflow`` is read from README.md and each
line is run through the ``mammostudio`` entry point in a fresh folder, so the
README can never drift from the code again (it did: its quiz-create line
failed with 'need 60 real patches, only 10 eligible'). The one interactive
line, ``mammostudio gui`` (readers answer in Quiz mode), is played by two
simulated readers through the same session calls as the reading screen.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mammostudio.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_workflow() -> list[list[str]]:
    """The argv of every command in the README's marked workflow block (comments dropped)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- readme-workflow[^>]*-->\s*```bash\n(.*?)```", text, re.S)
    assert block, "README.md lost its marked workflow block"
    lines = [shlex.split(line, comments=True) for line in block.group(1).splitlines()]
    return [argv for argv in lines if argv]


def test_readme_workflow_block_is_plain_mammostudio_commands():
    commands = readme_workflow()
    assert all(argv[0] == "mammostudio" for argv in commands)
    names = [argv[1] for argv in commands]
    assert names[0] == "demo-data" and names[-1] == "quiz-report" and "gui" in names
    assert names.index("quiz-create") < names.index("gui") < names.index("quiz-report")


def _simulated_readers(study: Path) -> None:
    from mammostudio.core.quiz import QuizStore, ReaderProfile
    from mammostudio.core.quiz.simulate import simulate_reader

    with QuizStore.open(study) as store:
        for code, policy in (("R1", "perfect"), ("R2", "random")):
            store.add_reader(ReaderProfile(code, 5, "breast"))
            for mode in ("training", "assessment"):
                simulate_reader(store.start_session(code, mode), policy, np.random.default_rng(1))


@pytest.mark.slow
def test_readme_workflow_runs_as_written(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    from mammostudio.core.quiz import QuizStore

    monkeypatch.chdir(tmp_path)
    said = {}
    for argv in readme_workflow():
        if argv[1] == "gui":  # readers answer in the app: here, simulated readers
            _simulated_readers(tmp_path / "study.sqlite")
            continue
        capsys.readouterr()
        assert main(argv[1:]) == 0, f"README line failed: {' '.join(argv)}\n{capsys.readouterr().err}"
        out = capsys.readouterr().out
        said[argv[1]] = out
        if argv[1] == "scan":
            assert "images" in out
        if argv[1] == "fid":
            assert "NOT FID" in out  # the random backbone is never called FID

    manifest = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    index = pd.read_csv(tmp_path / "patches" / "index.csv", keep_default_na=False)
    assert (index["kind"] == "lesion").sum() == manifest["lesions"] > 0 and (index["kind"] == "tissue").any()
    assert (tmp_path / "runs" / "g1" / "checkpoints" / "last.pt").is_file()
    gen = json.loads((tmp_path / "gen" / "manifest.json").read_text())
    assert gen["count"] == 60 == len(list((tmp_path / "gen").glob("*.png")))
    results = pd.read_csv(tmp_path / "exp" / "results.csv")
    assert set(results["mode"]) == {"ORG", "Aug ORG", "GAN", "Aug GAN"}
    assert results["auc"].between(0, 1).all()
    with QuizStore.open(tmp_path / "study.sqlite") as store:
        assert (store.n_cases("assessment"), store.n_cases("training")) == (16, 4)
        items = store.items()
        assert (items["source"] == "real").sum() == 10 and (items["truth"] == "generated").sum() == 10
    # the study's real lesions are the held-out archive's: none is one of the GAN's training patches
    held_out = pd.read_csv(tmp_path / "held-out-patches" / "index.csv")
    n_lesions = int((held_out["kind"] == "lesion").sum())
    assert f"real: 0 of {n_lesions} patches left out" in said["quiz-create"]
    responses = pd.read_csv(tmp_path / "responses.csv")
    assessment = responses[responses["mode"] == "assessment"]
    assert len(assessment) == 2 * 16 and assessment[assessment["reader"] == "R1"]["correct"].astype(bool).all()
    sheets = pd.read_excel(tmp_path / "report.xlsx", sheet_name=None, engine="openpyxl")
    assert len(sheets["responses"]) == len(responses)


def _png_folder(folder: Path, images: np.ndarray) -> Path:
    from mammostudio.core.images import write_png

    folder.mkdir(parents=True)
    for i, img in enumerate(images):
        write_png(folder / f"{i:03d}.png", img)
    return folder


def test_quiz_create_explains_left_out_real_patches_and_suggests_cases(tmp_path, capsys):
    rng = np.random.default_rng(0)
    real = rng.integers(0, 256, (12, 16, 16), dtype=np.uint8)
    real_dir = _png_folder(tmp_path / "real", real)
    trained_on = _png_folder(tmp_path / "train", real[:8])  # the generator saw 8 of the 12
    gen = _png_folder(tmp_path / "gen", rng.integers(0, 256, (40, 16, 16), dtype=np.uint8))
    argv = ["quiz-create", str(tmp_path / "s.sqlite"), "--real", str(real_dir), "--generated", str(gen),
            "--training-patches", str(trained_on), "--size", "16"]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "need 60 real patches" in err and "only 4 eligible" in err
    assert "8 of 12 are left out as the generator's own training patches" in err
    match = re.search(r"Try --cases (\d+) --training-cases (\d+)", err)
    assert match, err
    # the suggestion works as typed
    assert main(argv + ["--cases", match.group(1), "--training-cases", match.group(2)]) == 0
    assert "wrote" in capsys.readouterr().out
