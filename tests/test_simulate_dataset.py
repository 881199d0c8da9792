"""The simulated dataset: derived DICOMs, workbook, masks, provenance; resume and determinism."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mammostudio.core.demo.build import build_demo_dataset
from mammostudio.core.dicom import read_dataset
from mammostudio.core.images import load_pixels, read_png
from mammostudio.core.privacy import Pseudonymiser
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset
from mammostudio.core.simulate.dataset import SimulateParams, simulate_dataset
from mammostudio.core.simulate.sources import parametric_items, patch_items


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    drive(build_demo_dataset(out, patients=2, size=(256, 208), seed=3))
    return out / "workbook"


def _files(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.suffix in (".dcm", ".json", ".png")}


def test_simulated_boxes_land_where_the_provenance_says(demo, tmp_path):
    source = open_dataset(demo)
    assert not source.lesions["simulated"].any()  # a workbook without the column: all False
    params = SimulateParams(images=2, lesions_per_image=2, controls=1, size_mm=6.0, margin_mm=2.0, seed=4)
    summary = drive(simulate_dataset(source, tmp_path / "sim", parametric_items(("round", "calcification")), params))
    assert summary["images"] == 3 and summary["controls"] == 1
    cat = open_dataset(tmp_path / "sim")
    assert cat.source_format == "workbook" and cat.n_images == 3 and not cat.problems
    assert cat.lesions["simulated"].all() and len(cat.lesions) == summary["lesions"] >= 2
    for path in sorted((tmp_path / "sim" / "provenance").glob("*.json")):
        prov = json.loads(path.read_text())
        sop = prov["derived_image"]["image_id"]
        row = cat.lesions[(cat.lesions["image_id"] == sop) & (cat.lesions["lesion_id"] == f"sim{prov['lesion_index']}")]
        assert row[["row_min", "col_min", "row_max", "col_max"]].iloc[0].tolist() == prov["box"]
        labels = read_png(tmp_path / "sim" / "masks" / f"{sop}.png")
        r0, c0, r1, c1 = prov["box"]
        assert (labels[r0:r1 + 1, c0:c1 + 1] == prov["lesion_index"]).any()
        assert prov["lesion_source"]["type"] == "parametric" and "seed" in prov["lesion_source"]
        assert prov["method"] == "additive" and prov["source_image"]["image_id"] in set(source.images["image_id"])
        src_row = source.image(prov["source_image"]["image_id"])
        assert prov["source_image"]["patient_id"].startswith("P-") and not Path(prov["source_image"]["path"]).is_absolute()
        assert src_row["patient_id"] not in json.dumps(prov)  # no raw patient id in the provenance
        # the lesion is really there: the derived image is brighter than its source inside the box
        src = load_pixels(source.image(prov["source_image"]["image_id"]))
        new = load_pixels(cat.image(sop))
        assert new[r0:r1 + 1, c0:c1 + 1].astype(float).mean() > src[r0:r1 + 1, c0:c1 + 1].astype(float).mean()


def test_derived_dicoms_are_new_pseudonymous_secondary_instances(demo, tmp_path):
    source = open_dataset(demo)
    drive(simulate_dataset(source, tmp_path / "sim", parametric_items(("round",)),
                           SimulateParams(images=1, controls=1, size_mm=6.0, margin_mm=2.0)))
    cat = open_dataset(tmp_path / "sim")
    for row in cat.images.to_dict("records"):
        ds = read_dataset(row["path"])
        ref = ds.SourceImageSequence[0].ReferencedSOPInstanceUID
        src = source.image(ref)
        assert list(ds.ImageType) == ["DERIVED", "SECONDARY"] and "mammostudio simulate" in ds.DerivationDescription
        assert ds.SOPInstanceUID != ref and ds.StudyInstanceUID != src["study_id"]
        pseudonym = Pseudonymiser.for_dataset(demo).patient(src["patient_id"])  # the source dataset's
        assert ds.PatientID == pseudonym != src["patient_id"] and str(ds.PatientName) == pseudonym
        assert not ds.PatientBirthDate and ds.PatientIdentityRemoved == "YES"
        assert Path(row["path"]).parent.parent.name == pseudonym  # the patient folder too
        assert ds.ViewPosition == src["view"] and float(ds.PixelSpacing[0]) == pytest.approx(src["pixel_spacing_mm"])
    control = cat.images[~cat.with_lesion()].iloc[0]
    ref = read_dataset(control["path"]).SourceImageSequence[0].ReferencedSOPInstanceUID
    assert np.array_equal(load_pixels(control), load_pixels(source.image(ref)))  # MONOCHROME1 etc. round trip


def test_same_seed_same_files_and_a_cancelled_run_resumes_to_them(demo, tmp_path):
    source = open_dataset(demo)
    pool = parametric_items(("round", "spiculated"))
    params = SimulateParams(images=3, lesions_per_image=1, size_mm=6.0, margin_mm=2.0, seed=8)
    drive(simulate_dataset(source, tmp_path / "a", pool, params))
    job = simulate_dataset(source, tmp_path / "b", pool, params)
    next(job)
    job.close()  # cancelled after the first image
    assert len(list((tmp_path / "b").rglob("*.dcm"))) == 1
    summary = drive(simulate_dataset(source, tmp_path / "b", pool, params))
    assert summary["skipped"] == 1
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    with pytest.raises(ValueError, match="other parameters"):
        drive(simulate_dataset(source, tmp_path / "b", pool, SimulateParams(images=3, seed=9)))


def test_extract_cuts_the_simulated_lesions(demo, tmp_path):
    from mammostudio.core.patches import ExtractParams, extract_patches

    source = open_dataset(demo)
    drive(simulate_dataset(source, tmp_path / "sim", parametric_items(("round",)),
                           SimulateParams(images=2, size_mm=6.0, margin_mm=2.0)))
    cat = open_dataset(tmp_path / "sim")
    summary = drive(extract_patches(cat, tmp_path / "patches", ExtractParams(patch_size=32, n_tissue=2,
                                                                               lesion_mode="centred")))
    assert summary["lesion_patches"] == cat.n_lesions == 2
    # a simulated lesion, extracted again, brings its own mask (the label image) as a source
    items = patch_items(tmp_path / "patches", dataset_roots=[tmp_path / "sim"])
    assert len(items) == 2 and all(i.mask is not None and i.mask.shape == i.array.shape for i in items)
    assert all(i.mask[16, 16] for i in items)  # the centred patch's centre is on the lesion


def test_real_lesion_patches_are_a_source_with_their_patch_id(demo, tmp_path):
    from mammostudio.core.patches import ExtractParams, extract_patches

    source = open_dataset(demo)
    drive(extract_patches(source, tmp_path / "patches", ExtractParams(patch_size=32, n_tissue=1)))
    pool = patch_items(tmp_path / "patches", dataset_roots=[demo])
    assert pool and all(i.kind == "patch" for i in pool)
    spacing = float(source.images["pixel_spacing_mm"].iloc[0])
    assert all(i.spacing_mm == pytest.approx(spacing) and not i.source["spacing_assumed"] for i in pool)
    assumed = patch_items(tmp_path / "patches")  # a pseudonymous index, no dataset given: spacing assumed
    assert all(i.source["spacing_assumed"] and i.spacing_mm == 0.1 for i in assumed)
    drive(simulate_dataset(source, tmp_path / "sim", pool, SimulateParams(images=1, margin_mm=1.0)))
    prov = json.loads(next((tmp_path / "sim" / "provenance").glob("*.json")).read_text())
    assert prov["lesion_source"]["type"] == "patch"
    assert prov["lesion_source"]["patch_id"] in {i.source["patch_id"] for i in pool}


def test_simulate_command_writes_a_dataset_scan_opens(demo, tmp_path, capsys):
    from mammostudio.cli import main

    assert main(["simulate", str(demo), str(tmp_path / "sim"), "--images", "1", "--lesions", "1",
                 "--demo", "round", "--size-mm", "6", "--margin-mm", "2", "--quiet"]) == 0
    assert "1 lesions in 1 images" in capsys.readouterr().out
    assert main(["scan", str(tmp_path / "sim")]) == 0
    assert main(["simulate", str(tmp_path / "nothing"), str(tmp_path / "x"), "--quiet"]) == 2
    assert "error" in capsys.readouterr().err


def test_a_lesion_with_no_room_is_reported_and_the_image_still_written(demo, tmp_path):
    from mammostudio.core.simulate.dataset import ATTEMPTS
    from mammostudio.core.simulate.sources import SourceItem

    disc = np.zeros((64, 64), np.uint8)
    disc[16:48, 16:48] = 200
    huge = SourceItem("patch", "huge", "mass", array=disc, spacing_mm=5.0, source={"type": "patch", "patch_id": "h"})
    summary = drive(simulate_dataset(open_dataset(demo), tmp_path / "sim", [huge],
                                     SimulateParams(images=1, margin_mm=1.0)))
    assert summary["lesions"] == 0 and summary["images"] == 1
    assert len(summary["problems"]) == 1 and f"no room for lesion 1 in {ATTEMPTS} draws" in summary["problems"][0]


def test_keep_identifiers_writes_the_source_patient_ids(demo, tmp_path):
    source = open_dataset(demo)
    drive(simulate_dataset(source, tmp_path / "sim", parametric_items(("round",)),
                           SimulateParams(images=1, size_mm=6.0, margin_mm=2.0), keep_identifiers=True))
    row = open_dataset(tmp_path / "sim").images.iloc[0]
    ref = read_dataset(row["path"]).SourceImageSequence[0].ReferencedSOPInstanceUID
    assert row["patient_id"] == source.image(ref)["patient_id"]
