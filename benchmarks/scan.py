"""Header-only scan versus full pixel read of the same DICOM files.

Writes N full-size mammograms (default 40 x 4096 x 3328, 12 bits stored in 16)
with :func:`mammostudio.core.dicom.write_dicom` into a temporary folder, then
times, in one run, :func:`read_header` over all files (the catalog fields), the
faster :func:`scan_file` that ``mammostudio scan`` uses (same fields plus the
pixel checks), and :func:`read_pixels` (decode, rescale, MONOCHROME1
inversion), and prints images/s of each and their ratios.

The files were just written, so both passes read from the page cache: the ratio
measures parsing and decoding, not the disk.

Usage::

    python benchmarks/scan.py                 # 40 uncompressed files
    python benchmarks/scan.py -n 10 --compress rle
    python benchmarks/scan.py --json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mammostudio.core.dicom import read_header, read_pixels, scan_file, write_dicom


def _image(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A smooth 12-bit breast-like blob with noise (cheap to make, realistic to compress)."""
    r = np.linspace(-1, 1, rows, dtype=np.float32)[:, None]
    c = np.linspace(0, 1.6, cols, dtype=np.float32)[None, :]
    body = np.clip(1.0 - (r**2 + c**2), 0, None)
    noise = rng.normal(0, 40, size=(rows, cols)).astype(np.float32)
    return np.clip(300 + 3000 * body + noise, 0, 4095).astype(np.uint16)


def make_files(folder: Path, n: int, rows: int, cols: int, compress: str | None, seed: int) -> list[Path]:
    """Write ``n`` MG DICOMs (alternating views and photometric) into ``folder``."""
    rng = np.random.default_rng(seed)
    base = _image(rng, rows, cols)
    paths = []
    for i in range(n):
        pixels = np.roll(base, 17 * i, axis=0)
        meta = {
            "patient_id": f"bench-{i // 4:03d}",
            "laterality": "LR"[i % 2],
            "view": ("CC", "MLO")[(i // 2) % 2],
            "manufacturer": "HOLOGIC, Inc.",
            "model_name": "Lorad Selenia",
            "tube_current_ma": 100,
            "magnification": 1.0,
            "pixel_spacing_mm": 0.07,
            "window_center": 2047,
            "window_width": 4096,
        }
        photometric = "MONOCHROME1" if i % 5 == 4 else "MONOCHROME2"
        paths.append(write_dicom(folder / f"img{i:04d}.dcm", pixels, meta, photometric=photometric, compress=compress))
    return paths


def _rate(fn, paths: list[Path]) -> tuple[float, float]:
    start = time.perf_counter()
    for p in paths:
        fn(p)
    seconds = time.perf_counter() - start
    return len(paths) / seconds, seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="number of files (default 40)")
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--cols", type=int, default=3328)
    parser.add_argument("--compress", choices=["none", "rle", "jpeg2000"], default="none")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.n < 1 or args.rows < 1 or args.cols < 1:
        parser.error("-n, --rows and --cols must be positive")
    compress = None if args.compress == "none" else args.compress

    with tempfile.TemporaryDirectory(prefix="mammostudio-scan-bench-") as tmp:
        t0 = time.perf_counter()
        paths = make_files(Path(tmp), args.n, args.rows, args.cols, compress, args.seed)
        write_s = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        # One untimed header pass so both timed passes find the files equally cached.
        for p in paths:
            read_header(p)
        header_rate, header_s = _rate(read_header, paths)
        fast_rate, fast_s = _rate(scan_file, paths)
        pixel_rate, pixel_s = _rate(read_pixels, paths)
    result = {
        "files": args.n,
        "size": f"{args.rows}x{args.cols}",
        "compress": args.compress,
        "total_mb": round(size_mb, 1),
        "write_s": round(write_s, 2),
        "header_images_per_s": round(header_rate, 1),
        "header_s": round(header_s, 3),
        "scan_file_images_per_s": round(fast_rate, 1),
        "scan_file_vs_read_header": round(fast_rate / header_rate, 2),
        "pixels_images_per_s": round(pixel_rate, 2),
        "pixels_s": round(pixel_s, 3),
        "ratio": round(header_rate / pixel_rate, 1),
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.n} DICOM files {result['size']} ({args.compress}, {size_mb:.0f} MB) written in {write_s:.1f} s")
        print(f"header-only scan (read_header): {header_rate:10.1f} images/s  ({header_s:.3f} s)")
        print(f"catalog scan (scan_file):       {fast_rate:10.1f} images/s  ({fast_s:.3f} s; "
              f"{fast_rate / header_rate:.1f}x read_header, with the pixel checks)")
        print(f"full pixel read (read_pixels):  {pixel_rate:10.2f} images/s  ({pixel_s:.3f} s)")
        print(f"ratio: header scan is {header_rate / pixel_rate:.0f}x faster")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
