"""``mammostudio demo-data``, ``scan`` and ``demo`` from the command line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mammostudio.cli import main
from mammostudio.core.acquisition import AcquisitionFilter


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "demo data ü"
    assert main(["demo-data", str(out), "--patients", "3", "--size", "256", "208", "--seed", "2", "--quiet"]) == 0
    return out


def _scan_json(capsys, *args) -> dict:
    capsys.readouterr()
    assert main(["scan", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("layout", ["workbook", "omidb"])
def test_scan_reports_the_builders_counts(demo, capsys, layout):
    man = json.loads((demo / "manifest.json").read_text())
    s = _scan_json(capsys, demo / layout)
    assert s["format"] == layout
    for key in ("patients", "images", "images_with_lesion", "images_without_lesion", "lesions"):
        assert s[key] == man[key], key
    assert s["lesion_types"] == man["lesion_types"]
    assert s["lesion_status"] == man["status"]
    f = s["filter"]
    assert f["name"] == "paper defaults" and f["kept"] + f["removed"] == man["images"]
    assert sum(c["removed_in_sequence"] for c in f["criteria"]) == f["removed"]
    assert s["problem_list"] == []


def test_scan_text_summary_is_readable(demo, capsys):
    capsys.readouterr()
    assert main(["scan", str(demo / "workbook")]) == 0
    text = capsys.readouterr().out
    assert "patients 3, studies 3, images 12" in text
    assert "acquisition filter (paper defaults): kept" in text and "problems: 0" in text


def test_scan_of_mini_mias(mias_dir, capsys):
    s = _scan_json(capsys, mias_dir, "--no-filter")
    assert (s["images"], s["images_with_lesion"]) == (135, 111)
    assert s["filter"] is None


def test_scan_with_a_filter_file(demo, tmp_path, capsys):
    path = AcquisitionFilter.disabled().to_json(tmp_path / "no filter.json")
    s = _scan_json(capsys, demo / "workbook", "--filter", path)
    assert s["filter"]["kept"] == s["images"] and s["filter"]["name"] == str(path)


def test_scan_lists_problems_with_the_file(demo, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(demo / "workbook", copy)
    bad = next(copy.rglob("*.dcm")).parent / "9.9.9.dcm"
    bad.write_bytes(b"not a dicom file at all")
    capsys.readouterr()
    assert main(["scan", str(copy)]) == 0
    text = capsys.readouterr().out
    assert "problems: 1" in text and f"error: {bad}" in text and "images 12" in text


@pytest.mark.parametrize("make", ["empty", "missing", "bad-filter"])
def test_bad_input_is_a_clear_error_without_traceback(demo, tmp_path, capsys, make):
    args = {"empty": ["scan", str(tmp_path)], "missing": ["scan", str(tmp_path / "nope")],
            "bad-filter": ["scan", str(demo / "workbook"), "--filter", str(tmp_path / "absent.json")]}[make]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("mammostudio: error:") and "Traceback" not in err and str(tmp_path) in err


def test_demo_data_refuses_an_existing_build(demo, capsys):
    assert main(["demo-data", str(demo), "--patients", "1", "--size", "128", "104", "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_demo_builds_once_then_shows_the_summary(tmp_path, capsys):
    args = ["demo", "--no-gui", "--data", str(tmp_path / "d"), "--patients", "1", "--size", "128", "104"]
    assert main(args) == 0
    first = capsys.readouterr().out
    built = tmp_path / "d" / "1-patients-128x104-seed0"  # one folder per configuration
    assert "images 4" in first and str(built / "workbook") in first
    stamp = (built / "manifest.json").stat().st_mtime_ns
    assert main(args) == 0
    assert (built / "manifest.json").stat().st_mtime_ns == stamp  # not built again
