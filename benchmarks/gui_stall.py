"""How long the GUI's event loop stalls while long jobs run (the figures tests used to assert).

A 10 ms QTimer ticks on the GUI thread; the longest gap between two ticks is the
worst stall a user would feel. Printed, in milliseconds, beside the 100 ms goal
and the median gap (~10 ms on an idle machine: the timer's own period):

* ``extract``: Prepare mode cutting patches from six mini-MIAS films in its worker;
* ``gan``:     Train mode running a 3-epoch tiny DCGAN with its live monitor;
* ``gallery``: building a 150,000-patch gallery, and one scroll + repaint.

A loaded machine stalls longer: read the figures with the load average printed
beside them. Usage::

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_stall.py [--only extract gan gallery]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
MIAS = REPO.parent / "shared" / "data" / "mias"
MIAS_NAMES = ("mdb001", "mdb002", "mdb005", "mdb006", "mdb010", "mdb012")
GOAL_MS = 100.0


class StallProbe:
    """Gaps between the ticks of a 10 ms QTimer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.last: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last is not None:
            self.gaps.append(now - self.last)
        self.last = now

    def __enter__(self) -> "StallProbe":
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()

    def line(self, name: str) -> str:
        worst, median = max(self.gaps) * 1000, statistics.median(self.gaps) * 1000
        verdict = "within" if worst < GOAL_MS else "OVER"
        return (f"{name:8s} worst stall {worst:6.1f} ms ({verdict} the {GOAL_MS:.0f} ms goal), "
                f"median gap {median:.1f} ms over {len(self.gaps)} ticks")


def wait_until(app, done, timeout_s: float = 300.0) -> None:
    end = time.perf_counter() + timeout_s
    while not done():
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() > end:
            raise TimeoutError("the job did not finish in time")


def extract(app, tmp: Path) -> str:
    from mammostudio.core.readers import open_dataset
    from mammostudio.gui.prepare import PreparePage
    from mammostudio.gui.state import AppState
    from mammostudio.gui.viewer import ViewerWidget

    dest = tmp / "mias"
    dest.mkdir()
    shutil.copy(MIAS / "Info.txt", dest)
    for name in MIAS_NAMES:
        shutil.copy(MIAS / f"{name}.pgm", dest)
    state = AppState()
    state.set_dataset(open_dataset(dest))
    viewer = ViewerWidget(state)
    page = PreparePage(state, viewer)
    page.out_edit.setText(str(tmp / "patches"))
    page.editors["patch_size"].setValue(64)
    page.show()
    loaded = []
    page.gallery.loaded.connect(lambda *a: loaded.append(True))
    with StallProbe() as probe:
        page.start_extraction()
        wait_until(app, lambda: bool(loaded))
    return probe.line("extract")


def gan(app, tmp: Path) -> str:
    sys.path.insert(0, str(REPO / "tests"))
    from test_trainer_jobs import make_patch_folder

    from mammostudio.gui.train import TrainPanel

    panel = TrainPanel(workspace=tmp / "runs")
    panel.resize(1300, 800)
    panel.show()
    wait_until(app, lambda: panel.ready)
    panel.setup.patches.setText(str(make_patch_folder(tmp / "gan_patches")))
    panel.setup.set_kind("gan")
    panel.setup.set_preset("tiny")
    panel.setup.form.set_field("epochs", 3)
    panel.setup.name.setText("stall")
    with StallProbe() as probe:
        panel.start()
        wait_until(app, lambda: not panel.running)
    return probe.line("gan")


def gallery(app, tmp: Path) -> str:
    import pandas as pd

    from mammostudio.core.images import write_png
    from mammostudio.gui.gallery import PatchListModel, _list_view, patch_paths
    from mammostudio.gui.thumbnails import ThumbnailCache

    rng = np.random.default_rng(0)
    files = []
    for i in range(3):
        write_png(tmp / "tissue" / f"p{i}.png", rng.integers(0, 255, (128, 128), dtype=np.uint8))
        files.append(f"tissue/p{i}.png")
    n = 150_000
    index = pd.DataFrame({"kind": "tissue", "file": [files[i % 3] for i in range(n)],
                          "image_id": [f"img{i // 10}" for i in range(n)]})
    paths = patch_paths(tmp, index)
    t0 = time.perf_counter()
    view = _list_view()
    view.setModel(PatchListModel(tmp, index, ThumbnailCache(size=64), files=paths))
    view.resize(800, 600)
    view.show()
    wait_until(app, lambda: view.model().rowCount() == n)
    view.scrollToBottom()
    view.viewport().repaint()
    build = time.perf_counter() - t0
    settle = time.perf_counter() + 0.2  # let the batched layout finish, as the app does
    while time.perf_counter() < settle:
        app.processEvents()
    t1 = time.perf_counter()
    bar = view.verticalScrollBar()
    for _ in range(10):
        bar.setValue(bar.maximum() // 2)
        view.viewport().repaint()
        bar.setValue(bar.maximum())
        view.viewport().repaint()
    per_scroll = (time.perf_counter() - t1) / 20
    return (f"gallery  150,000 patches: model + first paint {build * 1000:.0f} ms; one scroll + repaint "
            f"{per_scroll * 1000:.1f} ms (goal 50 ms)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=["extract", "gan", "gallery"], default=["extract", "gan", "gallery"])
    args = p.parse_args(argv)
    from mammostudio.gui.app import make_app

    app = make_app()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name in args.only:
        if name == "extract" and not (MIAS / "Info.txt").is_file():
            print(f"extract  skipped: mini-MIAS not found at {MIAS}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            print(globals()[name](app, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
