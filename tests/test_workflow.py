"""The whole research workflow through the public commands, on a tiny demo dataset.

demo-data -> scan -> extract -> train-gan -> generate -> fid (random backbone)
-> experiment -> quiz-create -> a simulated reader answering through the quiz
core API -> quiz-report. Each step's output files are opened and checked
against what the earlier steps produced. One CPU thread, 384 x 320 images,
16-pixel patches: a few minutes on a loaded 2-core machine.
"""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mammostudio.cli import main
from mammostudio.core.images import read_png

pytestmark = pytest.mark.slow


def _run(argv: list[str]) -> None:
    assert main([str(a) for a in argv]) == 0, f"mammostudio {' '.join(map(str, argv))} failed"


def test_demo_data_to_quiz_report_through_the_public_commands(tmp_path, capsys):
    pytest.importorskip("torch")
    from mammostudio.core.quiz import QuizStore, ReaderProfile
    from mammostudio.core.quiz.simulate import simulate_reader

    # 1. demo data: 12 patients (a third with lesions), four views each.
    demo = tmp_path / "demo"
    _run(["demo-data", "--patients", "12", "--size", "384", "320", "--seed", "0", "--quiet", demo])
    manifest = json.loads((demo / "manifest.json").read_text())
    assert (demo / "workbook" / "annotations.xlsx").is_file()
    assert len(list((demo / "workbook").rglob("*.dcm"))) == 48 == manifest["images"]
    assert len(list((demo / "omidb").rglob("*.dcm"))) == 48

    # 2. scan, as a user would type it (python -m mammostudio): the catalog matches the manifest.
    scan = subprocess.run([sys.executable, "-m", "mammostudio", "scan", "--json", str(demo / "workbook")],
                          capture_output=True, text=True, timeout=120)
    assert scan.returncode == 0, scan.stderr
    summary = json.loads(scan.stdout)
    assert (summary["patients"], summary["images"], summary["problems"]) == (12, 48, 0)
    assert summary["lesions"] == manifest["lesions"] > 0
    assert summary["filter"]["kept"] + summary["filter"]["removed"] == 48

    # 3. extract every image (the demo deliberately includes acquisitions the paper's filter drops).
    patches = tmp_path / "patches"
    _run(["extract", "--no-filter", "--quiet", "--seed", "0", demo / "workbook", patches])
    index = pd.read_csv(patches / "index.csv", keep_default_na=False)
    lesion_rows, tissue_rows = index[index["kind"] == "lesion"], index[index["kind"] == "tissue"]
    assert len(lesion_rows) == manifest["lesions"]  # one crop per annotated box
    assert sorted(p.name for p in (patches / "patches").glob("*.npz")) == sorted(
        {f.split("/")[-1] for f in index["file"]})  # one store per image with patches
    assert len(tissue_rows) > 0 and json.loads((patches / "params.json").read_text())

    # 3b. the patches as PNGs, one per patch, for other tools (and the GAN's training folder below).
    pngs = tmp_path / "patch_pngs"
    _run(["export-patches", patches, pngs, "--quiet"])
    assert sorted(p.name for p in (pngs / "lesion").glob("*.png")) == sorted(lesion_rows["patch_id"] + ".png")
    assert len(list((pngs / "tissue").glob("*.png"))) == len(tissue_rows)
    crop = read_png(pngs / "lesion" / f"{lesion_rows['patch_id'].iloc[0]}.png")
    assert crop.dtype == np.uint8 and crop.shape == (lesion_rows["height"].iloc[0], lesion_rows["width"].iloc[0])

    # 4. a tiny DCGAN on half of the lesion patches (the other half stays unseen for the quiz).
    train_dir = tmp_path / "gan_train"
    train_dir.mkdir()
    seen = sorted(f"lesion/{pid}.png" for pid in lesion_rows["patch_id"])[: len(lesion_rows) // 2]
    for f in seen:
        shutil.copy(pngs / f, train_dir)
    run = tmp_path / "run"
    _run(["train-gan", "--preset", "tiny", "--epochs", "2", "--seed", "0", "--threads", "1", "--quiet",
          "--mixed-sizes", train_dir, run])  # copied lesion crops differ in size on purpose
    metrics = pd.read_csv(run / "metrics.csv")
    assert len(metrics) == 2 and np.isfinite(metrics.select_dtypes("number").to_numpy()).all()
    config = json.loads((run / "config.json").read_text())
    assert (run / "checkpoints" / "last.pt").is_file() and len(list((run / "samples").glob("*.png"))) == 2

    # 5. generate 20 images from the checkpoint.
    gen = tmp_path / "generated"
    _run(["generate", run / "checkpoints" / "last.pt", gen, "--n", "20", "--seed", "1"])
    gen_manifest = json.loads((gen / "manifest.json").read_text())
    assert gen_manifest["count"] == 20 and len(gen_manifest["files"]) == 20
    first = read_png(gen / gen_manifest["files"][0])
    assert first.dtype == np.uint8 and first.shape == (config["image_size"],) * 2

    # 6. Frechet distance in random-network features: the 2-epoch generator is far from the real
    #    patches, much further than two halves of the real set are from each other.
    fid_json = tmp_path / "fid.json"
    _run(["fid", patches, gen, "--backbone", "random", "--size", "16", "--json", fid_json, "--quiet"])
    fid = json.loads(fid_json.read_text())
    assert (fid["backbone"], fid["n_real"], fid["n_fake"]) == ("random", len(lesion_rows), 20)
    assert math.isfinite(fid["fid"]) and fid["fid"] > fid["floor"] >= 0
    assert list((patches / "fid_stats").glob("*.npz"))  # real statistics cached beside the patches

    # 7. the augmentation experiment, tiny: k = 2 masses, 2 patient-grouped folds.
    exp = tmp_path / "experiment"
    _run(["experiment", patches, exp, "--preset", "tiny", "--sizes", "2", "--folds", "2", "--gan-epochs", "1",
          "--seed", "0", "--quiet"])
    results = pd.read_csv(exp / "results.csv")
    assert set(results["mode"]) == {"ORG", "Aug ORG", "GAN", "Aug GAN"} and set(results["k"]) == {2}
    assert results["auc"].between(0, 1).all() and results["f1"].between(0, 1).all()
    data = json.loads((exp / "data.json").read_text())
    assert data["grouped_by_patient"] and data["negatives"] == len(tissue_rows)
    assert set(pd.read_excel(exp / "results.xlsx", sheet_name=None, engine="openpyxl")) and (exp / "report.md").stat().st_size > 0
    assert (exp / "figure9_f1.png").stat().st_size > 0

    # 8. a reader study: real lesions the generator never saw against its images.
    db = tmp_path / "study.sqlite"
    capsys.readouterr()
    _run(["quiz-create", db, "--real", patches, "--generated", gen, "--cases", "6", "--training-cases", "2",
          "--size", "16", "--seed", "0"])
    assert f"real: {len(seen)} of {len(lesion_rows)} patches left out" in capsys.readouterr().out
    seen_pixels = {read_png(train_dir / f.split("/")[-1]).tobytes() for f in seen}
    with QuizStore.open(db) as store:
        assert (store.n_cases("assessment"), store.n_cases("training")) == (6, 2)
        items = store.items()
        assert set(items["source"]) == {"real", "run"}  # generators are named by their run folder (issue 15)
        assert not seen_pixels & {store.item_pixels(i).tobytes() for i in items["item_id"]}
        # Simulated readers answer through the same session calls as the reading screen.
        for code, policy in (("R1", "perfect"), ("R2", "random")):
            store.add_reader(ReaderProfile(code, 5, "breast"))
            assert simulate_reader(store.start_session(code, "training"), policy, np.random.default_rng(1)) == 2
            assert simulate_reader(store.start_session(code, "assessment"), policy, np.random.default_rng(2)) == 6

    # 9. the report: Excel workbook and tidy CSV with every answer.
    xlsx, csv = tmp_path / "report.xlsx", tmp_path / "responses.csv"
    _run(["quiz-report", db, xlsx, "--csv", csv])
    responses = pd.read_csv(csv)
    assessment = responses[responses["mode"] == "assessment"]
    assert len(assessment) == 12 and set(assessment["reader"]) == {"R1", "R2"}
    assert assessment[assessment["reader"] == "R1"]["correct"].astype(bool).all()
    assert (assessment["answer"].isin(["real", "generated"])).all()
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl")
    assert len(sheets["responses"]) == len(responses)
    per_reader = sheets["per_reader"].set_index("reader")
    assert {"R1", "R2"} <= set(per_reader.index)
    assert per_reader.loc["R1", "correct"] == per_reader.loc["R1", "n"] == 6  # the perfect reader


def test_self_test_command_opens_the_main_window_and_sees_an_image(capsys):
    pytest.importorskip("PySide6")
    assert main(["self-test", "--size", "256", "208"]) == 0
    assert "self-test passed" in capsys.readouterr().out


def test_self_test_calls_a_uniform_grab_blank_and_a_mammogram_not(qapp):
    from PySide6.QtGui import QColor, QImage

    from mammostudio.cli.cmd_selftest import _image_stats

    blank = QImage(200, 100, QImage.Format.Format_RGB32)
    blank.fill(QColor(40, 40, 40))
    assert _image_stats(blank) == (0.0, 1)
    ramp = QImage(256, 10, QImage.Format.Format_RGB32)
    for col in range(256):
        for row in range(10):
            ramp.setPixelColor(col, row, QColor(col, col, col))
    std, levels = _image_stats(ramp)
    assert levels == 256 and std == pytest.approx(np.arange(256).std(), rel=1e-3)


def test_bundle_entry_point_maps_the_self_test_flag():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bundle_entry", Path(__file__).resolve().parents[1] / "packaging" / "entry.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)  # defines _argv only; main runs under __main__
    assert entry._argv(["--self-test", "--keep"]) == ["self-test", "--keep"]
    assert entry._argv(["scan", "x"]) == ["scan", "x"]
    assert entry._argv([]) == []
