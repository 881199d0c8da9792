"""The annotation-workbook reader and writer on tiny DICOM trees written here."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mammostudio.core.dicom import write_dicom
from mammostudio.core.readers import DatasetError, detect_format, open_dataset
from mammostudio.core.readers.workbook import catalog_to_rows, read_table, write_workbook

ROWS, COLS = 40, 30


def write_image(root: Path, patient: str, study: str, sop: str, **meta) -> Path:
    """A tiny MG DICOM at root/batch1/<patient>/<study>/<sop>.dcm."""
    path = root / "batch1" / patient / study / f"{sop}.dcm"
    fields = dict(image_id=sop, patient_id=patient, study_id=f"1.2.9.{patient[-1]}", laterality="L",
                  view="CC", manufacturer="HOLOGIC, Inc.", model_name="Lorad Selenia",
                  tube_current_ma=100, magnification=1.0, for_presentation=True)
    fields.update(meta)
    write_dicom(path, np.full((ROWS, COLS), 100, np.uint16), fields)
    return path


def lesion_row(sop: str, x1, y1, x2, y2, **extra) -> dict:
    return {"patient_id": "p1", "study_id": "s1", "image_id": sop, "lesion_id": "1",
            "x1": x1, "y1": y1, "x2": x2, "y2": y2, "status": "B5", "lesion_type": "Mass", **extra}


@pytest.fixture()
def tree(tmp_path) -> Path:
    """Two patients, three images; the workbook is written by each test."""
    root = tmp_path / "set"
    write_image(root, "p1", "s1", "1.2.3.1")
    write_image(root, "p1", "s1", "1.2.3.2", view="MLO")
    write_image(root, "p2", "s2", "1.2.3.3", laterality="R", tube_current_ma=160)
    return root


def test_boxes_are_normalised_and_converted_to_rows_and_columns(tree):
    write_workbook(tree / "annotations.xlsx", pd.DataFrame([lesion_row("1.2.3.1", 20, 30, 5, 8)]))
    cat = open_dataset(tree)
    assert cat.source_format == "workbook"
    les = cat.lesions.iloc[0]
    # x = column, y = row; corners given in reverse order
    assert (les.row_min, les.col_min, les.row_max, les.col_max) == (8, 5, 30, 20)
    assert les.status == "B5" and les.status_ordinal == 5 and les.lesion_type == "mass"
    assert "annotations.xlsx row 2" in les.source


def test_images_without_rows_are_normal_images(tree):
    write_workbook(tree / "annotations.xlsx", pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9)]))
    cat = open_dataset(tree)
    assert cat.n_images == 3 and cat.n_lesions == 1
    assert dict(zip(cat.images.image_id, cat.with_lesion())) == {"1.2.3.1": True, "1.2.3.2": False, "1.2.3.3": False}
    assert cat.summary()["patients"] == 2


def test_columns_match_aliases_ignoring_case_and_spaces(tree):
    (tree / "marks.csv").write_text(
        " patientid ,SOPInstanceUID,X1,Y1, X2 ,Y2,Biopsy,LESION TYPE,mA,ManufacturerModelName,"
        "Magnification factor,For presentation\n"
        "p1,1.2.3.1,2,3,12,13,b3,calcifications,75,Senographe Essential,1.073,FOR PROCESSING\n",
        encoding="utf-8")
    cat = open_dataset(tree)
    les = cat.lesions.iloc[0]
    assert (les.row_min, les.col_min, les.row_max, les.col_max) == (3, 2, 13, 12)
    assert les.lesion_type == "calcification" and les.status_ordinal == 3
    img = cat.image("1.2.3.1")
    # workbook cells win over the header; the other images keep their header values
    assert img.tube_current_ma == 75 and img.model_name == "Senographe Essential"
    assert img.magnification == pytest.approx(1.073) and not img.for_presentation
    assert cat.image("1.2.3.3").tube_current_ma == 160
    assert cat.image("1.2.3.2").manufacturer == "HOLOGIC, Inc."


def test_header_row_may_follow_title_rows(tree):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["OPTIMAM export, 2019"])
    sheet.append([])
    sheet.append(["Image ID", "x1", "y1", "x2", "y2", "Lesion status"])
    sheet.append(["1.2.3.2", 4, 4, 10, 12, "B2"])
    book.save(tree / "export.xlsx")
    cat = open_dataset(tree)
    assert cat.lesions.iloc[0].status == "B2"
    assert "export.xlsx row 4" in cat.lesions.iloc[0].source


def test_missing_required_column_names_workbook_and_column(tree):
    df = pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9)]).drop(columns="y2")
    df.rename(columns={"image_id": "Image ID", "x1": "x1", "y1": "y1", "x2": "x2"}).to_csv(
        tree / "annotations.csv", index=False)
    with pytest.raises(DatasetError, match=r"annotations\.csv.*'y2'"):
        open_dataset(tree)


def test_unreadable_cell_is_a_problem_naming_file_row_and_column(tree):
    rows = [lesion_row("1.2.3.1", "#VALUE!", 1, 9, 9), lesion_row("1.2.3.2", 1, 1, 9, 9, lesion_id="2"),
            lesion_row("1.2.3.3", 1, 1, 9, 9, tube_current_ma="high")]
    write_workbook(tree / "annotations.xlsx", pd.DataFrame(rows))
    cat = open_dataset(tree)
    assert list(cat.lesions.image_id) == ["1.2.3.2", "1.2.3.3"]
    errors = [p for p in cat.problems if p.severity == "error"]
    assert len(errors) == 1
    assert "annotations.xlsx row 2" in errors[0].path and "'x1'" in errors[0].message
    warn = [p for p in cat.problems if p.severity == "warning"]
    assert "row 4" in warn[0].path and "X-ray tube current" in warn[0].message
    assert cat.image("1.2.3.3").tube_current_ma == 160  # fell back to the header


def test_box_outside_image_is_clipped_with_a_warning(tree):
    write_workbook(tree / "annotations.xlsx", pd.DataFrame([lesion_row("1.2.3.1", -5, 10, 50, 60)]))
    cat = open_dataset(tree)
    les = cat.lesions.iloc[0]
    assert (les.row_min, les.col_min, les.row_max, les.col_max) == (10, 0, ROWS - 1, COLS - 1)
    assert [p.severity for p in cat.problems] == ["warning"]
    assert "clipped" in cat.problems[0].message and "row 2" in cat.problems[0].path


@pytest.mark.parametrize("box, words", [((5, 5, 5, 20), "zero size"), ((100, 100, 120, 130), "entirely outside")])
def test_unusable_box_is_an_error_and_the_row_is_skipped(tree, box, words):
    rows = [lesion_row("1.2.3.1", *box), lesion_row("1.2.3.2", 1, 1, 9, 9)]
    write_workbook(tree / "annotations.xlsx", pd.DataFrame(rows))
    cat = open_dataset(tree)
    assert list(cat.lesions.image_id) == ["1.2.3.2"]
    assert len(cat.problems) == 1 and words in cat.problems[0].message
    assert cat.problems[0].severity == "error"


def test_listed_but_absent_image_is_a_problem(tree):
    rows = [lesion_row("9.9.9", 1, 1, 9, 9), lesion_row("1.2.3.1", 1, 1, 9, 9)]
    write_workbook(tree / "annotations.xlsx", pd.DataFrame(rows))
    cat = open_dataset(tree)
    assert cat.n_images == 3 and list(cat.lesions.image_id) == ["1.2.3.1"]
    assert "'9.9.9'" in cat.problems[0].message and "row 2" in cat.problems[0].path


def test_corrupt_and_non_dicom_files_are_problems_and_the_rest_loads(tree):
    good = tree / "batch1" / "p1" / "s1" / "1.2.3.1.dcm"
    truncated = tree / "batch1" / "p2" / "s2" / "7.7.dcm"
    truncated.write_bytes(good.read_bytes()[:200])
    text = tree / "batch1" / "p2" / "s2" / "8.8.dcm"
    text.write_text("this is not an image")
    write_workbook(tree / "annotations.xlsx", pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9)]))
    cat = open_dataset(tree)
    assert cat.n_images == 3 and cat.n_lesions == 1
    paths = {p.path for p in cat.problems}
    assert {str(truncated), str(text)} <= paths
    assert all(p.severity == "error" and p.path in p.message for p in cat.problems)


def test_paths_with_spaces_and_non_ascii_characters_load(tmp_path):
    root = tmp_path / "Études de cas ü" / "set 1"
    write_image(root, "pat ø1", "study ñ", "1.2.3.1")
    write_workbook(root / "annotations (copie).xlsx", pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9)]))
    cat = open_dataset(root)
    assert cat.n_lesions == 1 and not cat.problems
    assert Path(cat.image("1.2.3.1").path).is_file()


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetError, match="empty"):
        open_dataset(tmp_path)


def test_workbook_is_detected_before_loose_files(tree):
    write_workbook(tree / "annotations.csv", pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9)]))
    assert detect_format(tree) == "workbook"


@pytest.mark.parametrize("name", ["annotations.xlsx", "annotations.csv"])
def test_written_workbook_reads_back_the_same_catalog(tree, tmp_path, name):
    rows = [lesion_row("1.2.3.1", 2, 3, 12, 13), lesion_row("1.2.3.1", 20, 5, 25, 30, lesion_id="2",
                                                              lesion_type="mass+calcification", status="B2")]
    write_workbook(tree / "annotations.xlsx", pd.DataFrame(rows))
    first = open_dataset(tree)
    table = catalog_to_rows(first)
    assert len(table) == 4  # two boxes + two images without a lesion
    (tree / "annotations.xlsx").unlink()
    write_workbook(tree / name, table)
    again = open_dataset(tree)
    cols = ["image_id", "lesion_id", "row_min", "col_min", "row_max", "col_max", "status", "lesion_type"]
    pd.testing.assert_frame_equal(first.lesions[cols], again.lesions[cols])
    pd.testing.assert_frame_equal(first.images.drop(columns="path"), again.images.drop(columns="path"))
    assert not [p.name for p in tree.iterdir() if ".part" in p.name]


def test_read_table_reports_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("Image ID,x1,y1,x2,y2\n1.2,1,1,5,5\n,,,,\n1.3,2,2,6,6\n", encoding="utf-8")
    table, problems = read_table(path)
    assert list(table["_row"]) == [2, 4] and not problems
