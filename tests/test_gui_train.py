"""Train mode from the GUI: tiny DCGAN and classifier runs fill the monitors, stop/resume,
errors in dialogs, close-during-run, and an event loop that never stalls."""
from __future__ import annotations


import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("torch")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from mammostudio.gui.app import make_app  # noqa: E402
from mammostudio.gui.train import TrainPanel  # noqa: E402
from test_trainer_jobs import make_patch_folder  # noqa: E402


@pytest.fixture()
def errors(monkeypatch):
    seen = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a: seen.append((title, text)))
    return seen


@pytest.fixture()
def panel(qtbot, tmp_path, errors):
    make_app()
    p = TrainPanel(workspace=tmp_path / "runs")
    qtbot.addWidget(p)
    p.resize(1300, 800)
    p.show()
    qtbot.waitUntil(lambda: p.ready, timeout=90000)
    p.setup.patches.setText(str(make_patch_folder(tmp_path / "patches")))
    return p


def _configure(panel, kind, name, **fields):
    panel.setup.set_kind(kind)
    panel.setup.set_preset("tiny")
    for key, value in fields.items():
        panel.setup.form.set_field(key, value)
    panel.setup.name.setText(name)


def _wait_end(qtbot, panel, timeout=90000):
    qtbot.waitUntil(lambda: not panel.running, timeout=timeout)


def test_dcgan_run_fills_curves_and_sample_grid(qtbot, panel, errors):
    # The event-loop stall during a run is measured by benchmarks/gui_stall.py, not asserted here.
    _configure(panel, "gan", "g1", epochs=3)
    session = panel.start()
    grids = []
    session.grid.connect(lambda g, e: grids.append(e))
    _wait_end(qtbot, panel)
    mon = panel.gan_monitor
    mon.flush()  # redraws are coalesced; draw what is pending
    assert errors == []
    assert len(mon.steps["loss_d"]) == 3 * 3 and [r["epoch"] for r in mon.rows] == [1, 2, 3]
    assert len(mon.c_loss_g.getData()[0]) == 9 and len(mon.c_dgz.getData()[0]) == 9
    assert len(mon.c_lr_g.getData()[0]) == 3 and len(mon.c_speed.getData()[0]) == 3
    assert grids and grids[-1] == 3 and mon.sample_view.image is not None and mon.real_view.image is not None
    assert "epoch 3/3" in mon.header.text()


def test_stop_keeps_the_checkpoint_and_resume_continues_the_run(qtbot, panel, errors):
    _configure(panel, "gan", "g2", epochs=200)
    panel.start()
    qtbot.waitUntil(lambda: len(panel.gan_monitor.rows) >= 1, timeout=60000)
    panel.stop()
    _wait_end(qtbot, panel)
    run_dir = panel.history.workspace / "g2"
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    row = next(r for r in panel.history.model.runs if r["name"] == "g2")
    assert row["status"] == "stopped" and row["epochs"] < 200
    done = row["epochs"]
    panel.resume_run(str(run_dir), epochs=done + 1)
    _wait_end(qtbot, panel)
    assert errors == []
    row = next(r for r in panel.history.model.runs if r["name"] == "g2")
    assert row["status"] == "finished" and row["epochs"] == done + 1
    assert [r["epoch"] for r in panel.gan_monitor.rows] == list(range(1, done + 2))  # continues the past
    assert panel.gan_monitor.header.text().startswith("g2 (resumed) · finished after epoch")


def test_resume_keeps_the_fid_settings_and_the_curves(qtbot, panel, errors):
    import json

    from mammostudio.gui.jobs import gan_training_job
    from trainers.dcgan import GANConfig

    patches, run_dir = panel.setup.patches.text(), panel.history.workspace / "f1"
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    config = GANConfig.tiny(epochs=200)
    panel._run(lambda control: gan_training_job(patches, run_dir, config, control=control, fid_backbone="tiny",
                                                fid_every=1, fid_n=16), "gan", "f1")
    assert not panel.setup.isEnabled()  # the form is frozen while its run runs
    qtbot.waitUntil(lambda: len(panel.gan_monitor.rows) >= 2, timeout=60000)
    panel.stop()
    _wait_end(qtbot, panel)
    assert panel.setup.isEnabled()
    mon = panel.gan_monitor
    mon.flush()
    assert mon.header.text().startswith("f1 · stopped after epoch") and "ETA" not in mon.header.text()
    fid_key = next(k for k in mon.rows[0] if k.startswith("fid") and not k.endswith(("_floor", "_best")))
    done = len(mon.rows)
    assert json.loads((run_dir / "status.json").read_text())["fid"]["backbone"] == "tiny"

    panel._resume_from_history(str(run_dir))  # as the Run history's Resume button does
    qtbot.waitUntil(lambda: mon.rows and mon.rows[0]["epoch"] == 1 and len(mon.rows) >= done + 2, timeout=60000)
    assert mon.resumed_after == done
    panel.stop()
    _wait_end(qtbot, panel)
    mon.flush()
    assert errors == []
    rows = mon.rows
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))  # no gap, nothing forgotten
    assert all(fid_key in r for r in rows), "FID was switched off by the resume"
    assert (run_dir / "fid_best.json").is_file()
    x_fid = mon.c_fid.getData()[0]
    assert list(x_fid) == [float(r["epoch"]) for r in rows]
    x_loss = mon.c_loss_d.getData()[0]
    assert x_loss[0] < done < x_loss[-1] and (x_loss[1:] >= x_loss[:-1]).all()  # one continuous curve


def test_classifier_run_marks_the_best_epoch_and_shows_roc_and_confusion(qtbot, panel, errors):
    _configure(panel, "classifier", "c1", epochs=3)
    panel.start()
    _wait_end(qtbot, panel)
    mon = panel.clf_monitor
    assert errors == []
    assert [r["epoch"] for r in mon.rows] == [1, 2, 3] and len(mon.c_f1.getData()[0]) == 3
    assert mon.best_line.scene() is not None and mon.best_line.value() == mon.rows[-1]["best_epoch"]
    assert mon.test is not None and len(mon.c_roc.getData()[0]) >= 2
    total = sum(int(mon.confusion.item(r, c).text()) for r in range(2) for c in range(2))
    assert total == sum(mon.test["confusion"][0]) + sum(mon.test["confusion"][1]) > 0


def test_a_crash_in_the_job_shows_an_error_dialog_and_the_gui_stays_usable(qtbot, panel, errors, tmp_path):
    bad = make_patch_folder(tmp_path / "bad", n_lesion=4, n_tissue=4)
    (bad / "lesion" / "lesion002.png").write_bytes(b"\x89PNG broken")
    panel.setup.patches.setText(str(bad))
    _configure(panel, "gan", "broken")
    panel.start()
    _wait_end(qtbot, panel)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "lesion002.png" in errors[0][1] and panel.start_button.isEnabled()
    panel.setup.patches.setText(str(tmp_path / "patches"))
    _configure(panel, "classifier", "after-crash", epochs=1)
    panel.start()
    _wait_end(qtbot, panel)
    assert len(errors) == 1 and [r["epoch"] for r in panel.clf_monitor.rows] == [1]


def test_closing_during_a_run_asks_then_stops_and_keeps_the_checkpoint(qtbot, panel, monkeypatch):
    _configure(panel, "gan", "g3", epochs=500)
    panel.start()
    qtbot.waitUntil(lambda: len(panel.gan_monitor.rows) >= 1, timeout=60000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No)
    assert panel.confirm_close() is False and panel.running
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    assert panel.confirm_close() is True and not panel.session.runner._thread.isRunning()
    assert len(asked) == 2
    assert (panel.history.workspace / "g3" / "checkpoints" / "last.pt").is_file()
    status = (panel.history.workspace / "g3" / "status.json").read_text()
    assert '"stopped"' in status


def test_history_opens_compares_generates_sends_to_quiz_and_extends(qtbot, panel, tmp_path, monkeypatch):
    from mammostudio.gui.state import AppState

    for name in ("h1", "h2"):
        _configure(panel, "gan", name, epochs=1 if name == "h1" else 2)
        panel.start()
        _wait_end(qtbot, panel)
    runs = {r["name"]: r for r in panel.history.model.runs}
    panel.show_run(runs["h2"])
    assert [r["epoch"] for r in panel.gan_monitor.rows] == [1, 2] and panel.gan_monitor.sample_view.image is not None
    dialog = panel.history.compare(runs["h1"], runs["h2"])
    assert [len(c.getData()[0]) for c in dialog.items["D loss"]] == [1, 2]
    state = AppState()
    panel.state = state
    offered = []
    state.generatedOffered.connect(offered.append)
    runner = panel.history.generate(runs["h2"]["checkpoints"][0], str(tmp_path / "gen"), 5)
    qtbot.waitUntil(lambda: not runner.running, timeout=60000)
    assert len(list((tmp_path / "gen").glob("*.png"))) == 5
    panel.history.buttons["Send to quiz"].click()
    assert offered == [str(tmp_path / "gen")] and state.generated_folders == offered
    from PySide6.QtWidgets import QInputDialog

    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (2, True))  # a finished run: extend it
    panel._resume_from_history(runs["h1"]["path"])
    _wait_end(qtbot, panel)
    assert next(r for r in panel.history.model.runs if r["name"] == "h1")["epochs"] == 2


def test_main_window_close_during_a_run_asks_and_keeps_the_checkpoint(qtbot, tmp_path, monkeypatch, errors):
    from mammostudio.gui.mainwindow import MainWindow

    make_app()
    monkeypatch.setenv("MAMMOSTUDIO_WORKSPACE", str(tmp_path / "ws"))
    window = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(window)
    window.show()
    window.set_mode("Train")
    panel = window.pages["Train"]
    qtbot.waitUntil(lambda: panel.ready, timeout=90000)
    panel.setup.patches.setText(str(make_patch_folder(tmp_path / "patches")))
    _configure(panel, "gan", "w1", epochs=500)
    panel.start()
    qtbot.waitUntil(lambda: len(panel.gan_monitor.rows) >= 1, timeout=60000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert window.close() is False and window.isVisible() and panel.running
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    assert window.close() is True and not panel.session.runner._thread.isRunning()
    assert (tmp_path / "ws" / "w1" / "checkpoints" / "last.pt").is_file()
    assert '"stopped"' in (tmp_path / "ws" / "w1" / "status.json").read_text()


def test_monitor_warns_prominently_on_nan_and_collapse_and_smooths_losses(qtbot):
    from mammostudio.gui.train.gan_monitor import GANMonitor, smooth

    make_app()
    mon = GANMonitor()
    qtbot.addWidget(mon)
    steps = [{"kind": "step", "step": i, "epoch": i / 4, "loss_d": 1.0 + (i % 2), "loss_g": 1.0, "d_x": 0.6,
              "d_g_z1": 0.4} for i in range(1, 9)]
    mon.add_events([{"kind": "start", "epochs": 10}, *steps])
    mon.smoothing.setValue(0.0)
    np_raw = mon.c_loss_d.getData()[1]
    mon.smoothing.setValue(0.9)
    smoothed = mon.c_loss_d.getData()[1]
    assert list(np_raw) == [2.0, 1.0] * 4 and smoothed.std() < np_raw.std()
    assert smoothed == pytest.approx(smooth(np_raw, 0.9))
    assert mon.banner.isHidden()
    mon.add_events([{"kind": "warning", "epoch": 3, "text": "epoch 3: discriminator collapse?"}])
    assert not mon.banner.isHidden() and "collapse" in mon.banner.text() and "#ff8f00" in mon.banner.styleSheet()
    mon.add_events([{**steps[0], "step": 9, "loss_d": float("nan")}])
    assert "NaN" in mon.banner.text() and "#b00020" in mon.banner.styleSheet()
