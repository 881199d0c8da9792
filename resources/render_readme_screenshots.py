"""Render the README's screenshots from the real app, offscreen, in each mode, at two sizes.

Usage::

    QT_QPA_PLATFORM=offscreen python resources/render_readme_screenshots.py [--mias DIR] [--out DIR]

In a temporary folder it builds a small demo dataset, extracts its patches,
trains a tiny DCGAN and generates from it, and builds a reader study answered by
simulated readers, all with the ``mammostudio`` commands. Then it opens the main
window and, for every entry of :data:`SHOTS`, puts the window in that state once
and saves it at each of :data:`SIZES` (a 1366 x 768 laptop and a 1920 x 1080
desktop) as ``readme_<name>_<W>x<H>.png`` into ``resources/screenshots/``:

- ``browse_demo``: Browse mode, one demo image with its lesion box, corner
  text, orientation letters and a ruler and an ellipse ROI;
- ``browse_fourup``: the demo study hung RCC, LCC / RMLO, LMLO;
- ``browse_mias``: a mini-MIAS film with the breast outline (film threshold)
  and the extraction audit with its legend;
- ``prepare``: Prepare mode after extracting the demo's patches;
- ``train``: Train mode showing the tiny DCGAN run;
- ``train_live``, ``train_resumed``, ``evaluate``: a live run, the same run
  resumed with continuous curves, and Evaluate's t-SNE map
  (``render_mode_screenshots.py``);
- ``quiz_reading`` and ``quiz_results``: Quiz mode;
- ``simulate``: Simulate mode, a demo mass placed automatically into a normal image.

A new mode adds one ``shot_<name>(ctx)`` function and one :data:`SHOTS` entry.
Settings, runs and data stay in the temporary folder. A few minutes on a
laptop; the tiny GAN is for the picture, not for quality.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from mammostudio.gui.app import wait_until  # noqa: E402 - after the path set-up above
from render_mode_screenshots import MODE_SHOTS  # noqa: E402 - Train live/resumed, Evaluate


def build_inputs(work: Path) -> dict[str, Path]:
    """Demo data, patches, a tiny GAN run, generated images and an answered study, via the CLI."""
    import numpy as np

    from mammostudio.cli import main
    from mammostudio.core.quiz import QuizStore, ReaderProfile
    from mammostudio.core.quiz.simulate import simulate_reader

    def run(*argv) -> None:
        if main([str(a) for a in argv]) != 0:
            raise RuntimeError(f"mammostudio {' '.join(map(str, argv))} failed")

    p = {"demo": work / "demo", "patches": work / "patches", "runs": work / "runs",
         "generated": work / "generated", "study": work / "study.sqlite"}
    run("demo-data", "--patients", "16", "--size", "768", "624", "--seed", "0", "--quiet", p["demo"])
    run("extract", "--no-filter", "--quiet", "--seed", "0", p["demo"] / "workbook", p["patches"])
    # The GAN sees half of the lesion patches (as PNGs); the quiz's real images are the other half.
    run("export-patches", p["patches"], work / "patch-pngs", "--kind", "lesion", "--quiet")
    lesions = sorted((work / "patch-pngs" / "lesion").glob("*.png"))
    seen = work / "gan-training-patches"
    seen.mkdir()
    for f in lesions[: len(lesions) // 2]:
        shutil.copy(f, seen)
    gan = p["runs"] / "dcgan-tiny-demo"
    run("train-gan", "--preset", "tiny", "--epochs", "120", "--seed", "0", "--quiet", "--mixed-sizes", seen, gan)
    run("generate", gan / "checkpoints" / "last.pt", p["generated"], "--n", "40", "--seed", "1")
    n_real = len(lesions) - len(lesions) // 2
    run("quiz-create", p["study"], "--real", p["patches"], "--generated", p["generated"],
        "--cases", str(min(20, n_real)), "--training-cases", "2", "--size", "64", "--seed", "0")
    rng = np.random.default_rng(3)
    with QuizStore.open(p["study"]) as store:
        for code, policy, years in (("R01", "skill:0.6", 12), ("R02", "random", 3), ("R03", "skill:0.55", 7)):
            store.add_reader(ReaderProfile(code, years, "breast"))
            simulate_reader(store.start_session(code, "training"), policy, rng)
            simulate_reader(store.start_session(code, "assessment"), policy, rng)
    return p


def _show_image(app, window, folder: Path, image_id: str | None) -> str:
    window.set_mode("Browse")
    window.open_dataset(str(folder))
    if not wait_until(app, lambda: window.state.catalog is not None
                 and Path(str(window.state.catalog.root)).resolve() == folder.resolve(), 180):
        raise RuntimeError(f"{folder}: dataset did not open ({window.status_label.text()})")
    cat = window.state.catalog
    if image_id is None:
        image_id = str(cat.lesions["image_id"].iloc[0]) if len(cat.lesions) else str(cat.images["image_id"].iloc[0])
    window.state.select(image_id)
    canvas = window.viewer.canvas
    if not wait_until(app, lambda: canvas.display is not None and canvas.display.image_id == image_id, 180):
        raise RuntimeError(f"{image_id}: image did not display ({window.status_label.text()})")
    return image_id


SIZES = ((1366, 768), (1920, 1080))


def _save(app, widget, path: Path) -> Path:
    wait_until(app, lambda: False, 1.0)  # thumbnails, repaint
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(path)
    return path


def shot_browse_demo(ctx: dict) -> bool:
    """One demo image with a lesion: corner text, box, a ruler and an ellipse ROI."""
    app, window = ctx["app"], ctx["window"]
    window.browse_tabs.setCurrentWidget(window.viewer)
    _show_image(app, window, ctx["inputs"]["demo"] / "workbook", None)
    rows, cols = window.viewer.canvas.display.shape
    window.viewer.measure.add_ruler((rows * 0.2, cols * 0.35), (rows * 0.2, cols * 0.6))
    window.viewer.measure.add_ellipse((rows * 0.55, cols * 0.45, rows * 0.65, cols * 0.58))
    return True


def shot_browse_fourup(ctx: dict) -> bool:
    """The same demo study in the four-up, linked zoom and pan."""
    app, window = ctx["app"], ctx["window"]
    window.browse_tabs.setCurrentWidget(window.fourup)
    panes = window.fourup.panes.values()
    wait_until(app, lambda: all(p.canvas.display is not None or not p.image_id for p in panes), 120)
    return True


def shot_browse_mias(ctx: dict) -> bool:
    """A mini-MIAS film: breast outline at the film threshold, extraction audit with legend."""
    app, window, mias = ctx["app"], ctx["window"], ctx["mias"]
    if mias is None or not (mias / "Info.txt").is_file():
        return False
    window.browse_tabs.setCurrentWidget(window.viewer)
    _show_image(app, window, mias, "mdb028")
    window.viewer.act_mask.setChecked(True)
    window.viewer.request_audit()
    wait_until(app, lambda: bool(window.viewer.overlays.audit_items), 90)
    return True


def shot_prepare(ctx: dict) -> bool:
    """Extract the demo's patches in the page's own worker; the gallery fills."""
    app, window = ctx["app"], ctx["window"]
    window.browse_tabs.setCurrentWidget(window.viewer)
    _show_image(app, window, ctx["inputs"]["demo"] / "workbook", None)
    window.set_mode("Prepare")
    page = window.pages["Prepare"]
    page.out_edit.setText(str(ctx["work"] / "gui-patches"))
    page.start_extraction()
    wait_until(app, lambda: page.runner is not None and not page.runner.running, 300)
    return True


def shot_train(ctx: dict) -> bool:
    """The tiny run from the run history, opened in the monitor."""
    app, window, runs = ctx["app"], ctx["window"], ctx["inputs"]["runs"]
    train = window.pages["Train"]
    train.setup.workspace.setText(str(runs))
    window.set_mode("Train")
    wait_until(app, lambda: train.ready, 180)
    train.history.set_workspace(runs)
    if train.history.model.runs:
        train.show_run(train.history.model.runs[0])
    return True


def shot_quiz_reading(ctx: dict) -> bool:
    """A reader's assessment screen."""
    window = ctx["window"]
    quiz = window.pages["Quiz"]
    window.set_mode("Quiz")
    if not (hasattr(quiz, "open_study") and quiz.open_study(ctx["inputs"]["study"])):
        return False
    reading = quiz.start_reading("R04", "assessment", experience_years=4, subspecialty="breast")
    for view in getattr(reading, "views", []):
        view.set_zoom(1.0)
    return True


def shot_quiz_results(ctx: dict) -> bool:
    """The answered study's results."""
    quiz = ctx["window"].pages["Quiz"]
    quiz.show_start()
    quiz.show_results()
    return True


def shot_simulate(ctx: dict) -> bool:
    """Simulate mode: a demo spiculated mass placed automatically into a normal demo image."""
    app, window = ctx["app"], ctx["window"]
    _show_image(app, window, ctx["inputs"]["demo"] / "workbook", None)
    window.set_mode("Simulate")
    panel = window.pages["Simulate"]
    if not wait_until(app, lambda: panel.image_box.count() > 1, 120):
        return False
    panel.image_box.setCurrentIndex(1)
    if not wait_until(app, lambda: panel.session is not None, 120):
        return False
    panel.gallery.setCurrentRow(0)
    panel.auto_place()
    return True


# (name, set-up): each set-up runs once, then the window is saved at every size.
SHOTS = (("browse_demo", shot_browse_demo), ("browse_fourup", shot_browse_fourup), ("browse_mias", shot_browse_mias),
         ("prepare", shot_prepare), ("train", shot_train), *MODE_SHOTS, ("quiz_reading", shot_quiz_reading),
         ("quiz_results", shot_quiz_results), ("simulate", shot_simulate))


def render_all(inputs: dict[str, Path], mias: Path | None, out: Path, work: Path, *, only=None) -> list[Path]:
    """Open the main window and save every shot at every size."""
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    app = make_app()
    window = MainWindow(settings_path=work / "settings.ini")
    window.resize(*SIZES[0])
    window.show()
    ctx = {"app": app, "window": window, "inputs": inputs, "mias": mias, "work": work}
    saved = []
    for name, setup in SHOTS:
        if only and name not in only:
            continue
        if not setup(ctx):
            print(f"skipped {name}")
            continue
        for w, h in SIZES:
            window.resize(w, h)
            wait_until(app, lambda: False, 0.5)  # layouts settle
            hint = window.minimumSizeHint()
            if hint.width() > w or hint.height() > h or (window.width(), window.height()) != (w, h):
                print(f"WARNING {name}: the window needs {hint.width()} x {hint.height()}, more than {w} x {h}")
            if not window.stack.page_fits():
                print(f"WARNING {name}: at {w} x {h} the page needs a scroll bar")
            saved.append(_save(app, window, out / f"readme_{name}_{w}x{h}.png"))
    window.close()
    app.processEvents()
    return saved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mias", type=Path, default=HERE.parent.parent / "shared" / "data" / "mias",
                        help="mini-MIAS folder (default: ../shared/data/mias beside the checkout)")
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="render only these shots (" + ", ".join(n for n, _ in SHOTS) + ")")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="mammostudio-readme-"))
    os.environ["MAMMOSTUDIO_CONFIG_DIR"] = str(work)
    os.environ["MAMMOSTUDIO_WORKSPACE"] = str(work / "runs")
    try:
        t0 = time.monotonic()
        inputs = build_inputs(work)
        print(f"inputs built in {time.monotonic() - t0:.0f} s")
        render_all(inputs, args.mias if args.mias.is_dir() else None, args.out, work, only=args.only)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
