"""The annotation sidecar: who/when per change, replay over a catalog, export."""
from __future__ import annotations

import json

import pytest

from mammostudio.core.annotations import Annotations, Change, export_workbook, sidecar_path
from mammostudio.core.readers import open_dataset


def test_added_box_is_saved_with_who_and_when_and_reloads(mias_copy):
    cat = open_dataset(mias_copy)
    ann = Annotations(sidecar_path(mias_copy), who="dr-test")
    uid = ann.new_lesion_uid(cat, "mdb001")
    ann.record("add", uid, "mdb001", row_min=10, col_min=20, row_max=60, col_max=90,
               lesion_type="Calcifications", status="B4", wrong=False)
    doc = json.loads(sidecar_path(mias_copy).read_text())
    assert doc["changes"][0]["who"] == "dr-test"
    assert doc["changes"][0]["when"].endswith("+00:00")
    again = Annotations.load(sidecar_path(mias_copy))
    edited = again.apply(cat)
    row = edited.lesions.loc[edited.lesions["lesion_uid"] == uid].iloc[0]
    assert (row.row_min, row.col_min, row.row_max, row.col_max) == (10, 20, 60, 90)
    assert row.lesion_type == "calcification" and row.status_ordinal == 4
    assert edited.n_lesions == cat.n_lesions + 1


def test_original_export_is_never_rewritten(mias_copy):
    before = (mias_copy / "Info.txt").read_bytes()
    cat = open_dataset(mias_copy)
    ann = Annotations(sidecar_path(mias_copy))
    ann.record("delete", "mdb001:1", "mdb001")
    assert (mias_copy / "Info.txt").read_bytes() == before
    assert open_dataset(mias_copy).n_lesions == cat.n_lesions  # the reader still sees the archive
    assert ann.apply(cat).n_lesions == cat.n_lesions - 1


def test_box_marked_wrong_is_left_out_downstream_but_kept_for_display(mias_copy):
    cat = open_dataset(mias_copy)
    ann = Annotations(sidecar_path(mias_copy))
    ann.record("edit", "mdb005:2", "mdb005", wrong=True)
    assert ann.wrong_uids() == {"mdb005:2"}
    assert "mdb005:2" not in set(ann.apply(cat).lesions["lesion_uid"])
    assert "mdb005:2" in set(ann.apply(cat, include_wrong=True).lesions["lesion_uid"])
    ann.record("edit", "mdb005:2", "mdb005", wrong=False)
    assert ann.wrong_uids() == set()


def test_moved_box_corners_are_put_in_order(mias_copy):
    cat = open_dataset(mias_copy)
    ann = Annotations(sidecar_path(mias_copy))
    ann.record("edit", "mdb002:1", "mdb002", row_min=500, row_max=400)
    row = ann.apply(cat).lesions.set_index("lesion_uid").loc["mdb002:1"]
    assert (row.row_min, row.row_max) == (400, 500)
    assert "edited in" in row.source


def test_unknown_field_and_bad_sidecar_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="cannot be edited"):
        Change("edit", "a:1", "a", {"severity": "x"})
    bad = tmp_path / "mammostudio-annotations.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="mammostudio-annotations.json"):
        Annotations.load(bad)


def test_export_reads_back_with_the_workbook_reader(mias_copy, tmp_path):
    import mammostudio.core.readers.workbook as workbook
    cat = open_dataset(mias_copy)
    ann = Annotations(sidecar_path(mias_copy))
    ann.record("edit", "mdb001:1", "mdb001", row_min=402, col_min=338, row_max=500, col_max=400, status="B5")
    ann.record("edit", "mdb005:1", "mdb005", wrong=True)
    out = export_workbook(cat, ann, tmp_path / "edited.csv")
    table, problems = workbook.read_table(out)
    assert not [p for p in problems if p.severity == "error"]
    boxed = table.dropna(subset=["x1"]) if "x1" in table.columns else table
    assert len(boxed) == cat.n_lesions - 1  # the wrong box is left out
    text = out.read_text()
    assert "B5" in text and "mdb005" in text


def test_read_only_dataset_gets_its_sidecar_in_the_user_data_folder(tmp_path):
    pytest.importorskip("PySide6")
    from mammostudio.gui.state import choose_sidecar

    assert choose_sidecar(tmp_path, writable=True) == tmp_path / "mammostudio-annotations.json"
    elsewhere = choose_sidecar(tmp_path, writable=False)
    assert elsewhere.parent.name == "annotations" and elsewhere.name.startswith(tmp_path.name)
    assert choose_sidecar(tmp_path / "other", writable=False) != elsewhere
