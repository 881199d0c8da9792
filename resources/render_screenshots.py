"""Render the main window offscreen in Browse mode to PNG (for the README).

Usage: ``QT_QPA_PLATFORM=offscreen python resources/render_screenshots.py [--mias DIR] [--demo]``
Writes ``resources/screenshots/browse-mias.png`` and, when the demo dataset can be
built, ``resources/screenshots/browse-demo.png``. Settings go to a temporary
folder, so the user's own layout is untouched.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from mammostudio.gui.app import wait_until

HERE = Path(__file__).resolve().parent
OUT = HERE / "screenshots"


def render(app, window, folder: str, image_id: str | None, out: Path, *, audit: bool = False) -> Path:
    """Open ``folder``, show ``image_id`` (or the first image with a lesion), save a PNG."""
    window.open_dataset(folder)
    if not wait_until(app, lambda: window.state.catalog is not None and str(window.state.catalog.root) == str(Path(folder).resolve()), 120):
        raise RuntimeError(f"{folder}: dataset did not open ({window.status_label.text()})")
    cat = window.state.catalog
    if image_id is None:
        image_id = str(cat.lesions["image_id"].iloc[0]) if len(cat.lesions) else str(cat.images["image_id"].iloc[0])
    window.state.select(image_id)
    if not wait_until(app, lambda: window.viewer.canvas.display is not None
                 and window.viewer.canvas.display.image_id == image_id, 120):
        raise RuntimeError(f"{image_id}: image did not display ({window.status_label.text()})")
    if audit:
        window.viewer.request_audit()
        wait_until(app, lambda: bool(window.viewer.overlays.audit_items), 60)
    wait_until(app, lambda: False, 1.5)  # thumbnails and repaint
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    return out


def render_prepare(app, window, out: Path) -> Path:
    """Extract patches from the first 12 images of the open dataset, show the gallery, save a PNG."""
    ids = list(window.state.catalog.images["image_id"][:12])
    window.state.set_kept(ids)
    window.set_mode("Prepare")
    window.prepare.out_edit.setText(tempfile.mkdtemp(prefix="mammostudio-shot-patches-"))
    window.prepare.start_extraction()
    wait_until(app, lambda: window.prepare.runner is not None and not window.prepare.runner.running, 300)
    wait_until(app, lambda: bool(window.prepare.gallery.models), 60)
    wait_until(app, lambda: False, 2.0)  # gallery thumbnails
    window.grab().save(str(out))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mias", default=str(HERE.parent.parent / "shared" / "data" / "mias"))
    parser.add_argument("--mias-image", default="mdb028")
    parser.add_argument("--demo", action="store_true", help="also build/open the demo dataset")
    parser.add_argument("--prepare", action="store_true",
                        help="also extract patches from 12 MIAS images and show Prepare mode")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["MAMMOSTUDIO_CONFIG_DIR"] = tempfile.mkdtemp(prefix="mammostudio-shots-")
    sys.path.insert(0, str(HERE.parent))
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    app = make_app()
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    print(render(app, window, args.mias, args.mias_image, OUT / "browse-mias.png", audit=True))
    if args.prepare:
        print(render_prepare(app, window, OUT / "prepare-mias.png"))
    if args.demo:
        from mammostudio.core.demo.build import ensure_demo_dataset
        from mammostudio.core.progress import drive

        demo = drive(ensure_demo_dataset())  # the user's demo data, built once
        print(render(app, window, str(demo), None, OUT / "browse-demo.png"))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
