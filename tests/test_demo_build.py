"""The demo dataset builder: layout, truth, determinism, cancelling, build-once."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from mammostudio.core.acquisition import AcquisitionFilter
from mammostudio.core.demo.build import (MARKER, DemoConfig, _plan, build_demo_dataset, demo_folder_name,
                                         ensure_demo_dataset)
from mammostudio.core.dicom import read_header, read_pixels
from mammostudio.core.progress import Progress, drive
from mammostudio.core.readers import detect_format, open_dataset

PATIENTS, SIZE = 3, (256, 208)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    drive(build_demo_dataset(out, patients=PATIENTS, size=SIZE, seed=0))
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def test_both_layouts_read_back_the_manifest_counts_and_boxes(demo):
    man = _manifest(demo)
    assert man["images"] == 4 * PATIENTS and man["lesions"] >= 1
    for sub, fmt in (("workbook", "workbook"), ("omidb", "omidb")):
        assert detect_format(demo / sub) == fmt
        cat = open_dataset(demo / sub)
        assert not cat.problems
        s = cat.summary()
        assert (s["patients"], s["images"], s["images_with_lesion"], s["lesions"]) == (
            PATIENTS, man["images"], man["images_with_lesion"], man["lesions"])
        boxes = {i: sorted(map(list, cat.boxes_of(i).tolist())) for i in man["boxes"]}
        assert boxes == {i: sorted(b) for i, b in man["boxes"].items()}
        assert set(cat.lesions.status) <= {"B2", "B3", "B4", "B5"}


def test_each_study_has_cc_and_mlo_of_both_breasts_as_mg_dicom(demo):
    cat = open_dataset(demo / "workbook")
    for _, study in cat.images.groupby("study_id"):
        assert sorted(zip(study.laterality, study.view)) == [("L", "CC"), ("L", "MLO"), ("R", "CC"), ("R", "MLO")]
        first = Path(study.path.iloc[0])
        assert first.parent.parent.parent.name.startswith("batch")
        assert pydicom.dcmread(first, stop_before_pixels=True).Modality == "MG"
    assert (cat.images.rows == SIZE[0]).all() and (cat.images.cols == SIZE[1]).all()


def test_lesions_are_bright_structures_inside_the_breast(demo):
    cat = open_dataset(demo / "workbook")
    for les in cat.lesions.itertuples():
        pix = read_pixels(cat.image(les.image_id).path)
        inside = pix[les.row_min:les.row_max + 1, les.col_min:les.col_max + 1]
        assert (inside > 0).all()  # within the breast, where the mask pixel > 0 holds
        assert pix[0, -1] == 0 or pix[0, 0] == 0  # the air beside the nipple side is 0


def test_monochrome1_images_read_back_bright_dense(demo):
    cat = open_dataset(demo / "workbook")
    mono1 = cat.images[cat.images.photometric == "MONOCHROME1"]
    assert len(mono1) >= 1
    for path in mono1.path:
        pix = read_pixels(path)
        assert read_header(path)["photometric"] == "MONOCHROME1"
        assert (pix == 0).mean() > 0.05 and pix.max() > 1000  # black air, bright tissue after inversion


def test_acquisition_tags_mostly_pass_the_paper_filter_but_not_all(demo):
    cat = open_dataset(demo / "workbook")
    kept = AcquisitionFilter().apply(cat.images).kept
    assert 0 < kept.sum() < len(kept)


def test_plan_proportions_for_a_larger_build():
    plans = _plan(DemoConfig(patients=60, rows=64, cols=64))
    standard = sum(p["model_name"] == "Lorad Selenia" for p in plans)
    assert 0.65 <= standard / 60 <= 0.85
    assert sum(bool(p["lesions"]) for p in plans) == 20
    kinds = {les["spec"].kind for p in plans for les in p["lesions"]}
    assert kinds == {"mass", "calcification", "mass+calcification", "architectural distortion", "focal asymmetry"}
    shapes = {les["spec"].shape for p in plans for les in p["lesions"]}
    assert {"round", "oval", "lobulated", "spiculated", "cluster", "distortion", "asymmetry"} <= shapes


def test_same_seed_gives_the_same_dataset_and_another_seed_does_not(tmp_path):
    def build(name, seed):
        drive(build_demo_dataset(tmp_path / name, patients=1, size=(128, 104), seed=seed))
        cat = open_dataset(tmp_path / name / "workbook")
        return cat, [read_pixels(p) for p in cat.images.sort_values("image_id").path]

    (a, pa), (b, pb), (c, pc) = build("a", 5), build("b", 5), build("c", 6)
    assert list(a.images.image_id) == list(b.images.image_id)
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb))
    assert _manifest(tmp_path / "a") == _manifest(tmp_path / "b")
    assert not np.array_equal(pa[0], pc[0]) and set(a.images.image_id).isdisjoint(c.images.image_id)


def test_omidb_pixels_are_hard_links_of_the_workbook_files(demo):
    wb = {Path(p).name: Path(p).stat().st_ino for p in open_dataset(demo / "workbook").images.path}
    om = {Path(p).name: Path(p).stat().st_ino for p in open_dataset(demo / "omidb").images.path}
    assert wb == om


def test_omidb_package_parses_the_demo_tree(demo):
    omidb = pytest.importorskip("omidb")
    db = omidb.DB(demo / "omidb" / "data", demo / "omidb" / "images")
    clients = list(db)
    n_images = sum(len(s.images) for c in clients for e in c.episodes for st in e.studies for s in st.series)
    n_marks = sum(len(i.marks) for c in clients for e in c.episodes for st in e.studies
                  for s in st.series for i in s.images)
    assert (len(clients), n_images, n_marks) == (PATIENTS, 4 * PATIENTS, _manifest(demo)["lesions"])


def test_cancelled_build_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out"
    job = build_demo_dataset(out, patients=2, size=(128, 104), seed=1)
    for _ in range(3):
        assert isinstance(next(job), Progress)
    job.close()
    assert list(out.iterdir()) == []


def test_build_refuses_a_folder_that_already_holds_demo_data(demo):
    with pytest.raises(ValueError, match="already exists"):
        drive(build_demo_dataset(demo, patients=1, size=(128, 104)))


def test_ensure_builds_once_and_rebuilds_an_interrupted_folder(tmp_path):
    cfg = DemoConfig(patients=1, rows=128, cols=104)
    dest = tmp_path / "data dir é" / "demo"
    items = []
    folder = drive(ensure_demo_dataset(dest, config=cfg), items.append)
    built = dest / demo_folder_name(cfg)
    assert folder == built / "workbook" and (built / MARKER).is_file() and items
    again = []
    assert drive(ensure_demo_dataset(dest, config=cfg), again.append) == folder and again == []
    (built / MARKER).unlink()  # as if the last build was killed before finishing
    rebuilt = []
    drive(ensure_demo_dataset(dest, config=cfg), rebuilt.append)
    assert rebuilt and open_dataset(folder).n_images == 4 and (built / MARKER).is_file()


def test_ensure_refuses_a_folder_holding_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="other files"):
        drive(ensure_demo_dataset(tmp_path, config=DemoConfig(patients=1, rows=128, cols=104)))
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_every_demo_image_records_a_patient_orientation_that_matches_its_pixels(demo):
    from mammostudio.core.navigation import chest_wall_side

    cat = open_dataset(demo / "workbook")
    for row in cat.images.itertuples():
        ds = pydicom.dcmread(row.path, stop_before_pixels=True)
        orientation = list(ds.PatientOrientation)
        assert orientation[0] == ("A" if row.laterality == "L" else "P")
        assert orientation[1] == ("F" if row.view == "MLO" else "R" if row.laterality == "L" else "L")
        pixels = read_pixels(row.path)  # the side where the breast meets the edge agrees with the header
        assert chest_wall_side(pixels) == chest_wall_side(pixels, orientation)
