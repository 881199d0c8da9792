"""Detection studies: scoring marks, designs from real datasets, CLI reports and the RJafroc workbook."""
from __future__ import annotations

import math

import numpy as np
import openpyxl
import pytest

from mammostudio.cli import main
from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig
from mammostudio.core.quiz.detect import design_detection, display_image
from mammostudio.core.quiz.detect_report import summarise_detection
from mammostudio.core.quiz.detect_score import Mark, Outline, score_marks
from mammostudio.core.quiz.froc import CaseRatings, wafroc_theta
from mammostudio.core.quiz.simulate_detection import simulate_detection_reader, synthetic_detection_catalog


def test_two_marks_on_one_lesion_keep_the_higher_rating_and_the_other_is_a_non_lesion_mark():
    outline = [Outline(1, "a", (10, 10, 20, 20))]
    marks = [Mark(1, "a", 12, 12, 2), Mark(2, "a", 15, 15, 4), Mark(3, "a", 40, 40, 5)]
    lesion_of, ll = score_marks(marks, outline, 1)
    assert lesion_of == {1: None, 2: 1, 3: None} and ll == [4.0]


def test_outline_and_radius_criteria_in_original_pixels_and_mm():
    outline = [Outline(1, "a", (10, 10, 20, 20), spacing_mm=0.1), Outline(2, "b", (0, 0, 4, 4), spacing_mm=0.1)]
    near = Mark(1, "a", 24.0, 15.0, 3)  # 4 px outside the box, 9 px = 0.9 mm from the centre
    assert score_marks([near], outline, 2)[1] == [-math.inf, -math.inf]
    assert score_marks([near], outline, 2, radius_mm=1.0)[1] == [3.0, -math.inf]
    assert score_marks([near], outline, 2, radius_mm=0.5)[1] == [-math.inf, -math.inf]
    other_image = Mark(2, "b", 15.0, 15.0, 5)
    assert score_marks([other_image], outline, 2)[0] == {2: None}


def test_display_image_keeps_the_mapping_to_original_pixels():
    img = np.zeros((1000, 800), np.uint16)
    img[500:520, 400:420] = 4000
    shown, scale = display_image(img, 250)
    assert max(shown.shape) == 250 and scale == pytest.approx(4.0)
    r, c = np.unravel_index(np.argmax(shown), shown.shape)
    assert 500 <= (r + 0.5) * scale - 0.5 < 520 and 400 <= (c + 0.5) * scale - 0.5 < 420


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo-data", str(out), "--patients", "4", "--size", "256", "208", "--quiet"]) == 0
    return out / "workbook"


def test_four_view_cases_show_a_lesion_once_with_an_outline_per_view(demo):
    from mammostudio.core.readers import open_dataset

    cfg = StudyConfig(task="detection", n_assessment=2, n_training=0, image_size=128, case_unit="study", seed=0)
    design = design_detection(open_dataset(demo), cfg)
    abnormal = [c for c in design.cases if c.lesions]
    assert len(design.cases) == 2 and len(abnormal) == 1
    assert all(len(c.images) == 4 for c in design.cases)
    (lesion,) = abnormal[0].lesions
    assert len(lesion.outlines) == 2 and lesion.source == "real"
    assert [im.view for im in abnormal[0].images] == ["R CC", "L CC", "R MLO", "L MLO"]


def test_cli_detection_study_on_the_demo_data_reports_wafroc_and_writes_the_rjafroc_workbook(demo, tmp_path, capsys):
    db = tmp_path / "det.sqlite"
    assert main(["quiz-create", str(db), "--task", "detection", "--dataset", str(demo), "--cases", "4",
                 "--training-cases", "0", "--size", "128"]) == 0
    assert "2 normal, 2 abnormal" in capsys.readouterr().out
    store = QuizStore.open(db)
    for code, policy in (("R1", "perfect"), ("R2", "random")):
        store.add_reader(ReaderProfile(code))
        simulate_detection_reader(store.start_session(code, "assessment"), policy, np.random.default_rng(1))
    store.close()
    assert main(["quiz-stats", str(db)]) == 0
    out = capsys.readouterr().out
    assert "wAFROC" in out and "detection rate by lesion source" in out
    xlsx, rj, csv = tmp_path / "r.xlsx", tmp_path / "rj.xlsx", tmp_path / "marks.csv"
    assert main(["quiz-report", str(db), str(xlsx), "--rjafroc", str(rj), "--csv", str(csv)]) == 0
    wb = openpyxl.load_workbook(rj)
    assert wb.sheetnames == ["TRUTH", "NL", "LL"]
    header = {name: [c.value for c in wb[name][1]] for name in wb.sheetnames}
    assert header == {"TRUTH": ["CaseID", "LesionID", "Weight", "ReaderID", "ModalityID", "Paradigm"],
                      "NL": ["ReaderID", "ModalityID", "CaseID", "NL_Rating"],
                      "LL": ["ReaderID", "ModalityID", "CaseID", "LesionID", "LL_Rating"]}
    truth = list(wb["TRUTH"].iter_rows(min_row=2, values_only=True))
    assert [r[5] for r in truth[:2]] == ["FROC", "crossed"] and truth[0][3] == "R1, R2"
    assert sorted(r[1] for r in truth) == [0, 0, 1, 1]  # two normal cases, two one-lesion cases
    ll = list(wb["LL"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in ll].count("R1") == 2  # the perfect reader localised both lesions
    # Read the workbook back the way RJafroc's ReadJAFROCNewFormat does and recompute wAFROC.
    nl = list(wb["NL"].iter_rows(min_row=2, values_only=True))
    with QuizStore.open(db, readonly=True) as ro:
        per_reader = summarise_detection(ro).per_reader.set_index("reader")
    for reader in ("R1", "R2"):
        cases = []
        for case in sorted({r[0] for r in truth}):
            lesions = sorted(r[1] for r in truth if r[0] == case and r[1] > 0)
            nls = tuple(r[3] for r in nl if r[0] == reader and r[2] == case)
            lls = tuple(next((r[4] for r in ll if r[0] == reader and r[2] == case and r[3] == n), -math.inf)
                        for n in lesions)
            cases.append(CaseRatings(nl=nls, ll=lls))
        assert wafroc_theta(cases) == pytest.approx(per_reader.loc[reader, "wAFROC"])
    from mammostudio.core.readers import open_dataset

    text = csv.read_text() + " ".join(str(c.value) for w in (wb, openpyxl.load_workbook(xlsx))
                                      for ws in w for row in ws for c in row)
    images = open_dataset(demo).images
    for secret in [*images["patient_id"], *images["image_id"], *images["study_id"]]:
        assert str(secret) not in text
    assert ".dcm" not in text


def test_perfect_reader_finds_simulated_and_real_lesions_alike_and_scores_one(tmp_path):
    cat = synthetic_detection_catalog(tmp_path / "d", np.random.default_rng(5), n_normal=6, n_abnormal=6)
    cfg = StudyConfig(task="detection", n_assessment=10, n_training=0, image_size=64, seed=3)
    store = QuizStore.create(tmp_path / "s.sqlite", design_detection(cat, cfg))
    store.add_reader(ReaderProfile("P"))
    simulate_detection_reader(store.start_session("P", "assessment"), "perfect", np.random.default_rng(0))
    res = summarise_detection(store)
    row = res.per_reader.set_index("reader").loc["P"]
    assert row["wAFROC"] == 1.0 and row["LLF"] == 1.0 and row["NL"] == 0
    rates = res.by_source.set_index(["reader", "source"])["rate"]
    assert rates[("ALL", "simulated")] == 1.0 and rates[("ALL", "real")] == 1.0
    store.close()


def test_mini_mias_films_make_a_detection_study(mias_dir, tmp_path):
    from mammostudio.core.readers import open_dataset

    cfg = StudyConfig(task="detection", n_assessment=4, n_training=0, image_size=256, seed=0)
    design = design_detection(open_dataset(mias_dir), cfg)
    abnormal = [c for c in design.cases if c.lesions]
    assert len(abnormal) == 2
    im = abnormal[0].images[0]
    assert im.pixels.shape == (256, 256) and im.scale == pytest.approx(4.0)
    assert all(les.source == "real" for c in abnormal for les in c.lesions)


def test_detection_dialog_builds_a_study_from_dataset_folders(qtbot, demo, tmp_path):
    from mammostudio.gui.quiz.detection_dialog import DetectionDesignDialog

    dialog = DetectionDesignDialog()
    qtbot.addWidget(dialog)
    dialog.datasets.addItem(str(demo))
    dialog.out.setText(str(tmp_path / "d.sqlite"))
    dialog.cases.setValue(4)
    dialog.training_cases.setValue(0)
    dialog.image_size.setValue(128)
    dialog.radius.setValue(5.0)
    dialog.create_button.click()
    assert dialog.study_path == tmp_path / "d.sqlite" and "5.0 mm of the centre" in dialog.log.toPlainText()
    with QuizStore.open(dialog.study_path, readonly=True) as store:
        assert store.config.task == "detection" and store.n_cases("assessment") == 4
    dialog.cases.setValue(400)
    dialog.out.setText(str(tmp_path / "e.sqlite"))
    dialog.create_button.click()
    assert "Cannot create the study: need" in dialog.log.toPlainText()
