"""benchmarks/scan.py keeps working (tiny images; the real run is 40 x 4096 x 3328)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "scan.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_scan", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scan_benchmark_reports_both_rates_and_their_ratio(capsys):
    result = _load().main(["-n", "3", "--rows", "64", "--cols", "48", "--compress", "rle", "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert printed == result
    assert result["files"] == 3 and result["size"] == "64x48"
    assert result["header_images_per_s"] > 0 and result["pixels_images_per_s"] > 0
    ratio = result["header_images_per_s"] / result["pixels_images_per_s"]
    assert abs(result["ratio"] - ratio) < 0.1 + 0.01 * ratio
