"""Exports are pseudonymous by default: no name, id, birth date or accession leaves the dataset."""
from __future__ import annotations

import json
import os
import stat

import numpy as np
import pydicom
import pytest

from _hostile import run_cli
from mammostudio.core.privacy import MAPPING_NAME, Pseudonymiser, deidentify_dicom

PID, NAME, BIRTH, ACCESSION = "PID-4471-SECRET", "DOE^JANE", "19610214", "ACC99812"
IDENTIFIERS = [PID, NAME, "DOE", BIRTH, ACCESSION]


def _identified_dataset(root):
    """A DICOM tree whose headers and patient folder carry identifiers; the workbook has no Patient ID."""
    from mammostudio.core.dicom import write_dicom

    rng = np.random.default_rng(0)
    uids = ["1.2.826.0.1.3680043.9.7.1", "1.2.826.0.1.3680043.9.7.2"]
    for k, uid in enumerate(uids):
        pixels = rng.integers(200, 4000, size=(160, 160)).astype(np.uint16)
        path = root / "batch1" / PID / "study1" / f"{uid}.dcm"
        write_dicom(path, pixels, {"image_id": uid, "patient_id": PID, "patient_name": NAME,
                                   "study_id": "1.2.826.0.1.3680043.9.7.100", "laterality": "LR"[k], "view": "CC"})
        ds = pydicom.dcmread(path)
        ds.PatientBirthDate, ds.AccessionNumber = BIRTH, ACCESSION
        ds.save_as(path)
    (root / "annotations.csv").write_text(f"Image ID,x1,y1,x2,y2\n{uids[0]},40,40,90,90\n{uids[1]},,,,\n")
    return root


def _grep(folder, needles) -> dict:
    """needle -> files below ``folder`` whose bytes (any file: CSV, JSON, PNG, npy, pt) contain it."""
    hits = {}
    for p in folder.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for n in needles:
                if n.encode() in data:
                    hits.setdefault(n, []).append(p.relative_to(folder).as_posix())
    return hits


@pytest.fixture
def dataset(tmp_path):
    return _identified_dataset(tmp_path / "data")


@pytest.mark.slow
def test_every_export_of_a_run_is_free_of_dicom_identifiers_unless_kept(dataset, tmp_path):
    out, run = tmp_path / "patches", tmp_path / "run"
    proc = run_cli("extract", dataset, out, "--no-filter", "--patch-size", "32", "--per-image", "3",
                   "--min-unique", "0", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "pseudonymised" in proc.stdout and str(dataset / MAPPING_NAME) in proc.stdout
    proc = run_cli("train-gan", out, run, "--preset", "tiny", "--epochs", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("prepare", dataset, tmp_path / "prepared", "--no-filter", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "prepared").rglob("*_gt.png"))) == 2
    from mammostudio.core.annotations import Annotations, export_workbook
    from mammostudio.core.readers import open_dataset

    catalog = open_dataset(dataset)
    export_workbook(catalog, Annotations(tmp_path / "sidecar.json"), tmp_path / "export" / "annotations.xlsx")
    for folder in (out, run, tmp_path / "export", tmp_path / "prepared"):
        names = [p.relative_to(folder).as_posix() for p in folder.rglob("*")]
        assert not [n for n in names if PID in n], folder  # file and folder names too
        assert _grep(folder, IDENTIFIERS + [str(dataset)]) == {}, folder
    index = (out / "index.csv").read_text()
    assert "P-" in index and "batch1/P-" in index  # pseudonymous patient, relative path with the folder renamed

    kept = tmp_path / "kept"
    proc = run_cli("extract", dataset, kept, "--no-filter", "--patch-size", "32", "--per-image", "3",
                   "--min-unique", "0", "--keep-identifiers", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "identifiers KEPT" in proc.stdout
    assert PID in _grep(kept, [PID])


def test_the_mapping_is_private_stable_and_reverses_the_pseudonyms(dataset):
    p = Pseudonymiser.for_dataset(dataset)
    pseudo = p.patient(PID)
    assert pseudo.startswith("P-") and PID not in pseudo and p.patient("") == ""
    path = p.save()
    assert path == dataset.resolve() / MAPPING_NAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["patient"][pseudo] == PID
    again = Pseudonymiser.for_dataset(dataset)
    assert again.patient(PID) == pseudo  # same dataset, same pseudonym (folds, resume)
    other = Pseudonymiser(dataset)  # a new salt gives other pseudonyms
    assert other.patient(PID) != pseudo


def test_a_read_only_dataset_keeps_its_mapping_in_the_user_data_folder_and_says_so(dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("MAMMOSTUDIO_DATA_DIR", str(tmp_path / "user"))
    os.chmod(dataset, 0o555)  # respected even by root: a folder marked read-only is left alone
    try:
        p = Pseudonymiser.for_dataset(dataset)
        p.patient(PID)
        where = p.save()
    finally:
        os.chmod(dataset, 0o755)
    assert where.parent == tmp_path / "user" / "pseudonyms" and not (dataset / MAPPING_NAME).exists()
    assert str(where) in p.notice
    assert Pseudonymiser.for_dataset(dataset).patient(PID) == p.patient(PID)  # found again there


def test_source_paths_are_relative_with_patient_folders_renamed(dataset):
    p = Pseudonymiser.for_dataset(dataset)
    pid = p.patient(PID)
    src = dataset / "batch1" / PID / "study1" / "x.dcm"
    assert p.path(src) == f"batch1/{pid}/study1/x.dcm"
    assert p.text(f"cannot read {src}") == f"cannot read batch1/{pid}/study1/x.dcm"
    kept = Pseudonymiser.for_dataset(dataset, keep_identifiers=True)
    assert kept.path(src) == str(src) and kept.patient(PID) == PID and kept.save() is None


def test_derived_dicom_loses_names_birth_dates_and_accession_numbers(dataset, tmp_path):
    src = next(dataset.rglob("*.dcm"))
    ds = pydicom.dcmread(src)
    p = Pseudonymiser.for_dataset(dataset)
    deidentify_dicom(ds, p)
    out = tmp_path / "derived" / "derived.dcm"
    out.parent.mkdir()
    ds.save_as(out)
    assert _grep(out.parent, IDENTIFIERS) == {}
    back = pydicom.dcmread(out)
    assert back.PatientID == p.patient(PID) and back.PatientIdentityRemoved == "YES"
    assert "AccessionNumber" not in back and back.PatientBirthDate == ""


def test_an_unreadable_mapping_is_refused_by_name_not_replaced(dataset):
    (dataset / MAPPING_NAME).write_text("{broken")
    with pytest.raises(ValueError, match=MAPPING_NAME):
        Pseudonymiser.for_dataset(dataset)


def test_resuming_with_the_other_identifier_mode_is_refused(dataset, tmp_path):
    out = tmp_path / "p"
    args = ["extract", dataset, out, "--no-filter", "--patch-size", "32", "--per-image", "1", "--quiet"]
    assert run_cli(*args).returncode == 0
    proc = run_cli(*args, "--keep-identifiers")
    assert proc.returncode == 2 and "pseudonymised" in proc.stderr and "Traceback" not in proc.stderr


def test_processes_starting_together_on_one_dataset_agree_on_the_salt(dataset):
    import subprocess
    import sys

    from _hostile import REPO

    code = ("import sys; sys.path.insert(0, %r); from mammostudio.core.privacy import Pseudonymiser; "
            "p = Pseudonymiser.for_dataset(%r); print(p.patient('X'), flush=True); p.save()" % (str(REPO), str(dataset)))
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    outs = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert len(outs) == 1 and outs.pop().startswith("P-")
    doc = json.loads((dataset / MAPPING_NAME).read_text())
    assert list(doc["patient"].values()) == ["X"]


def test_the_window_says_after_an_annotation_export_that_ids_are_pseudonyms_and_where_the_mapping_is(
        qtbot, window, mias_copy, tmp_path, monkeypatch):
    import mammostudio.gui.mainwindow as mainwindow

    window.open_dataset(str(mias_copy))
    qtbot.waitUntil(lambda: window.state.catalog is not None, timeout=30000)
    out = tmp_path / "edited.xlsx"
    monkeypatch.setattr(mainwindow.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.export_annotations()
    text = window.status_label.text()
    assert out.is_file() and "pseudonymised" in text and "mammostudio-pseudonyms.json" in text


def test_ids_inside_names_are_replaced_whole_even_when_one_id_contains_another(tmp_path):
    pseudo = Pseudonymiser(tmp_path, salt="00" * 32)
    short, long_ = pseudo.patient("P001"), pseudo.patient("P0011")  # the shorter one first, as a catalog may list
    three = pseudo.patient("A7")  # shorter than four characters: replaced only as a whole path part
    path = tmp_path / "P0011" / "scan_P0011_P001.dcm"
    assert pseudo.path(path) == f"{long_}/scan_{long_}_{short}.dcm"
    assert pseudo.path(tmp_path / "A7" / "A7_x.dcm") == f"{three}/A7_x.dcm"
    assert pseudo.text(f"{tmp_path}/P0011/x.dcm: P001 and P00111 unreadable") == (
        f"{long_}/x.dcm: {short} and {long_}1 unreadable")
    for raw in ("P001", "P0011"):  # no piece of an id is left, whatever the order they were met in
        assert raw not in pseudo.path(path).replace(long_, "").replace(short, "")
