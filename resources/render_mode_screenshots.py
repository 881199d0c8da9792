"""README shots of Train (live, then resumed) and Evaluate, for ``render_readme_screenshots.py``.

Each ``shot_<name>(ctx)`` puts the main window in one state and returns True;
the README script saves the window at each of its sizes as
``readme_<name>_<W>x<H>.png``:

- ``train_live``: a tiny DCGAN started from the Train form (the form shows
  the run it started), curves and FID filling in;
- ``train_resumed``: the same run stopped, then resumed from Run history:
  its curves continue from the stopped epoch and FID is still computed;
- ``evaluate``: Evaluate mode's t-SNE map of real lesion, generated and
  tissue patches, one point's patch shown.

(Prepare with a filled gallery and the locked Quiz reading screen are the
README script's own ``prepare`` and ``quiz_reading`` shots.) FID uses the
metrics' tiny stand-in extractor, labelled not FID: an Inception pass at 299 px
would take minutes per score on a CPU.
"""
from __future__ import annotations

from mammostudio.gui.app import wait_until

__all__ = ["shot_train_live", "shot_train_resumed", "shot_evaluate", "MODE_SHOTS"]


def shot_train_live(ctx: dict) -> bool:
    """A tiny DCGAN started from the form, caught at epoch 12 or later."""
    app, window, inputs = ctx["app"], ctx["window"], ctx["inputs"]
    window.set_mode("Train")
    train = window.pages["Train"]
    wait_until(app, lambda: train.ready, 180)
    runs = ctx["work"] / "gui-runs"
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
    ctx["live_run"] = runs / "dcgan-live"
    if train.start() is None:
        return False
    return wait_until(app, lambda: len(train.gan_monitor.rows) >= 12, 300)


def shot_train_resumed(ctx: dict) -> bool:
    """Stop the live run, resume it from its folder, caught 12 epochs later."""
    app, train = ctx["app"], ctx["window"].pages["Train"]
    if "live_run" not in ctx:
        return False
    train.stop()
    wait_until(app, lambda: not train.running, 120)
    stopped_at = len(train.gan_monitor.rows)
    train.history.refresh()
    train.resume_run(str(ctx["live_run"]))
    done = wait_until(app, lambda: len(train.gan_monitor.rows) >= stopped_at + 12, 300)
    train.gan_monitor.flush()
    return done


def shot_evaluate(ctx: dict) -> bool:
    """Evaluate mode: the t-SNE map of real lesions, generated images and tissue."""
    app, window, inputs = ctx["app"], ctx["window"], ctx["inputs"]
    train = window.pages["Train"]
    if train.running:  # the resumed run of the shot before
        train.stop()
        wait_until(app, lambda: not train.running, 120)
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
    if ev.tsne.result is None:
        return False
    ev.tsne.show_point(0)
    return True


MODE_SHOTS = (("train_live", shot_train_live), ("train_resumed", shot_train_resumed), ("evaluate", shot_evaluate))
