"""Offscreen screenshots of the live GAN monitor mid-run, the classifier monitor and the t-SNE map.

Each test checks the grab shows content; with ``MAMMOSTUDIO_WRITE_SCREENSHOTS=1`` the PNGs are
also written to ``resources/screenshots/`` (train_monitor.png, train_classifier.png, evaluate_tsne.png).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("torch")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.gui.jobs import gan_training_job  # noqa: E402
from mammostudio.gui.train import TrainPanel  # noqa: E402
from test_trainer_jobs import make_patch_folder  # noqa: E402

pytestmark = pytest.mark.slow  # three short trainings at 32 px: ~20-40 s on the shared 2-core machine

OUT = Path(__file__).resolve().parents[1] / "resources" / "screenshots"


def _save(widget, name: str, tmp_path: Path) -> np.ndarray:
    pixmap = widget.grab()
    path = tmp_path / name
    assert pixmap.save(str(path))
    if os.environ.get("MAMMOSTUDIO_WRITE_SCREENSHOTS"):
        OUT.mkdir(parents=True, exist_ok=True)
        pixmap.save(str(OUT / name))
    img = pixmap.toImage()
    grey = np.array([img.pixelColor(x, y).value() for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)])
    return grey


@pytest.fixture()
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: pytest.fail(f"error dialog: {a[1:]}"))
    make_app()
    p = TrainPanel(workspace=tmp_path / "runs")
    qtbot.addWidget(p)
    p.resize(1500, 900)
    p.show()
    qtbot.waitUntil(lambda: p.ready, timeout=90000)
    p.setup.patches.setText(str(make_patch_folder(tmp_path / "patches", n_lesion=64, n_tissue=96, size=32)))
    return p


def test_live_gan_monitor_mid_run(qtbot, panel, tmp_path):
    from trainers.dcgan import GANConfig

    patches = panel.setup.patches.text()
    config = GANConfig.tiny(image_size=32, ngf=8, ndf=8, epochs=40, sample_count=36)
    run_dir = tmp_path / "runs" / "gan-demo"
    panel.setup.set_kind("gan")
    panel.setup.set_preset("tiny")
    for key in ("image_size", "ngf", "ndf", "epochs", "sample_count"):  # the form shows what runs
        panel.setup.form.set_field(key, getattr(config, key))
    panel.setup.name.setText("gan-demo")
    panel._run(lambda control: gan_training_job(patches, run_dir, config, control=control, fid_backbone="tiny",
                                                fid_every=2, fid_n=64), "gan", "gan-demo")
    qtbot.waitUntil(lambda: len(panel.gan_monitor.rows) >= 12, timeout=120000)
    panel.gan_monitor.flush()
    qtbot.wait(100)
    grey = _save(panel, "train_monitor.png", tmp_path)
    panel.stop()
    qtbot.waitUntil(lambda: not panel.running, timeout=60000)
    assert grey.std() > 20  # curves, grids and text, not a blank page
    assert len(panel.gan_monitor.c_fid.getData()[0]) >= 5


def test_classifier_monitor_after_a_run(qtbot, panel, tmp_path):
    panel.setup.set_kind("classifier")
    panel.setup.set_preset("tiny")
    panel.setup.form.set_field("epochs", 8)
    panel.setup.name.setText("clf-demo")
    panel.start()
    qtbot.waitUntil(lambda: not panel.running, timeout=120000)
    qtbot.wait(100)
    grey = _save(panel, "train_classifier.png", tmp_path)
    assert grey.std() > 20 and panel.clf_monitor.test is not None


def test_tsne_view(qtbot, panel, tmp_path):
    from mammostudio.gui.jobs import generate_job
    from mammostudio.core.progress import drive
    from trainers.dcgan import GANConfig

    patches = panel.setup.patches.text()
    run_dir = tmp_path / "runs" / "g"
    drive(gan_training_job(patches, run_dir, GANConfig.tiny(image_size=32, ngf=8, ndf=8, epochs=15)))
    drive(generate_job(run_dir / "checkpoints" / "last.pt", tmp_path / "gen", 60))
    from mammostudio.gui.evaluate import EvaluatePage

    page = EvaluatePage()  # Evaluate is its own mode now
    qtbot.addWidget(page)
    page.resize(1500, 900)
    page.show()
    page.panel.setCurrentWidget(page.tsne)
    view = page.tsne
    view.real.setText(patches)
    view.generated.setText(str(tmp_path / "gen"))
    view.n.setValue(60)
    view.fast.setChecked(True)  # the labelled preview: the paper's 4000 iterations take minutes here
    runner = view.compute()
    with qtbot.waitSignal(runner.done, timeout=120000):
        pass
    view.show_point(int(np.flatnonzero(np.asarray(view.result["label"]) == "generated")[0]))
    qtbot.wait(100)
    grey = _save(page, "evaluate_tsne.png", tmp_path)
    assert grey.std() > 20
