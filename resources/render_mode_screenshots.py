"""Screenshots of Prepare, Train (live and resumed), Evaluate and the locked Quiz reading screen.

Called by ``render_readme_screenshots.py`` (which builds the inputs) once per
screen size; writes ``readme_<what>_<W>x<H>.png``:

- ``prepare``: Prepare mode with the patch gallery filled (first tab's thumbnails);
- ``train_live``: a tiny DCGAN running, curves and FID filling in;
- ``train_resumed``: the same run stopped, then resumed from Run history:
  its curves continue from the stopped epoch, FID still computed;
- ``evaluate``: Evaluate mode's t-SNE map of real, generated and tissue patches;
- ``quiz_locked``: the reading screen of an assessment, window locked (no menus,
  no mode switching).

Every page must fit at 1366 x 768 (minimum size hints <= 1280 x 720); the
window is resized to each size and grabbed whole.
"""
from __future__ import annotations

from pathlib import Path

from mammostudio.gui.app import make_app, wait_until

__all__ = ["render_modes", "SIZES"]

SIZES = ((1366, 768), (1920, 1080))


def _grab(app, window, out: Path, name: str, size: tuple[int, int]) -> Path:
    window.resize(*size)  # a mode with the dataset docks may have widened the window
    wait_until(app, lambda: False, 1.0)  # thumbnails, coalesced plot redraws
    if window.width() > size[0] or window.height() > size[1]:
        print(f"warning: {name}: the window needs {window.width()} x {window.height()}, more than {size}")
    path = out / f"readme_{name}_{size[0]}x{size[1]}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(path)
    return path


def render_modes(inputs: dict[str, Path], out: Path, work: Path, size: tuple[int, int]) -> list[Path]:
    """Render the five pictures at ``size`` (width, height) into ``out``."""
    from mammostudio.gui.mainwindow import MainWindow

    app = make_app()
    tag = f"{size[0]}x{size[1]}"
    window = MainWindow(settings_path=work / f"settings-{tag}.ini")
    window.resize(*size)
    window.show()
    saved = []

    # Prepare: the extracted patches in the gallery, its default (lesion) tab filled at once.
    window.set_mode("Prepare")
    page = window.pages["Prepare"]
    page.out_edit.setText(str(inputs["patches"]))
    page.gallery.open_folder(inputs["patches"])
    wait_until(app, lambda: bool(page.gallery.models), 60)
    model = page.gallery.models.get("lesion")
    wait_until(app, lambda: model is not None and all(page.gallery.thumbs._pixmaps.get(f) is not None
                                                      for f in model.files[:40]), 60)
    saved.append(_grab(app, window, out, "prepare", size))

    # Train: a live tiny DCGAN, started from the form, stopped, then resumed from Run history.
    # FID uses the metrics' tiny stand-in extractor (random features, labelled not FID): Inception
    # at 299 px would take minutes per score on a CPU.
    window.set_mode("Train")
    train = window.pages["Train"]
    wait_until(app, lambda: train.ready, 180)
    runs = work / f"gui-runs-{tag}"
    runs.mkdir(parents=True, exist_ok=True)
    setup = train.setup
    setup.workspace.setText(str(runs))
    setup.patches.setText(str(inputs["patches"]))
    train.history.set_workspace(runs)
    setup.set_kind("gan")
    setup.set_preset("tiny")
    for key, value in (("epochs", 400), ("sample_count", 36)):
        setup.form.set_field(key, value)
    setup.fid.addItem("tiny stand-in features (not FID)", "tiny")
    setup.fid.setCurrentIndex(setup.fid.count() - 1)
    setup.fid_every.setValue(2)
    setup.fid_n.setValue(64)
    setup.name.setText("dcgan-live")
    run_dir = runs / "dcgan-live"
    train.start()
    wait_until(app, lambda: len(train.gan_monitor.rows) >= 12, 300)
    saved.append(_grab(app, window, out, "train_live", size))
    train.stop()
    wait_until(app, lambda: not train.running, 120)
    stopped_at = len(train.gan_monitor.rows)
    train.history.refresh()
    train.resume_run(str(run_dir))
    wait_until(app, lambda: len(train.gan_monitor.rows) >= stopped_at + 12, 300)
    saved.append(_grab(app, window, out, "train_resumed", size))
    train.stop()
    wait_until(app, lambda: not train.running, 120)

    # Evaluate: the t-SNE map of real lesion, generated and tissue patches.
    window.set_mode("Evaluate")
    ev = window.pages["Evaluate"]
    wait_until(app, lambda: ev.ready, 180)
    ev.panel.setCurrentWidget(ev.tsne)
    ev.tsne.real.setText(str(inputs["patches"]))
    ev.tsne.generated.setText(str(inputs["generated"]))
    ev.tsne.n.setValue(40)
    ev.tsne.perplexity.setValue(10)
    runner = ev.tsne.compute()
    wait_until(app, lambda: runner is not None and not runner.running, 300)
    if ev.tsne.result is not None:
        ev.tsne.show_point(0)
    saved.append(_grab(app, window, out, "evaluate", size))

    # Quiz: an assessment in locked reading mode (menus and mode switching gone).
    window.set_mode("Quiz")
    quiz = window.pages["Quiz"]
    if quiz.open_study(inputs["study"]):
        quiz.start_reading(f"S{size[0]}", "assessment", experience_years=6, subspecialty="breast")
        saved.append(_grab(app, window, out, "quiz_locked", size))
        quiz.confirm = lambda: True
        quiz.end_reading()
    window.close()
    app.processEvents()
    return saved
