"""Issue 16: every reader checks its rows the same way and says so at scan time."""
from __future__ import annotations

import pandas as pd
import pytest

from mammostudio.core.catalog import Problem
from mammostudio.core.readers import open_dataset
from mammostudio.core.readers.validate import check_box, finish, read_csv_table, sniff_delimiter
from mammostudio.core.readers.workbook import write_workbook
from test_workbook_reader import lesion_row, write_image


@pytest.fixture()
def tree(tmp_path):
    """Two tiny images under a batch/patient/study tree; the workbook is written by each test."""
    root = tmp_path / "set"
    write_image(root, "p1", "s1", "1.2.3.1")
    write_image(root, "p1", "s1", "1.2.3.2", view="MLO")
    return root


def test_duplicated_workbook_row_gives_one_box_and_a_warning(tree):
    row = lesion_row("1.2.3.1", 1, 1, 9, 9)
    write_workbook(tree / "annotations.xlsx", pd.DataFrame([row, row]))
    cat = open_dataset(tree)
    assert cat.n_lesions == 1
    assert [p.severity for p in cat.problems] == ["warning"]
    assert "row 3" in cat.problems[0].path and "row 2" in cat.problems[0].message


def test_semicolon_separated_workbook_reads_like_a_comma_one(tree):
    rows = pd.DataFrame([lesion_row("1.2.3.1", 1, 1, 9, 9), lesion_row("1.2.3.2", "2,5", 3, 12, 14)])
    write_workbook(tree / "annotations.csv", rows)
    text = (tree / "annotations.csv").read_text()
    (tree / "annotations.csv").write_text(text.replace(",", ";").replace('"2;5"', "2,5"))
    cat = open_dataset(tree)
    assert cat.n_lesions == 2 and not cat.problems
    assert cat.boxes_of("1.2.3.2").tolist() == [[3, 2, 14, 12]]  # 2,5 (decimal comma) rounds to 2


@pytest.mark.parametrize("line, words", [("mdb001 G CIRC B 535 425 -197", "not positive"),
                                         ("mdb001 G CIRC B 1535 425 19", "outside"),
                                         ("mdb001 G CIRC B 535 -25 19", "outside")])
def test_mias_bad_circle_is_an_error_and_no_box(mias_copy, line, words):
    info = mias_copy / "Info.txt"
    text = info.read_text(encoding="latin-1").replace("mdb001 G CIRC B 535 425 197", line)
    info.write_text(text, encoding="latin-1")
    cat = open_dataset(mias_copy)
    assert len(cat.lesions_of("mdb001")) == 0
    errors = [p for p in cat.problems if p.severity == "error"]
    assert len(errors) == 1 and words in errors[0].message and "Info.txt:" in errors[0].path


def test_mias_duplicated_line_is_one_box_and_a_warning(mias_copy):
    info = mias_copy / "Info.txt"
    text = info.read_text(encoding="latin-1")
    line = next(ln for ln in text.splitlines() if ln.startswith("mdb002"))
    info.write_text(text.replace(line, f"{line}\n{line}"), encoding="latin-1")
    cat = open_dataset(mias_copy)
    assert len(cat.lesions_of("mdb002")) == 1
    assert [p.severity for p in cat.problems] == ["warning"] and "duplicated" in cat.problems[0].message


def test_mias_benign_malignant_becomes_pathology(mias_copy):
    cat = open_dataset(mias_copy)
    assert cat.lesions_of("mdb001").pathology.tolist() == ["benign"]  # Info.txt: mdb001 G CIRC B
    assert set(cat.lesions.severity) == set(cat.lesions.pathology)


@pytest.mark.parametrize("box, words", [((10, 5, 4, 9), "inverted"), ((3, 3, 3, 9), "zero size"),
                                        ((50, 50, 60, 60), "entirely outside"), ((1, 1, float("nan"), 4), "numbers")])
def test_unusable_box_is_an_error(box, words):
    problems = []
    keys = ("row_min", "col_min", "row_max", "col_max")
    assert check_box(dict(zip(keys, box)), rows=20, cols=20, where="f row 2", problems=problems) is None
    assert len(problems) == 1 and words in problems[0].message and problems[0].severity == "error"


def test_box_sticking_out_is_clipped_with_a_warning():
    problems = []
    out = check_box({"row_min": -3, "col_min": 5, "row_max": 8, "col_max": 40}, rows=20, cols=20, problems=problems)
    assert out == {"row_min": 0, "col_min": 5, "row_max": 8, "col_max": 19}
    assert [p.severity for p in problems] == ["warning"]


def test_finish_drops_boxes_on_unknown_images_and_second_images(tmp_path):
    images = [{"image_id": "a", "path": "/x/a", "rows": 10, "cols": 10}, {"image_id": "a", "path": "/y/a"}]
    lesions = [{"image_id": "b", "row_min": 1, "col_min": 1, "row_max": 4, "col_max": 4, "source": "s"}]
    problems: list[Problem] = []
    cat = finish(images, lesions, root=tmp_path, fmt="test", problems=problems)
    assert cat.n_images == 1 and cat.n_lesions == 0
    assert [p.path for p in cat.problems] == ["/y/a", "s"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(sep.join(["Image ID", "x1", "y1"]) + "\n" + sep.join(["a", "1,5" if sep != "," else "1", "2"]) + "\n")
    assert sniff_delimiter(path.read_text()) == sep
    assert list(read_csv_table(path).columns) == ["Image ID", "x1", "y1"]


def test_mias_copy_fixture_still_reads_cleanly(mias_copy):
    cat = open_dataset(mias_copy)
    assert cat.n_images == 3 and cat.n_lesions == 4 and not cat.problems


def test_sniffer_is_not_misled_by_title_rows_decimal_commas_or_quoted_lists():
    semicolon = "Annotations of 2024\n\nImage ID;x1;y1;x2;y2\na;1,5;2;3,5;4\nb;1;2;3;4\n"
    assert sniff_delimiter(semicolon) == ";"
    vindr = "image_id,finding_categories,xmin\na,\"['Mass', 'Skin Thickening']\",1\nb,\"['Mass']\",2\n"
    assert sniff_delimiter(vindr) == ","


def test_csv_workbook_may_start_with_title_rows(tree):
    (tree / "annotations.csv").write_text("Lesion marks, export of 2024\n\nImage ID;x1;y1;x2;y2\n1.2.3.1;1;1;9,5;9\n")
    cat = open_dataset(tree)
    assert cat.n_lesions == 1 and not cat.problems


def test_workbook_pathology_birads_density_columns_read_and_round_trip(tree, tmp_path):
    from mammostudio.core.readers.workbook import catalog_to_rows

    rows = [lesion_row("1.2.3.1", 1, 1, 9, 9, pathology="Malignant", birads="BI-RADS 5", density="3"),
            {**lesion_row("1.2.3.2", None, None, None, None), "birads": "1", "density": "A"}]
    write_workbook(tree / "annotations.xlsx", pd.DataFrame(rows))
    cat = open_dataset(tree)
    les = cat.lesions.iloc[0]
    assert (les.pathology, les.birads) == ("malignant", "5")
    assert (cat.image("1.2.3.1").density, cat.image("1.2.3.2").density, cat.image("1.2.3.2").birads) == ("C", "A", "1")
    (tree / "annotations.xlsx").unlink()
    write_workbook(tree / "again.csv", catalog_to_rows(cat))
    again = open_dataset(tree)
    cols = ["image_id", "pathology", "birads"]
    pd.testing.assert_frame_equal(cat.lesions[cols], again.lesions[cols])
    pd.testing.assert_frame_equal(cat.images[["image_id", "density", "birads"]],
                                  again.images[["image_id", "density", "birads"]])


def test_numpy_corners_are_numbers_too():
    import numpy as np

    box = {"row_min": np.int64(1), "col_min": np.int32(2), "row_max": np.float64(5), "col_max": np.uint16(9)}
    assert check_box(box, rows=20, cols=20, problems=[]) == {"row_min": 1, "col_min": 2, "row_max": 5, "col_max": 9}
