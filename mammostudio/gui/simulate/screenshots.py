"""Offscreen screenshots of Simulate mode for the README.

``python -m mammostudio.gui.simulate.screenshots OUT_DIR [MIAS_DIR]`` builds a
small demo dataset in a temporary folder, extracts its lesion patches (the
"real lesions" of the gallery), opens the main window in Simulate mode, places
a demo spiculated mass and a real lesion patch on a normal image, and saves
``simulate_mode.png`` (the whole window) and ``simulate_zoom.png`` (1:1 around
the inserted lesion). With mini-MIAS it also saves ``simulate_mias.png``: a
real mini-MIAS mass inserted into a normal mini-MIAS film. Run with
``QT_QPA_PLATFORM=offscreen``.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["make_screenshots"]


def _wait(app, predicate, timeout_s=60.0):
    from ..app import wait_until

    if not wait_until(app, predicate, timeout_s):
        raise RuntimeError("timed out waiting for the GUI")


def _settle(app, seconds=0.5):
    from ..app import wait_until

    wait_until(app, lambda: False, seconds)  # let the view repaint


def _fatty_spot(session, tries: int = 12):
    """Among a few valid placements, the one on the least dense tissue."""
    from ...core.simulate.placement import auto_place

    best = None
    for k in range(tries):
        c = auto_place(session.mask, [], (200, 200), np.random.default_rng(k), margin=20)
        if c is None:
            continue
        level = float(session.original[c[0] - 10:c[0] + 11, c[1] - 10:c[1] + 11].mean())
        if best is None or level < best[0]:
            best = (level, c)
    return best[1]


def _zoom_on(panel, lesion, pad=1.2):
    from PySide6.QtCore import QRectF

    r0, c0, r1, c1 = lesion.insertion.window
    side = max(r1 - r0, c1 - c0) * pad
    cy, cx = (r0 + r1) / 2, (c0 + c1) / 2
    panel.canvas.view.setRange(QRectF(cx - side, cy - side, 2 * side, 2 * side), padding=0)


def _mias_items(root: Path, n: int = 6):
    from ...core.images import load_pixels
    from ...core.readers import open_dataset
    from ...core.simulate.sources import SourceItem

    cat = open_dataset(root)
    items = []
    for le in cat.lesions[cat.lesions["lesion_type"] == "mass"].head(n).to_dict("records"):
        img = load_pixels(cat.image(le["image_id"]))
        r0, c0, r1, c1 = le["row_min"], le["col_min"], le["row_max"], le["col_max"]
        pad = max(4, (r1 - r0) // 4)
        rs, cs = max(r0 - pad, 0), max(c0 - pad, 0)
        crop = img[rs:r1 + pad + 1, cs:c1 + pad + 1]
        items.append(SourceItem("patch", f"MIAS {le['image_id']}", "mass", array=crop.astype(np.uint8),
                                spacing_mm=0.2, box=(r0 - rs, c0 - cs, r1 - rs, c1 - cs), status=le["severity"],
                                source={"type": "patch", "lesion_uid": le["lesion_uid"]}))
    return cat, items


def make_screenshots(out_dir: Path, mias_dir: Path | None = None) -> list[Path]:
    """Write the screenshots into ``out_dir``; returns their paths."""
    from ...core.demo.build import build_demo_dataset
    from ...core.patches import ExtractParams, extract_patches
    from ...core.progress import drive
    from ...core.readers import open_dataset
    from ...core.simulate.sources import patch_items
    from ..app import make_app
    from ..mainwindow import MainWindow

    app = make_app()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        drive(build_demo_dataset(tmp / "demo", patients=4, size=(1024, 832), seed=2))
        cat = open_dataset(tmp / "demo" / "workbook")
        drive(extract_patches(cat, tmp / "patches", ExtractParams(n_tissue=1, tissue=False, lesion_mode="centred",
                                                                 patch_size=96), seed=0))
        w = MainWindow(settings_path=tmp / "s.ini")
        w.resize(1600, 1000)
        w.show()
        w.open_dataset(str(tmp / "demo" / "workbook"))
        _wait(app, lambda: w.state.catalog is not None)
        w.set_mode("Simulate")
        panel = w.pages["Simulate"]
        panel.gallery.add_items(patch_items(tmp / "patches", dataset_roots=[tmp / "demo" / "workbook"]))
        cc = [i for i in range(panel.image_box.count()) if " CC " in panel.image_box.itemText(i)]
        panel.image_box.setCurrentIndex(cc[1] if len(cc) > 1 else 0)
        _wait(app, lambda: panel.session is not None)
        panel.gallery.setCurrentRow(3)  # demo spiculated
        panel.seed.setValue(4)
        panel.contrast.setValue(80)
        panel.place(_fatty_spot(panel.session))  # a less dense spot: the mass is not clipped there
        panel.gallery.setCurrentRow(panel.gallery.count() - 1)  # a real demo lesion patch
        panel.contrast.setValue(100)
        panel.auto_place()
        panel.scale.setValue(120)
        panel.contrast.setValue(90)
        _settle(app)
        written.append(out_dir / "simulate_mode.png")
        w.grab().save(str(written[-1]))
        _zoom_on(panel, panel.session.lesions[0], pad=0.6)
        _settle(app)
        written.append(out_dir / "simulate_zoom.png")
        panel.canvas.grab().save(str(written[-1]))
        if mias_dir is not None and Path(mias_dir).exists():
            mias, items = _mias_items(Path(mias_dir))
            w.open_dataset(str(mias_dir))
            _wait(app, lambda: w.state.catalog is not None and w.state.catalog.source_format == "mias")
            w.set_mode("Simulate")
            panel.gallery.add_items(items)
            panel.image_box.setCurrentIndex(0)
            _wait(app, lambda: panel.session is not None and panel.session.row["image_id"] != cat.images.iloc[0]
                  ["image_id"] and panel.session.row.get("format") == "pgm")
            panel.session.mask_threshold = 20
            panel.gallery.setCurrentRow(panel.gallery.count() - 2)
            panel.seed.setValue(1)
            panel.auto_place()
            _zoom_on(panel, panel.session.lesions[0], pad=2.0)
            _settle(app)
            written.append(out_dir / "simulate_mias.png")
            w.grab().save(str(written[-1]))
        w.close()
    return written


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit("usage: python -m mammostudio.gui.simulate.screenshots OUT_DIR [MIAS_DIR]")
    for p in make_screenshots(Path(args[0]), Path(args[1]) if len(args) > 1 else None):
        print(p)
