"""The OMI-DB reader and writer, checked against the PyPI ``omidb`` parser as an oracle."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mammostudio.core.catalog import Catalog
from mammostudio.core.dicom import write_dicom
from mammostudio.core.readers import detect_format, open_dataset
from mammostudio.core.readers.omidb import opinion_category
from mammostudio.core.readers.omidb_write import write_omidb_tree

omidb = pytest.importorskip("omidb")

ROWS, COLS = 48, 36
VIEWS = [("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Catalog:
    """A catalog of 3 clients x 4 tiny DICOMs with 4 lesion boxes (B-categories vary)."""
    root = tmp_path_factory.mktemp("src")
    images, lesions = [], []
    for p in range(3):
        client, study = f"demd{100 + p}", f"1.2.826.9.{p}"
        for j, (lat, view) in enumerate(VIEWS):
            sop = f"1.2.826.7.{p}.{j}"
            path = root / client / study / f"{sop}.dcm"
            meta = dict(image_id=sop, patient_id=client, study_id=study, series_id=f"1.2.826.8.{p}.{j}",
                        laterality=lat, view=view, manufacturer="HOLOGIC, Inc.", model_name="Lorad Selenia",
                        tube_current_ma=100 + 10 * j, magnification=1.0, for_presentation=j != 3)
            write_dicom(path, np.full((ROWS, COLS), 50 + j, np.uint16), meta)
            images.append({**meta, "path": str(path), "format": "dicom", "rows": ROWS, "cols": COLS})
    for p, j, lesion_id, box, status, kind in [
        (0, 0, "1", (5, 4, 20, 15), "B5", "mass"),
        (0, 1, "1", (10, 6, 25, 17), "B5", "mass"),
        (0, 1, "2", (30, 20, 40, 30), "B2", "calcification"),
        (2, 2, "1", (0, 0, 47, 35), "B3", "architectural distortion+mass"),
    ]:
        sop = f"1.2.826.7.{p}.{j}"
        lesions.append(dict(lesion_uid=f"{sop}:{lesion_id}", image_id=sop, lesion_id=lesion_id,
                            row_min=box[0], col_min=box[1], row_max=box[2], col_max=box[3],
                            status=status, lesion_type=kind))
    return Catalog(pd.DataFrame(images), pd.DataFrame(lesions), root, "test")


def _oracle(root: Path, ffdm: bool = False) -> dict:
    """What omidb's own parser sees: {sop: (client, study, series, sorted marks)}."""
    base = root / "FFDM" if ffdm else root
    db = omidb.DB(base / ("DATA" if ffdm else "data"), base / ("IMAGES" if ffdm else "images"))
    seen = {}
    for client in db:
        for episode in client.episodes:
            for study in episode.studies:
                for series in study.series:
                    for image in series.images:
                        marks = []
                        for m in image.marks:
                            opinions = [episode.lesions[i].biopsy_wide.opinion.name for i in sorted(m.lesion_ids)]
                            b = m.boundingBox
                            marks.append((b.y1, b.x1, b.y2, b.x2, max(opinions)))
                        seen[image.id] = (client.id, study.id, series.id, sorted(marks))
    return seen


def _ours(cat: Catalog) -> dict:
    seen = {}
    for img in cat.images.to_dict("records"):
        les = cat.lesions_of(img["image_id"])
        marks = sorted((r.row_min, r.col_min, r.row_max, r.col_max, r.status) for r in les.itertuples())
        seen[img["image_id"]] = (img["patient_id"], img["study_id"], img["series_id"], marks)
    return seen


@pytest.mark.parametrize("options", [{}, {"ffdm": True, "upper_case_names": True, "header_suffix": ".dcm.json"}],
                         ids=["plain", "ffdm-uppercase-dcmjson"])
def test_reader_sees_what_omidb_sees(source, tmp_path, options):
    root = tmp_path / "omi"
    write_omidb_tree(root, source, **options)
    assert detect_format(root) == "omidb"
    cat = open_dataset(root)
    assert not cat.problems
    ours, theirs = _ours(cat), _oracle(root, ffdm=options.get("ffdm", False))
    assert ours == theirs
    assert cat.n_images == 12 and cat.n_lesions == 4
    assert sorted(cat.lesions.lesion_type) == sorted(source.lesions.lesion_type)


def test_acquisition_fields_come_from_header_json_first(source, tmp_path):
    root = tmp_path / "omi"
    write_omidb_tree(root, source)
    sop = "1.2.826.7.1.0"
    header = root / "data" / "demd101" / "1.2.826.9.1" / f"{sop}.json"
    doc = json.loads(header.read_text())
    assert doc["00080070"]["Value"] == ["HOLOGIC, Inc."]
    doc["00080070"]["Value"] = ["GE MEDICAL SYSTEMS"]
    header.write_text(json.dumps(doc))
    other = root / "data" / "demd101" / "1.2.826.9.1" / "1.2.826.7.1.1.json"
    other.unlink()  # no header JSON: the DICOM header is read instead
    cat = open_dataset(root)
    assert cat.image(sop).manufacturer == "GE MEDICAL SYSTEMS"
    fallback = cat.image("1.2.826.7.1.1")
    assert fallback.manufacturer == "HOLOGIC, Inc." and fallback.tube_current_ma == 110
    assert fallback.rows == ROWS and fallback.view == "MLO"
    assert not cat.image("1.2.826.7.1.3").for_presentation


def test_absent_dicom_and_broken_client_are_problems_and_the_rest_loads(source, tmp_path):
    root = tmp_path / "omi dir ü"
    write_omidb_tree(root, source)
    missing = root / "images" / "demd100" / "1.2.826.9.0" / "1.2.826.7.0.3.dcm"
    missing.unlink()
    broken = root / "data" / "demd102" / "imagedb_demd102.json"
    broken.write_text("{ not json")
    cat = open_dataset(root)
    assert cat.n_images == 7 and cat.n_lesions == 3
    paths = {p.path for p in cat.problems}
    assert str(missing) in paths and str(broken) in paths


def test_mark_outside_image_is_clipped_and_zero_size_mark_skipped(source, tmp_path):
    root = tmp_path / "omi"
    write_omidb_tree(root, source)
    path = root / "data" / "demd100" / "imagedb_demd100.json"
    db = json.loads(path.read_text())
    marks = db["STUDIES"]["1.2.826.9.0"]["1.2.826.8.0.1"]["1.2.826.7.0.1"]
    marks["1"].update(X1="-4", X2="80")
    marks["2"].update(Y2=marks["2"]["Y1"])
    path.write_text(json.dumps(db))
    cat = open_dataset(root)
    les = cat.lesions_of("1.2.826.7.0.1")
    assert len(les) == 1 and (les.iloc[0].col_min, les.iloc[0].col_max) == (0, COLS - 1)
    assert sorted(p.severity for p in cat.problems) == ["error", "warning"]


def test_opinion_category_reads_codes_and_nbss_texts():
    assert opinion_category("B4") == "B4"
    assert opinion_category("Malignant") == "B5"
    assert opinion_category("Benign unc mal") == "B3"
    assert opinion_category("C5") == "" and opinion_category(None) == ""


def test_writer_hard_links_pixels_and_leaves_no_partial_files(source, tmp_path):
    root = tmp_path / "omi"
    write_omidb_tree(root, source)
    src = Path(source.images.path.iloc[0])
    dest = root / "images" / "demd100" / "1.2.826.9.0" / f"{src.stem}.dcm"
    assert dest.stat().st_ino == src.stat().st_ino
    assert not [p for p in root.rglob("*") if ".part" in p.name]


def test_header_json_without_image_tags_falls_back_to_the_dicom(source, tmp_path):
    root = tmp_path / "omi"
    write_omidb_tree(root, source, header_suffix=".dcm.json")
    stub = root / "data" / "demd100" / "1.2.826.9.0" / "1.2.826.7.0.2.dcm.json"
    stub.write_text("{}")
    img = open_dataset(root).image("1.2.826.7.0.2")
    assert (img.rows, img.manufacturer, img.laterality, img.view) == (ROWS, "HOLOGIC, Inc.", "R", "CC")


def test_malformed_header_json_is_a_warning_and_the_dicom_header_is_used(source, tmp_path):
    root = tmp_path / "omi"
    write_omidb_tree(root, source, header_suffix=".dcm.json")
    bad = root / "data" / "demd100" / "1.2.826.9.0" / "1.2.826.7.0.2.dcm.json"
    bad.write_text(json.dumps({"00080070": {"Value": ["no vr here"]}, "00280010": 5}))
    cat = open_dataset(root)
    img = cat.image("1.2.826.7.0.2")
    assert (img.rows, img.manufacturer) == (ROWS, "HOLOGIC, Inc.")
    assert any(str(bad) == p.path and p.severity == "warning" for p in cat.problems)


def test_a_lesion_uid_repeated_in_a_later_client_gets_its_mark_key(source, tmp_path):
    # one uid set is shared by every client (linear reading); a uid already seen in an
    # earlier client must still be made unique, as when the set was rebuilt per client
    import shutil

    root = tmp_path / "omi"
    write_omidb_tree(root, source)
    first = json.loads((root / "data" / "demd100" / "imagedb_demd100.json").read_text())
    later_path = root / "data" / "demd102" / "imagedb_demd102.json"
    later = json.loads(later_path.read_text())
    later["STUDIES"]["1.2.826.9.0"] = first["STUDIES"]["1.2.826.9.0"]
    later_path.write_text(json.dumps(later))
    shutil.copytree(root / "images" / "demd100" / "1.2.826.9.0", root / "images" / "demd102" / "1.2.826.9.0")
    cat = open_dataset(root)
    uids = list(cat.lesions["lesion_uid"])
    assert len(uids) == len(set(uids)) == 7
    assert sorted(u for u in uids if "#" in u) == ["1.2.826.7.0.0:1#1", "1.2.826.7.0.1:1#1", "1.2.826.7.0.1:2#2"]
