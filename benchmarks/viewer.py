"""Viewer responsiveness on a full-size mammogram (4096 x 3328, 16-bit, 12 bits stored).

Prints, in milliseconds (median of repeats):

* decode: reading the DICOM file (off the GUI thread in the app);
* pyramid + mask: the fit copies (mean and max-pooled) and the reduced breast
  mask (off the GUI thread);
* first display: from a prepared image to its first painted frame (GUI
  thread: set the image, fit the view, paint); with the line above this is the
  time from decode to picture, which the issue asks to keep under 250 ms;
* window/level redraw at fit (what a right-drag does; the issue asks < 16 ms)
  and, for honesty, at 1:1 where the full-resolution array is shown.

Usage: ``QT_QPA_PLATFORM=offscreen python benchmarks/viewer.py [--repeats 20]``
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS, COLS = 4096, 3328


def _image(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    breast = ((rr - ROWS / 2) / (ROWS / 2)) ** 2 + (cc / COLS) ** 2 < 1.0
    img = 600 + 2500 * np.exp(-(cc / COLS) * 1.5) * breast + rng.normal(0, 40, (ROWS, COLS)).astype(np.float32)
    return np.clip(img, 0, 4095).astype(np.uint16)


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:7.1f} ms (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from mammostudio.core.dicom import read_pixels, write_dicom
    from mammostudio.gui.app import make_app
    from mammostudio.gui.canvas import ImageCanvas
    from mammostudio.gui.loader import breast_mask_of
    from mammostudio.core.pyramid import build_display

    app = make_app()
    pixels = _image()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dicom(Path(tmp) / "big.dcm", pixels, {"bits_stored": 12, "image_id": "1.2.3.4"})
        decode = []
        for _ in range(max(3, args.repeats // 4)):
            t0 = time.perf_counter()
            decoded = read_pixels(path)
            decode.append(time.perf_counter() - t0)
    assert decoded.shape == (ROWS, COLS)
    pyramid = []
    for _ in range(max(3, args.repeats // 4)):
        t0 = time.perf_counter()
        display = build_display("big", decoded, **breast_mask_of(decoded))
        pyramid.append(time.perf_counter() - t0)

    canvas = ImageCanvas()
    canvas.resize(1000, 900)
    canvas.show()
    app.processEvents()
    first = []
    for _ in range(args.repeats):
        canvas.set_display(None)
        canvas.repaint()
        app.processEvents()
        t0 = time.perf_counter()
        canvas.set_display(display)
        canvas.viewport().repaint()  # synchronous paint of the frame
        first.append(time.perf_counter() - t0)

    def drags(n: int) -> list[float]:
        out, c, w = [], canvas.window_center, canvas.window_width
        for i in range(n):
            t0 = time.perf_counter()
            canvas.set_window(c + (i % 7) * 10, w - (i % 5) * 20)
            canvas.viewport().repaint()
            out.append(time.perf_counter() - t0)
        return out

    canvas.fit()
    app.processEvents()
    fit_level = canvas.level
    wl_fit = drags(args.repeats * 3)
    canvas.one_to_one()
    app.processEvents()
    full_level = canvas.level
    wl_full = drags(args.repeats)
    print(f"image {ROWS}x{COLS} uint16 (12 bits), fit copy {display.fit_max.shape} (factor {display.factor}), "
          f"view 1000x900")
    print(f"decode (DICOM, off GUI thread)      {_ms(decode)}")
    print(f"pyramid + breast mask (off GUI)     {_ms(pyramid)}")
    print(f"first display (GUI thread)          {_ms(first)}")
    print(f"after decode, in all (median sum)   {(statistics.median(pyramid) + statistics.median(first)) * 1000:7.1f} ms")
    print(f"window/level redraw at fit [{fit_level}]   {_ms(wl_fit)}")
    print(f"window/level redraw at 1:1 [{full_level}]  {_ms(wl_full)}")
    canvas.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
