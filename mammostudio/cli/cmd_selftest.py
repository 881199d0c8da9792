"""``mammostudio self-test``: open the real main window on a tiny demo dataset and check it draws.

Used by ``packaging/build.sh`` on the frozen bundle (``mammostudio --self-test``
maps to this command) and useful after an install: it exercises the DICOM
writer and reader, the catalog, the Qt main window and the image viewer
without touching the user's settings or data.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ._run import fail

__all__ = ["register", "self_test"]


def register(subparsers) -> None:
    """Add the ``self-test`` command."""
    p = subparsers.add_parser(
        "self-test", help="open the app offscreen on a tiny demo dataset and check an image renders",
        description="Build a tiny demo dataset in a temporary folder, open it in the main window "
                    "(offscreen unless a display is forced), show one image, check the rendered "
                    "window is not blank and exit 0. Settings go to the temporary folder too.")
    p.add_argument("--size", nargs=2, type=int, default=(256, 208), metavar=("ROWS", "COLS"),
                   help="demo image size (default 256 208)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for each step (default 120)")
    p.add_argument("--screenshot", metavar="PNG", help="also save the rendered window here")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    p.set_defaults(func=_run)


def _image_stats(qimage) -> tuple[float, int]:
    """(standard deviation of grey levels, number of distinct grey levels) of a grabbed QImage."""
    import numpy as np
    from PySide6.QtGui import QImage

    img = qimage.convertToFormat(QImage.Format.Format_Grayscale8)
    ptr = img.constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8, count=img.bytesPerLine() * img.height())
    arr = arr.reshape(img.height(), img.bytesPerLine())[:, : img.width()]
    return float(arr.std()), int(np.unique(arr).size)


def self_test(work: Path, *, size: tuple[int, int] = (256, 208), timeout_s: float = 120.0,
              screenshot: str | None = None) -> list[str]:
    """Run the check in folder ``work``; return the list of failures (empty = passed).

    Parameters
    ----------
    work : Path
        Empty scratch folder for the demo data and the settings file.
    size : (rows, cols)
        Demo image size.
    timeout_s : float
        Seconds allowed for opening the dataset and for displaying the image.
    screenshot : str, optional
        Where to save the grabbed viewer, for a human to look at.
    """
    from ..core.demo.build import build_demo_dataset
    from ..core.progress import drive

    t0 = time.monotonic()
    root = drive(build_demo_dataset(work / "demo", patients=1, size=tuple(size), seed=0))
    print(f"self-test: demo dataset built in {time.monotonic() - t0:.1f} s: {root}")

    from ..gui.app import make_app, wait_until
    from ..gui.mainwindow import MainWindow

    app = make_app()
    window = MainWindow(settings_path=work / "settings.ini")
    window.resize(1200, 800)
    window.show()
    folder = str((root / "workbook").resolve())
    window.open_dataset(folder)
    if not wait_until(app, lambda: window.state.catalog is not None, timeout_s):
        return [f"the demo dataset did not open within {timeout_s:.0f} s ({window.status_label.text()!r})"]
    catalog = window.state.catalog
    problems = []
    if len(catalog.images) != 4:
        problems.append(f"expected 4 demo images, the catalog has {len(catalog.images)}")
    image_id = str(catalog.images["image_id"].iloc[0])
    window.state.select(image_id)
    canvas = window.viewer.canvas
    shown = wait_until(app, lambda: canvas.display is not None and canvas.display.image_id == image_id, timeout_s)
    if not shown:
        return problems + [f"image {image_id} was not displayed within {timeout_s:.0f} s "
                           f"({window.status_label.text()!r})"]
    wait_until(app, lambda: False, 0.5)  # let the view repaint
    grab = canvas.grab().toImage()
    std, levels = _image_stats(grab)
    print(f"self-test: viewer {grab.width()}x{grab.height()} px, grey std {std:.1f}, {levels} grey levels")
    if grab.width() < 50 or grab.height() < 50:
        problems.append(f"the viewer is only {grab.width()}x{grab.height()} pixels")
    if std < 5.0 or levels < 16:
        problems.append(f"the rendered image looks blank (grey std {std:.1f}, {levels} levels)")
    if screenshot:
        window.grab().save(str(screenshot))
        print(f"self-test: screenshot {screenshot}")
    window.close()
    app.processEvents()
    return problems


def _run(args) -> int:
    try:
        import PySide6  # noqa: F401
    except ImportError as exc:
        return fail(f"the self-test needs PySide6 ({exc})")
    if "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    work = Path(tempfile.mkdtemp(prefix="mammostudio-selftest-"))
    saved_config = os.environ.get("MAMMOSTUDIO_CONFIG_DIR")
    os.environ["MAMMOSTUDIO_CONFIG_DIR"] = str(work)  # nothing of the user's settings is read or written
    try:
        problems = self_test(work, size=tuple(args.size), timeout_s=args.timeout, screenshot=args.screenshot)
    finally:
        if saved_config is None:
            os.environ.pop("MAMMOSTUDIO_CONFIG_DIR", None)
        else:
            os.environ["MAMMOSTUDIO_CONFIG_DIR"] = saved_config
        if args.keep:
            print(f"self-test: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if problems:
        for p in problems:
            print(f"self-test FAILED: {p}", file=sys.stderr)
        return 1
    print("self-test passed")
    return 0
