"""Broken pixel data is named from the header, before any decode (issue 13 part 3)."""
from __future__ import annotations

import numpy as np
import pytest

from mammostudio.core.dicom import DicomError, max_pixels, read_pixels, scan_file, write_dicom
from mammostudio.core.images import ImageReadError, image_problem, load_pixels, read_pgm
from tests._broken_pixels import BROKEN, write_broken

EXPECTED = {"truncated": "truncated pixel data", "short_data": "larger than the data", "rgb": "colour pixel data",
            "huge_native": "exceeds the decode cap", "huge_rle": "exceeds the decode cap"}


@pytest.mark.parametrize("kind", BROKEN)
def test_each_broken_file_is_named_by_its_header_and_refused_by_the_decoder(tmp_path, kind):
    path = write_broken(tmp_path, kind)
    header, problem = scan_file(path)
    assert header["image_id"].startswith("1.2.826.0.1.3680043.9.7.13")
    assert EXPECTED[kind] in problem
    with pytest.raises(DicomError, match=EXPECTED[kind]) as info:
        read_pixels(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_good_file_has_no_pixel_problem(tmp_path):
    path = write_dicom(tmp_path / "ok.dcm", np.ones((40, 32), np.uint16), {"image_id": "1.2.3"})
    assert scan_file(path)[1] == ""
    assert read_pixels(path).shape == (40, 32)


def test_the_cap_is_settable_from_the_environment(tmp_path, monkeypatch):
    path = write_dicom(tmp_path / "ok.dcm", np.ones((40, 32), np.uint16), {"image_id": "1.2.3"})
    monkeypatch.setenv("MAMMOSTUDIO_MAX_MEGAPIXELS", "0.001")  # 1,000 pixels < 40 x 32
    assert max_pixels() == 1000
    assert "exceeds the decode cap of 0.001 megapixels" in scan_file(path)[1]
    with pytest.raises(ImageReadError, match="decode cap"):
        load_pixels(path)


def test_pgm_over_the_cap_or_truncated_is_refused_before_reading_pixels(tmp_path, monkeypatch):
    big = tmp_path / "big.pgm"
    big.write_bytes(b"P5\n65535 65535\n65535\n" + b"\0" * 100)
    assert "exceeds the decode cap" in image_problem(big)
    with pytest.raises(ImageReadError, match="big.pgm: image of 65535x65535"):
        read_pgm(big)
    monkeypatch.setenv("MAMMOSTUDIO_MAX_MEGAPIXELS", "1e6")
    assert "truncated PGM" in image_problem(big)


def test_the_rle_bomb_is_refused_without_allocating_its_pixels(tmp_path):
    import tracemalloc

    path = write_broken(tmp_path, "huge_rle")
    tracemalloc.start()
    with pytest.raises(DicomError):
        read_pixels(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50_000_000  # decoding it would need 8.6 GB


def test_under_a_4_gb_address_space_limit_every_bad_file_is_one_line_naming_it(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    from mammostudio.core.readers.workbook import write_workbook

    for i, kind in enumerate(BROKEN):
        write_broken(tmp_path / "set" / "b" / "p" / "s", kind, i)
    write_workbook(tmp_path / "set" / "annotations.csv",
                   pd.DataFrame([{"image_id": "rgb", "x1": 1, "y1": 1, "x2": 5, "y2": 5}]))
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (4_000_000 * 1024,) * 2); "
            "from mammostudio.cli import main; sys.exit(main(sys.argv[1:]))")
    for args in (["scan", str(tmp_path / "set"), "--verify", "--no-filter", "--quiet", "--workers", "1"],
                 ["extract", str(tmp_path / "set"), str(tmp_path / "out"), "--no-filter", "--workers", "1",
                  "--quiet"]):
        res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
        text = res.stdout + res.stderr
        assert "Traceback" not in text and "MemoryError" not in text, text
        for kind in BROKEN:
            lines = [line for line in text.splitlines() if f"{kind}.dcm" in line]
            assert lines, (kind, text)
