"""extract_patches over a catalog: determinism across workers, resume, cancel, bad input."""
from __future__ import annotations

import errno
import json
import os
import re

import numpy as np
import pandas as pd
import pytest

from mammostudio.core import images, preprocess
from mammostudio.core.catalog import Catalog
from mammostudio.core.patches import (ExtractParams, FatalWriteError, PatchReader, extract_patches, load_patches,
                                      read_index, store)
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset

IDS = ["mdb001", "mdb005", "mdb006"]  # one lesion, two lesions, normal


@pytest.fixture(scope="module")
def mias3(mias_dir):
    return open_dataset(mias_dir, fmt="mias").subset(IDS)


def _index_files(out):
    index = read_index(out)
    with PatchReader(out) as reader:
        return index, {rec["patch_id"]: reader.read_row(rec).tobytes() for rec in index.to_dict("records")}


def test_real_images_give_valid_patches_checked_on_saved_mask_and_gt(tmp_path, mias_dir, mias3):
    summary = drive(extract_patches(mias3, tmp_path / "p", ExtractParams(), seed=1))
    assert summary["done"] == 3 and summary["problems"] == []
    index = read_index(tmp_path / "p")
    for iid in IDS:
        raw = images.read_pgm(mias_dir / f"{iid}.pgm")
        norm = preprocess.normalise_uint8(raw)
        images.write_png(tmp_path / f"{iid}_msk.png", (preprocess.breast_mask(norm) > 0).astype(np.uint8) * 255)
        images.write_png(tmp_path / f"{iid}_gt.png", preprocess.ground_truth(raw.shape, mias3.boxes_of(iid)))
        msk, gt = images.read_png(tmp_path / f"{iid}_msk.png"), images.read_png(tmp_path / f"{iid}_gt.png")
        tissue = index[(index["image_id"] == iid) & (index["kind"] == "tissue")]
        assert 1 <= len(tissue) <= 10
        for _, row in tissue.iterrows():
            r, c = int(row["row"]), int(row["col"])
            assert (msk[r : r + 128, c : c + 128] == 255).all()
            assert (gt[r : r + 128, c : c + 128] == 0).all()
            patch = store.read_patch(tmp_path / "p", row)
            np.testing.assert_array_equal(patch, norm[r : r + 128, c : c + 128])
            assert len(np.unique(patch)) >= 30 and row["seed"] == 1
    lesion, _ = load_patches(tmp_path / "p", "lesion")
    assert lesion.shape == (int((index["kind"] == "lesion").sum()), 128, 128) == (3, 128, 128)
    assert set(index.loc[index["kind"] == "lesion", "lesion_uid"]) == set(mias3.lesions["lesion_uid"])
    params = json.loads((tmp_path / "p" / "params.json").read_text())
    assert params["seed"] == 1 and params["params"]["candidates_per_round"] == 100


@pytest.mark.slow
def test_same_seed_gives_same_patches_with_one_and_two_workers(tmp_path, mias3):
    params = ExtractParams(patch_size=64, n_tissue=5)
    drive(extract_patches(mias3, tmp_path / "w1", params, workers=1, seed=4))
    drive(extract_patches(mias3, tmp_path / "w2", params, workers=2, seed=4))
    (i1, f1), (i2, f2) = _index_files(tmp_path / "w1"), _index_files(tmp_path / "w2")
    pd.testing.assert_frame_equal(i1, i2)
    assert f1 == f2
    assert (tmp_path / "w1" / "index.csv").read_bytes() == (tmp_path / "w2" / "index.csv").read_bytes()
    stores = [{p.name: p.read_bytes() for p in (tmp_path / w / "patches").iterdir()} for w in ("w1", "w2")]
    assert stores[0] == stores[1] and len(stores[0]) == 3  # one store per image, the same bytes
    drive(extract_patches(mias3, tmp_path / "s5", params, workers=1, seed=5))
    assert _index_files(tmp_path / "s5")[1] != f1


def test_cancel_keeps_an_index_of_complete_files_and_resume_finishes_identically(tmp_path, mias3):
    params = ExtractParams(patch_size=64, n_tissue=4)
    job = extract_patches(mias3, tmp_path / "r", params, seed=2)
    next(job)  # start
    next(job)  # first image done
    job.close()
    index = read_index(tmp_path / "r")
    finished = set(index["image_id"])
    assert IDS[0] in finished and finished < set(IDS)  # what was written, not all
    assert all((tmp_path / "r" / f).is_file() for f in index["file"])
    assert not list((tmp_path / "r").rglob("*.part*"))
    summary = drive(extract_patches(mias3, tmp_path / "r", params, seed=2))
    assert summary["skipped"] == len(finished) and summary["new"] == 3 - len(finished) and summary["done"] == 3
    drive(extract_patches(mias3, tmp_path / "fresh", params, seed=2))
    (ir, fr), (ifr, ff) = _index_files(tmp_path / "r"), _index_files(tmp_path / "fresh")
    pd.testing.assert_frame_equal(ir, ifr)
    assert fr == ff
    assert (tmp_path / "r" / "index.csv").read_bytes() == (tmp_path / "fresh" / "index.csv").read_bytes()


def test_other_settings_in_the_same_output_folder_are_refused(tmp_path, mias3):
    drive(extract_patches(mias3.subset(IDS[:1]), tmp_path, ExtractParams(patch_size=64), seed=0))
    with pytest.raises(ValueError, match="other parameters or seed"):
        extract_patches(mias3, tmp_path, ExtractParams(patch_size=64), seed=1)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        extract_patches(mias3, tmp_path / "elsewhere", ExtractParams())
    with pytest.raises(ValueError, match="workers"):
        extract_patches(mias3, tmp_path / "w", workers=0)


def test_bad_files_small_and_blank_images_are_reported_not_fatal(tmp_path, mias_dir, mias3):
    (tmp_path / "broken.pgm").write_bytes(b"P5\n1024 1024\n255\n" + b"\0" * 100)
    images.write_png(tmp_path / "tiny.png", np.full((50, 60), 7, np.uint8))
    images.write_png(tmp_path / "blank.png", np.zeros((300, 300), np.uint8))
    extra = pd.DataFrame([
        {"image_id": "broken", "patient_id": "p", "study_id": "s", "path": str(tmp_path / "broken.pgm"), "format": "pgm"},
        {"image_id": "missing", "patient_id": "p", "study_id": "s", "path": str(tmp_path / "no.pgm"), "format": "pgm"},
        {"image_id": "tiny", "patient_id": "p", "study_id": "s", "path": str(tmp_path / "tiny.png"), "format": "png"},
        {"image_id": "blank", "patient_id": "p", "study_id": "s", "path": str(tmp_path / "blank.png"), "format": "png"},
    ])
    good = mias3.subset(IDS[:1])
    cat = Catalog(pd.concat([good.images, extra], ignore_index=True), good.lesions, tmp_path, "test")
    summary = drive(extract_patches(cat, tmp_path / "out", ExtractParams(), seed=0))
    text = "\n".join(summary["problems"])
    assert "broken.pgm" in text and "truncated" in text
    assert "no.pgm" in text
    assert "tiny.png" in text and "smaller than" in text
    assert "blank.png" in text and "background" in text
    saved = pd.read_csv(tmp_path / "out" / "problems.csv", dtype=str)
    assert len(saved) == len(summary["problems"]) and saved["path"].str.contains("broken.pgm").any()
    index = read_index(tmp_path / "out")
    assert set(index["image_id"]) == {IDS[0]}
    done = pd.read_csv(tmp_path / "out" / "images.csv", dtype=str)
    assert set(done["image_id"]) == {IDS[0], "tiny", "blank"}  # unreadable files are retried on resume


def test_full_disk_stops_cleanly_with_an_index_of_complete_files(tmp_path, mias3, monkeypatch):
    real = store.write_store

    def filling_disk(path, items):
        # Full from the second image's store on (the writer threads overlap
        # consecutive images, so a count of writes would not say which image).
        if IDS[0] not in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, items)

    monkeypatch.setattr(store, "write_store", filling_disk)
    with pytest.raises(FatalWriteError, match="disk is full"):
        drive(extract_patches(mias3, tmp_path, ExtractParams(patch_size=64, n_tissue=10), seed=0))
    index = read_index(tmp_path)
    assert set(index["image_id"]) == {IDS[0]}  # the first image only, complete
    assert all((tmp_path / f).is_file() for f in index["file"])


def test_index_text_does_not_depend_on_how_the_run_was_split(tmp_path, mias3):
    params = ExtractParams(patch_size=64, n_tissue=3)
    drive(extract_patches(mias3.subset(["mdb006"]), tmp_path / "split", params, seed=0))  # no lesion
    drive(extract_patches(mias3, tmp_path / "split", params, seed=0))
    drive(extract_patches(mias3, tmp_path / "whole", params, seed=0))
    assert (tmp_path / "split" / "index.csv").read_bytes() == (tmp_path / "whole" / "index.csv").read_bytes()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names an open file through /proc")
def test_params_json_is_made_durable_with_the_first_index_and_problems_with_the_last(tmp_path, mias3,
                                                                                     monkeypatch):
    from mammostudio.core.patches import tables

    events = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst):
        events.append(("rename", os.path.basename(dst)))
        real_replace(src, dst)

    def fsync(fd):  # the destination's name, from the temporary's ".NAME.XXXXXXXX.part.SUFFIX"
        temp = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        events.append(("fsync", re.fullmatch(r"\.(.+)\.[0-9a-f]{8}\.part.*", temp).group(1)))
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(tables.os, "fsync", fsync)
    drive(extract_patches(mias3.subset(IDS[:1]), tmp_path, ExtractParams(patch_size=64, n_tissue=2), seed=0,
                          keep_identifiers=True))  # no pseudonym mapping written meanwhile
    tables_events = [e for e in events if e[1].endswith((".json", ".csv"))]
    # params.json appears at once (a resume needs it), unsynced; then one batch: every
    # table fsynced before the first rename, renamed params first and index before images.
    assert tables_events[0] == ("rename", "params.json")
    batch = tables_events[1:]
    synced = {name for kind, name in batch if kind == "fsync"}
    assert synced == {"params.json", "index.csv", "images.csv", "problems.csv"}
    renames = [name for kind, name in batch if kind == "rename"]
    assert renames == ["params.json", "index.csv", "images.csv", "problems.csv"]
    kinds = [kind for kind, _ in batch]
    assert max(i for i, k in enumerate(kinds) if k == "fsync") < kinds.index("rename")


def test_a_params_json_emptied_by_a_power_cut_before_any_index_starts_afresh(tmp_path, mias3):
    params = ExtractParams(patch_size=64, n_tissue=2)
    drive(extract_patches(mias3, tmp_path / "fresh", params, seed=0))
    out = tmp_path / "cut"
    drive(extract_patches(mias3, out, params, seed=0))
    for name in ("index.csv", "images.csv", "problems.csv"):  # as before the first flush
        (out / name).unlink()
    (out / "params.json").write_bytes(b"")
    summary = drive(extract_patches(mias3, out, params, seed=0))
    assert summary["new"] == 3 and summary["skipped"] == 0
    assert (out / "index.csv").read_bytes() == (tmp_path / "fresh" / "index.csv").read_bytes()
    assert json.loads((out / "params.json").read_text())["seed"] == 0
    (out / "params.json").write_bytes(b"")  # with an index, an empty params.json is not ours to replace
    with pytest.raises(ValueError, match="unreadable"):
        extract_patches(mias3, out, params, seed=0)
