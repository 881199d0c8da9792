"""Render the README's screenshots from the real app, offscreen, in each mode.

Usage::

    QT_QPA_PLATFORM=offscreen python resources/render_readme_screenshots.py [--mias DIR] [--out DIR]

In a temporary folder it builds a small demo dataset, extracts its patches,
trains a tiny DCGAN and generates from it, and builds a reader study answered by
simulated readers, all with the ``mammostudio`` commands. Then it opens the main
window and saves ``readme_<mode>.png`` into ``resources/screenshots/``:

- ``readme_browse_demo.png``: Browse mode on a demo image with a lesion box;
- ``readme_browse_mias.png``: Browse mode on a mini-MIAS film with the breast
  mask, ground truth and extraction audit overlays;
- ``readme_prepare.png``: Prepare mode after extracting the demo's patches;
- ``readme_train.png``: Train mode showing the tiny DCGAN run;
- ``readme_quiz_reading.png`` and ``readme_quiz_results.png``: Quiz mode.

Settings, runs and data stay in the temporary folder. A few minutes on a
laptop; the tiny GAN is for the picture, not for quality. While Train mode is
not yet a page of the main window, its panel is rendered on its own.
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
    # The GAN sees half of the lesion patches; the quiz's real images are the other half.
    lesions = sorted((p["patches"] / "lesion").glob("*.png"))
    seen = work / "gan-training-patches"
    seen.mkdir()
    for f in lesions[: len(lesions) // 2]:
        shutil.copy(f, seen)
    gan = p["runs"] / "dcgan-tiny-demo"
    run("train-gan", "--preset", "tiny", "--epochs", "120", "--seed", "0", "--quiet", seen, gan)
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


def _save(app, widget, path: Path) -> Path:
    wait_until(app, lambda: False, 1.0)  # thumbnails, repaint
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(path)
    return path


def render_all(inputs: dict[str, Path], mias: Path | None, out: Path, work: Path) -> list[Path]:
    """Open the main window and save one screenshot per mode."""
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    app = make_app()
    window = MainWindow(settings_path=work / "settings.ini")
    window.resize(1600, 1000)
    window.show()
    saved = []

    # Browse: the demo data (workbook layout), then a mini-MIAS film with overlays.
    _show_image(app, window, inputs["demo"] / "workbook", None)
    saved.append(_save(app, window, out / "readme_browse_demo.png"))
    if mias is not None and (mias / "Info.txt").is_file():
        _show_image(app, window, mias, "mdb028")
        window.viewer.request_audit()
        wait_until(app, lambda: bool(window.viewer.overlays.audit_items), 90)
        saved.append(_save(app, window, out / "readme_browse_mias.png"))

    # Prepare: extract the demo data's patches in the page's own worker; the gallery fills.
    _show_image(app, window, inputs["demo"] / "workbook", None)
    window.set_mode("Prepare")
    page = window.pages["Prepare"]
    page.out_edit.setText(str(work / "gui-patches"))
    page.start_extraction()
    wait_until(app, lambda: page.runner is not None and not page.runner.running, 300)
    saved.append(_save(app, window, out / "readme_prepare.png"))

    # Train: the tiny run in the run history, opened in the monitor.
    train = window.pages["Train"]
    standalone = not hasattr(train, "show_run")
    if standalone:  # Train mode not wired into the main window yet: the same panel, on its own
        from mammostudio.gui.train.panel import TrainPanel

        train = TrainPanel(window.state, workspace=inputs["runs"])
        train.resize(1600, 1000)
        train.show()
    else:
        train.setup.workspace.setText(str(inputs["runs"]))
        window.set_mode("Train")
    wait_until(app, lambda: train.ready, 180)
    train.history.set_workspace(inputs["runs"])
    runs = train.history.model.runs
    if runs:
        train.show_run(runs[0])
    saved.append(_save(app, train if standalone else window, out / "readme_train.png"))
    if standalone:
        train.close()

    # Quiz: a reading screen and the results of the answered study.
    quiz = window.pages["Quiz"]
    window.set_mode("Quiz")
    if hasattr(quiz, "open_study") and quiz.open_study(inputs["study"]):
        reading = quiz.start_reading("R04", "assessment", experience_years=4, subspecialty="breast")
        for view in getattr(reading, "views", []):
            view.set_zoom(1.0)
        saved.append(_save(app, window, out / "readme_quiz_reading.png"))
        quiz.show_start()
        quiz.show_results()
        saved.append(_save(app, window, out / "readme_quiz_results.png"))
    window.close()
    app.processEvents()
    return saved


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mias", type=Path, default=HERE.parent.parent / "shared" / "data" / "mias",
                        help="mini-MIAS folder (default: ../shared/data/mias beside the checkout)")
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    work = Path(tempfile.mkdtemp(prefix="mammostudio-readme-"))
    os.environ["MAMMOSTUDIO_CONFIG_DIR"] = str(work)
    os.environ["MAMMOSTUDIO_WORKSPACE"] = str(work / "runs")
    try:
        t0 = time.monotonic()
        inputs = build_inputs(work)
        print(f"inputs built in {time.monotonic() - t0:.0f} s")
        render_all(inputs, args.mias if args.mias.is_dir() else None, args.out, work)
        from render_mode_screenshots import SIZES, render_modes  # Prepare/Train/Evaluate/locked Quiz per size

        for size in SIZES:
            render_modes(inputs, args.out, work, size)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
