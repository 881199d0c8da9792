"""Opening a 200,000-image archive: first scan, cached re-open, memory, GUI stalls, bombs.

Builds a synthetic OMI-DB-like tree (``images/<client>/<study>/<sop>.dcm``; 4
small 12-bit MG DICOMs per study, 2 studies per client, a mark on ~4% of
images; the marks in ``annotations.csv`` or, with ``--layout omidb``, as
``data/<client>/imagedb_<client>.json`` + ``nbss_<client>.json``) and prints,
in one run:

* first scan: images/s of ``open_dataset`` with an empty header index against
  a plain ``pydicom.dcmread(stop_before_pixels=True)`` loop over the same files
  (both from the page cache; the baseline's listing is timed too), and the ratio;
* how the header reads scale: serial, threads and processes over a sample;
* cached re-open time;
* peak memory (this process, and the largest worker process);
* the largest GUI event-loop stall (a 5 ms QTimer probe) while the main window
  opens the archive (with an empty cache: every header read inside the open,
  in a child process from 20,000 files), opens it again (the saved catalog),
  searches, filters, sorts it and shows ten images in turn;
* the 65535 x 65535 RLE file: peak memory of ``read_pixels`` refusing it, and
  ``scan --verify`` / ``extract`` on every broken case under ``ulimit -v 4000000``.

Usage::

    python benchmarks/catalog.py                      # 200,000 images (~1 GB of files)
    python benchmarks/catalog.py --images 20000 --keep /tmp/arch
    python benchmarks/catalog.py --baseline-sample 40000   # time the baseline on a sample
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from catalog_archive import build_archive, dicom_paths  # noqa: E402 - after the path set-up


def _rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def measure_scan(root: Path, baseline_sample: int | None, mode_sample: int) -> dict:
    import pydicom

    from mammostudio.core.progress import drive
    from mammostudio.core.readers import open_dataset_job
    from mammostudio.core.readers.opening import read_headers

    out = {}
    t0 = time.perf_counter()
    paths = dicom_paths(root)
    listing = time.perf_counter() - t0
    sample = paths if not baseline_sample else paths[:: max(1, len(paths) // baseline_sample)]
    t0 = time.perf_counter()
    for p in sample:
        pydicom.dcmread(p, stop_before_pixels=True)
    loop = time.perf_counter() - t0
    base_s = listing + loop * len(paths) / len(sample)
    out["baseline"] = {"files": len(paths), "timed_files": len(sample), "seconds": round(base_s, 2),
                       "images_per_s": round(len(paths) / base_s, 1)}
    t0 = time.perf_counter()
    cat = drive(open_dataset_job(root))
    first = time.perf_counter() - t0
    out["first_scan"] = {"images": cat.n_images, "lesions": cat.n_lesions, "problems": len(cat.problems),
                         "seconds": round(first, 2), "images_per_s": round(cat.n_images / first, 1)}
    out["ratio_first_scan_vs_baseline"] = round(base_s / first, 2)
    del cat
    t0 = time.perf_counter()
    cat = drive(open_dataset_job(root))
    out["cached_reopen_s"] = round(time.perf_counter() - t0, 2)
    out["cached_images"] = cat.n_images
    del cat
    me, kids = _rss_mb()
    out["peak_rss_mb_after_scans"] = {"main": round(me), "largest_worker": round(kids)}
    part = paths[:mode_sample]
    rates = {}
    for mode, workers in (("serial", 1), ("thread", 2), ("process", 2)):
        import mammostudio.core.readers.opening as opening

        old = opening._PARALLEL_FROM
        opening._PARALLEL_FROM = 0
        t0 = time.perf_counter()
        drive(read_headers(part, workers=workers, mode=mode))
        rates[mode] = round(len(part) / (time.perf_counter() - t0), 1)
        opening._PARALLEL_FROM = old
    t0 = time.perf_counter()
    for p in part[:5000]:
        pydicom.dcmread(p, stop_before_pixels=True)
    rates["pydicom_loop_same_sample"] = round(min(5000, len(part)) / (time.perf_counter() - t0), 1)
    out["header_reads_images_per_s"] = {"files": len(part), **rates}
    return out


def measure_gui(root: Path) -> dict:
    """Largest event-loop stall while the main window opens, searches, filters, sorts and selects."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QTimer

    from mammostudio.gui.app import make_app
    from mammostudio.gui.browser import KEYS
    from mammostudio.gui.mainwindow import MainWindow

    app = make_app()
    settings = Path(tempfile.mkdtemp()) / "settings.ini"
    w = MainWindow(settings_path=settings)
    w.resize(1400, 900)
    w.show()
    clock, worst, last = QElapsedTimer(), {"gap": 0.0}, [None]
    clock.start()

    def tick():
        now = clock.nsecsElapsed() / 1e6
        if last[0] is not None:
            worst["gap"] = max(worst["gap"], now - last[0] - 5.0)
        last[0] = now

    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(tick)

    def run_until(cond, timeout=600.0):
        t0 = time.monotonic()
        while not cond():
            app.processEvents()
            time.sleep(0.001)
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("GUI step did not finish")

    def phase(name, action, cond):
        for _ in range(3):
            app.processEvents()
        worst["gap"], last[0] = 0.0, None
        probe.start()
        t0 = time.perf_counter()
        action()
        run_until(cond)
        for _ in range(20):  # let queued repaints run while the probe watches
            app.processEvents()
            time.sleep(0.005)
        probe.stop()
        return {"seconds": round(time.perf_counter() - t0, 2), "max_stall_ms": round(worst["gap"], 1)}

    out = {}
    # the noise floor: the probe alone on this (shared) machine, nothing asked of the window
    out["idle"] = phase("idle", lambda: None, lambda t=time.monotonic(): time.monotonic() - t > 2.0)
    out["open"] = phase("open", lambda: w.open_dataset(str(root)),
                        lambda: w.state.catalog is not None and w.viewer.canvas.display is not None)
    first = w.state.raw  # the same folder again: the catalog saved by that open
    out["reopen"] = phase("reopen", lambda: w.open_dataset(str(root)),
                          lambda: w.state.raw is not first and w.viewer.canvas.display is not None)
    n = len(w.browser.visible_image_ids())
    searches = []
    for text in ("d", "de", "demd1", "demd10", "demd1000", "demd10001", "calcification", ""):
        done = [False]
        w.browser.orderChanged.connect(lambda d=done: d.__setitem__(0, True))
        searches.append(phase("search", lambda t=text: w.browser.search.setText(t), lambda d=done: d[0]))
        w.browser.orderChanged.disconnect()
    out["search"] = {"steps": len(searches), "seconds": round(sum(s["seconds"] for s in searches), 2),
                     "max_stall_ms": max(s["max_stall_ms"] for s in searches)}
    filters = []
    for box in (w.filters.normals, w.filters.normals, w.filters.acq_enabled, w.filters.acq_enabled):
        done = [False]
        w.browser.orderChanged.connect(lambda d=done: d.__setitem__(0, True))
        filters.append(phase("filter", box.toggle, lambda d=done: d[0]))
        w.browser.orderChanged.disconnect()
    out["filter"] = {"steps": len(filters), "seconds": round(sum(s["seconds"] for s in filters), 2),
                     "max_stall_ms": max(s["max_stall_ms"] for s in filters),
                     "shown_after": len(w.browser.visible_image_ids())}
    sorts = []
    header = w.browser.view.horizontalHeader()
    for key in ("lesions", "lesions", "image_id", "manufacturer", "view", "tube_current_ma", "patient_id"):
        done = [False]
        w.browser.orderChanged.connect(lambda d=done: d.__setitem__(0, True))
        sorts.append(phase("sort", lambda k=key: header.sectionClicked.emit(KEYS.index(k)), lambda d=done: d[0]))
        w.browser.orderChanged.disconnect()
    out["sort"] = {"steps": len(sorts), "seconds": round(sum(s["seconds"] for s in sorts), 2),
                   "max_stall_ms": max(s["max_stall_ms"] for s in sorts)}
    selects = []
    for image_id in w.browser.visible_image_ids()[1000:1010]:  # the viewer shows each ('image n of m' included)
        selects.append(phase("select", lambda i=image_id: w.state.select(i),
                             lambda i=image_id: (w.viewer.canvas.display is not None
                                                 and w.viewer.canvas.display.image_id == i)))
    out["select"] = {"steps": len(selects), "seconds": round(sum(s["seconds"] for s in selects), 2),
                     "max_stall_ms": max((s["max_stall_ms"] for s in selects), default=0.0)}
    out["rows"] = n
    out["largest_stall_ms"] = max(out[k]["max_stall_ms"] for k in ("open", "reopen", "search", "filter", "sort",
                                                                    "select"))
    w.close()
    w.deleteLater()  # torn down while Qt runs, not by the interpreter's final garbage collection
    for _ in range(20):
        app.processEvents()
    return out


_BOMB = """
import resource, sys
from mammostudio.core.dicom import read_pixels, DicomError
try:
    read_pixels(sys.argv[1])
    print("decoded")
except DicomError as exc:
    print("refused:", str(exc)[-90:])
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0].split()[1]
print("peak_rss_mb", int(hwm) / 1024)
"""


def measure_bad_files(work: Path) -> dict:
    """The RLE bomb's peak memory, and every broken case under ulimit -v 4000000."""
    sys.path.insert(0, str(REPO / "tests"))
    from _broken_pixels import BROKEN, write_broken

    import pandas as pd

    from mammostudio.core.readers.workbook import write_workbook

    folder = work / "broken"
    for i, kind in enumerate(BROKEN):
        write_broken(folder / "b" / "pz" / "s9", kind, i)
    write_workbook(folder / "annotations.xlsx", pd.DataFrame([{"image_id": "truncated", "x1": 1, "y1": 1, "x2": 5,
                                                               "y2": 5, "status": "B5", "lesion_type": "Mass"}]))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, "-c", _BOMB, str(folder / "b" / "pz" / "s9" / "huge_rle.dcm")],
                         capture_output=True, text=True, env=env, timeout=600)
    peak = float(res.stdout.split("peak_rss_mb")[-1]) if "peak_rss_mb" in res.stdout else None
    out = {"rle_65535_refused": "refused" in res.stdout, "rle_65535_peak_rss_mb": round(peak or -1)}
    limited = "import resource; resource.setrlimit(resource.RLIMIT_AS, (4000000 * 1024,) * 2); " \
              "import sys; from mammostudio.cli import main; sys.exit(main(sys.argv[1:]))"
    for name, args in (("scan_verify", ["scan", str(folder), "--verify", "--no-filter", "--quiet", "--json"]),
                       ("extract", ["extract", str(folder), str(work / "patches"), "--no-filter", "--workers", "1",
                                    "--quiet"])):
        r = subprocess.run([sys.executable, "-c", limited, *args], capture_output=True, text=True, env=env,
                           timeout=600)
        text = r.stdout + r.stderr
        named = [kind for kind in BROKEN if f"{kind}.dcm" in text or f"{kind}:" in text or f"'{kind}'" in text]
        out[f"ulimit_{name}"] = {"exit": r.returncode, "traceback": "Traceback" in text,
                                 "memory_error": "MemoryError" in text, "files_named": len(named),
                                 "of": len(BROKEN)}
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200_000)
    parser.add_argument("--baseline-sample", type=int, default=0,
                        help="time the pydicom loop on this many files and scale (0: all)")
    parser.add_argument("--mode-sample", type=int, default=20_000, help="files for the serial/thread/process rates")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the archive here and keep it")
    parser.add_argument("--layout", choices=("workbook", "omidb"), default="workbook",
                        help="annotations as one CSV beside the OMI-DB image tree (default), or as OMI-DB JSON")
    parser.add_argument("--skip", nargs="*", default=(), choices=("scan", "gui", "bad"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="mammostudio-catalog-"))
    os.environ["MAMMOSTUDIO_CACHE_DIR"] = str(work / "cache")  # an empty header index to start
    root = args.keep or work / "archive"
    result: dict = {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()[0]}
    try:
        if not (root / "images").is_dir():
            t0 = time.perf_counter()
            result["archive"] = build_archive(root, args.images, layout=args.layout)
            result["archive"]["build_s"] = round(time.perf_counter() - t0, 1)
        if "scan" not in args.skip:
            result["scan"] = measure_scan(root, args.baseline_sample or None, args.mode_sample)
        if "gui" not in args.skip:
            # an empty cache again: the window's open reads every header, as on an archive never opened
            os.environ["MAMMOSTUDIO_CACHE_DIR"] = str(work / "cache-gui")
            result["gui"] = measure_gui(root)
        if "bad" not in args.skip:
            result["bad_files"] = measure_bad_files(work)
        me, kids = _rss_mb()
        result["peak_rss_mb_end"] = {"main": round(me), "largest_child": round(kids)}
        result["load_avg_at_end"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        _print(result)
    return result


def _print(r: dict) -> None:
    print(json.dumps(r, indent=1))
    s, g, b = r.get("scan"), r.get("gui"), r.get("bad_files")
    print("\nsummary (goals in brackets)")
    if s:
        print(f"  first scan {s['first_scan']['images_per_s']:.0f} images/s vs pydicom loop "
              f"{s['baseline']['images_per_s']:.0f}: ratio {s['ratio_first_scan_vs_baseline']:.2f}x [>= 2x]")
        print(f"  cached re-open {s['cached_reopen_s']:.2f} s [< 3 s]; peak memory "
              f"{max(r['peak_rss_mb_end'].values())} MB [< 1500]")
    if g:
        print(f"  largest GUI stall {g['largest_stall_ms']:.0f} ms (idle noise floor {g['idle']['max_stall_ms']:.0f}; first open {g['open']['max_stall_ms']:.0f}, re-open {g['reopen']['max_stall_ms']:.0f}, search "
              f"{g['search']['max_stall_ms']:.0f}, filter {g['filter']['max_stall_ms']:.0f}, sort "
              f"{g['sort']['max_stall_ms']:.0f}, select {g['select']['max_stall_ms']:.0f}) [< 100 ms]; "
              f"load average {r['load_avg_at_start']:.1f} -> {r['load_avg_at_end']:.1f}")
    if b:
        print(f"  RLE 65535x65535 refused: {b['rle_65535_refused']}, peak {b['rle_65535_peak_rss_mb']} MB [< 300]")


if __name__ == "__main__":
    main()
