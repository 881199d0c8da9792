"""Exports: iMRMC / MRMCaov layouts, Excel sheets, no patient identifiers; the quiz CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mammostudio.cli import main
from mammostudio.core.images import write_png
from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig, design_study, export
from mammostudio.core.quiz.simulate import simulate_reader, synthetic_sets


@pytest.fixture
def read_study(tmp_path):
    real, gens = synthetic_sets(np.random.default_rng(0), n_real=30, n_generated=30, size=16, generators=2)
    cfg = StudyConfig(n_assessment=12, n_training=6, image_size=16)
    store = QuizStore.create(tmp_path / "s.sqlite", design_study(real, gens, cfg))
    for code, policy in (("R1", "perfect"), ("R 2", "random")):
        store.add_reader(ReaderProfile(code, 3, "breast"))
        simulate_reader(store.start_session(code, "assessment"), policy, np.random.default_rng(1))
        simulate_reader(store.start_session(code, "training"), policy, np.random.default_rng(2))
    yield store
    store.close()


def test_imrmc_file_has_header_then_one_truth_row_per_case_then_reader_rows(read_study, tmp_path):
    path = export.write_imrmc(read_study, tmp_path / "s.imrmc")
    lines = path.read_text().splitlines()
    begin = lines.index("BEGIN DATA:")
    header = dict(l.split(": ") for l in lines[:begin] if l[:3] in ("NR:", "N0:", "N1:", "NM:"))
    assert header == {"NR": "2", "N0": "6", "N1": "6", "NM": "1"}
    rows = [l.split(",") for l in lines[begin + 1:] if l]
    truth = [r for r in rows if r[0] == "-1"]
    reads = [r for r in rows if r[0] != "-1"]
    assert [int(r[1]) for r in truth] == list(range(1, 13))  # integer case ids, one truth row each
    assert all(r[2] == "0" and r[3] in ("0", "1") for r in truth)
    assert len(reads) == 2 * 12 and {r[0] for r in reads} == {"R1", "R_2"}
    assert all(r[2] == "1" and 1 <= int(r[3]) <= 10 for r in reads)
    assert rows.index(truth[-1]) < rows.index(reads[0])  # truth block first


def test_imrmc_r_frame_and_mrmcaov_table_agree(read_study, tmp_path):
    r = pd.read_csv(export.write_imrmc_r(read_study, tmp_path / "r.csv"))
    assert list(r.columns) == ["readerID", "caseID", "modalityID", "score"]
    truth = r[r["readerID"] == "truth"]
    assert len(truth) == 12 and (truth["modalityID"] == "truth").all()
    m = pd.read_csv(export.write_mrmcaov(read_study, tmp_path / "m.csv"))
    assert list(m.columns) == ["reader", "test", "case", "truth", "rating"]
    assert len(m) == 24 and m.groupby("case")["truth"].nunique().eq(1).all()
    perfect = m[m["reader"] == "R1"]
    assert ((perfect["rating"] > 5) == (perfect["truth"] == 1)).all()


def test_exports_never_contain_patient_identifiers_or_source_files(read_study, tmp_path):
    xlsx = export.write_excel(read_study, tmp_path / "r.xlsx")
    csv = export.write_csv(read_study, tmp_path / "r.csv")
    sheets = pd.read_excel(xlsx, sheet_name=None, engine="openpyxl")
    assert {"responses", "per_reader", "pooled", "per_generator", "per_case", "agreement"} <= set(sheets)
    text = csv.read_text() + "".join(s.to_csv() for s in sheets.values())
    assert "PATIENT-" not in text
    assert "lesion_0" not in text
    assert len(sheets["responses"]) == 2 * (12 + 6)


def _png_folder(folder, stack):
    for i, im in enumerate(stack):
        write_png(folder / f"img_{i:03d}.png", im)


def test_cli_creates_a_study_and_writes_the_report(tmp_path, capsys):
    real, gens = synthetic_sets(np.random.default_rng(4), n_real=20, n_generated=20, size=16)
    _png_folder(tmp_path / "real", real.images)
    _png_folder(tmp_path / "gen", gens[0].images)
    (tmp_path / "gen" / "manifest.json").write_text(json.dumps({"checkpoint": "runs/a/epoch_0050.pt", "seed": 1, "count": 20}))
    db = tmp_path / "study.sqlite"
    assert main(["quiz-create", str(db), "--real", str(tmp_path / "real"), "--generated", str(tmp_path / "gen"),
                 "--cases", "8", "--training-cases", "4", "--size", "16"]) == 0
    assert "memorisation not screened" in capsys.readouterr().out
    with QuizStore.open(db) as store:
        assert set(store.items()["source"]) == {"real", "a (epoch_0050)"}
        store.add_reader(ReaderProfile("X"))
        simulate_reader(store.start_session("X", "assessment"), "perfect", np.random.default_rng(0))
    assert main(["quiz-stats", str(db)]) == 0
    assert "better than chance" in capsys.readouterr().out
    assert main(["quiz-report", str(db), str(tmp_path / "out.xlsx"), "--imrmc", str(tmp_path / "o.imrmc")]) == 0
    assert (tmp_path / "out.xlsx").is_file() and (tmp_path / "o.imrmc").is_file()
    assert main(["quiz-create", str(db), "--real", str(tmp_path / "real"), "--generated", str(tmp_path / "gen")]) == 2
    assert "already exists" in capsys.readouterr().err


def test_cli_finds_the_generators_training_patches_through_its_run_folder(tmp_path, capsys):
    real, gens = synthetic_sets(np.random.default_rng(6), n_real=30, n_generated=20, size=16)
    _png_folder(tmp_path / "real", real.images)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    np.save(run / "patches.npy", real.images[:10])  # the GAN was trained on the first ten real patches
    gen = gens[0].images.copy()
    gen[:3] = real.images[:3]  # three memorised copies
    _png_folder(tmp_path / "gen", gen)
    (tmp_path / "gen" / "manifest.json").write_text(
        json.dumps({"checkpoint": str(run / "checkpoints" / "last.pt"), "seed": 0, "count": 20}))
    db = tmp_path / "s.sqlite"
    assert main(["quiz-create", str(db), "--real", str(tmp_path / "real"), "--generated", str(tmp_path / "gen"),
                 "--cases", "12", "--training-cases", "4", "--size", "16"]) == 0
    out = capsys.readouterr().out
    assert "real: 10 of 30 patches left out" in out and "run: 3 of 20 generated images" in out
    with QuizStore.open(db) as store:
        stored = {store.item_pixels(i).tobytes() for i in store.items()["item_id"]}
    assert not stored & {im.tobytes() for im in real.images[:10]}


def test_per_generator_modalities_share_the_real_cases(read_study, tmp_path):
    m = export.mrmc_frame(read_study, by_generator=True)
    assert sorted(m["test"].unique()) == ["G1", "G2"]
    real_cases = lambda t: set(m[(m["test"] == t) & (m["truth"] == 0)]["case"])  # noqa: E731
    assert real_cases("G1") == real_cases("G2") and len(real_cases("G1")) == 6
    gen_cases = lambda t: set(m[(m["test"] == t) & (m["truth"] == 1)]["case"])  # noqa: E731
    assert not gen_cases("G1") & gen_cases("G2") and len(gen_cases("G1") | gen_cases("G2")) == 6
    lines = export.write_imrmc(read_study, tmp_path / "g.imrmc", by_generator=True).read_text().splitlines()
    assert "NM: 2" in lines and "modality 1 = G1" in lines and "modality 2 = G2" in lines
    data = lines[lines.index("BEGIN DATA:") + 1:]
    assert sum(l.startswith("-1,") for l in data) == 12  # still one truth row per case
