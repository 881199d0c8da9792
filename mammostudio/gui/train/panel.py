"""Train mode: start, watch, pause, stop and resume runs; browse past runs (evaluation is its own mode)."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPushButton, QSizePolicy, QSplitter,
                               QStackedWidget, QTabWidget, QVBoxLayout, QWidget)

from ...core.imageops import tile
from ..jobs import JobRunner, classifier_job, confirm_stop, gan_training_job, load_trainer_presets
from .clf_monitor import ClassifierMonitor
from .gan_monitor import GANMonitor
from .history import RunHistory
from .session import RunSession
from .setup import RunSetup

__all__ = ["TrainPanel", "default_workspace"]


def default_workspace() -> Path:
    """``MAMMOSTUDIO_WORKSPACE`` or ``<user data dir>/runs``."""
    from ...core.paths import user_data_dir

    env = os.environ.get("MAMMOSTUDIO_WORKSPACE")
    return Path(env) if env else user_data_dir("runs")


class TrainPanel(QWidget):
    """The Train mode page (see issue 8).

    Parameters
    ----------
    state : AppState, optional
        "Send to quiz" offers generated folders through ``state.offer_generated``.
    workspace : path-like, optional
        Folder of run folders (default :func:`default_workspace`).

    Signals
    -------
    message(str)
        For the main window's status bar.
    sendToQuiz(str)
        A folder of generated images for the Quiz mode.
    """

    message = Signal(str)
    sendToQuiz = Signal(str)

    def __init__(self, state=None, *, workspace=None, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.session: RunSession | None = None
        self.loader: JobRunner | None = None
        self.ready = False
        self.setup = RunSetup(str(workspace or default_workspace()))
        self.start_button, self.pause_button = QPushButton("Start"), QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.setEnabled(False)
        self.start_button.setStyleSheet("font-weight: bold;")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.status = QLabel("Loading the trainers ...")
        # a changing status must not re-layout the window (that repaints every plot)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(b)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(self.setup, 1)
        lv.addLayout(buttons)
        lv.addWidget(self.status)
        self.gan_monitor, self.clf_monitor = GANMonitor(), ClassifierMonitor()
        self.monitors = QStackedWidget()
        self.monitors.addWidget(self.gan_monitor)
        self.monitors.addWidget(self.clf_monitor)
        self.history = RunHistory()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.monitors, "Monitor")
        self.tabs.addTab(self.history, "Run history")
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([360, 1000])
        QVBoxLayout(self).addWidget(split)
        # explicit: the mode stack must not force the main window wider than its other modes need
        self.setMinimumSize(480, 360)
        self.setup.kindChanged.connect(self._show_monitor)
        self.history.openRequested.connect(self.show_run)
        self.history.resumeRequested.connect(self._resume_from_history)
        self.history.sendToQuiz.connect(self.send_to_quiz)
        self.history.message.connect(self._say)
        self.history.failed.connect(lambda msg: self._error("Generation failed", msg))
        self._update_buttons()

    # -- loading the trainers (torch) in a worker --------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.load()

    def load(self) -> None:
        """Load presets and devices in a worker, once (the first torch import takes seconds)."""
        if self.ready or self.loader is not None:
            return
        self.loader = load_trainer_presets(self, self._loaded, lambda msg: self._error("Cannot load the trainers", msg))

    def _loaded(self, presets: dict) -> None:
        self.setup.set_presets(presets)
        self.ready = True
        self.history.set_workspace(self.setup.workspace.text())
        self._say("Choose a patch dataset and a preset, then Start.")
        self._update_buttons()

    # -- runs ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.session is not None and self.session.running

    def start(self) -> RunSession | None:
        """Start the run described by the form."""
        req = self.setup.request()
        if self.running or not self.ready:
            return None
        if req["config"] is None:
            self._error("Invalid settings", self.setup.form.error.text())
            return None
        if not req["patches"] or not Path(req["patches"]).is_dir():
            self._error("No patch dataset", f"choose a patch dataset folder (got {req['patches']!r})")
            return None
        Path(req["run_dir"]).parent.mkdir(parents=True, exist_ok=True)
        if req["kind"] == "gan":
            def make_job(control, r=req):
                return gan_training_job(r["patches"], r["run_dir"], r["config"], control=control,
                                        fid_backbone=r["fid"] or None, fid_every=r["fid_every"], fid_n=r["fid_n"])
        else:
            def make_job(control, r=req):
                return classifier_job(r["patches"], r["run_dir"], r["config"], control=control)
        return self._run(make_job, req["kind"], req["name"])

    def resume_run(self, run_dir: str, *, epochs: int | None = None) -> RunSession | None:
        """Continue a stopped or crashed GAN run from its folder (``epochs`` extends it)."""
        if self.running:
            return None
        changes = {"device": self.setup.device.currentData()}
        if epochs:
            changes["epochs"] = int(epochs)
        from ..jobs import read_run

        past = read_run(run_dir)  # its curves so far: the live ones continue them
        # FID settings come from the run folder itself (trainers.jobs keeps them in status.json)
        return self._run(lambda control: gan_training_job(None, run_dir, resume=True, changes=changes,
                                                          control=control), "gan", f"{Path(run_dir).name} (resumed)",
                         past=past)

    def _resume_from_history(self, run_dir: str) -> None:
        run = next((r for r in self.history.model.runs if r["path"] == run_dir), {})
        epochs = None
        if run.get("status") == "finished":  # nothing left to do: offer to extend it
            epochs, ok = QInputDialog.getInt(self, "Extend the run", "Train until epoch:",
                                             int(run["epochs"]) + 10, int(run["epochs"]) + 1, 10**7)
            if not ok:
                return
        self.resume_run(run_dir, epochs=epochs)

    def _run(self, make_job, kind: str, title: str, *, past: dict | None = None) -> RunSession:
        self.setup.set_kind(kind)
        monitor = self._show_monitor(kind)
        if past is not None and kind == "gan":
            monitor.continue_from(past["metrics"], epochs_total=past["epochs_total"], title=title)
            if past["samples"]:
                self._show_last_grid(past["samples"][-1])
            self.gan_monitor.set_real_grid(_real_grid(past["path"]))
        else:
            monitor.reset(title)
        self.tabs.setCurrentWidget(self.monitors)
        session = RunSession(make_job, self)
        session.events.connect(monitor.add_events)
        if kind == "gan":
            session.grid.connect(self.gan_monitor.set_grid)
            session.realGrid.connect(self.gan_monitor.set_real_grid)
        session.state.connect(lambda _s: self._update_buttons())
        if kind == "gan":
            session.state.connect(self.gan_monitor.set_state)
            session.done.connect(self.gan_monitor.set_done)
        session.message.connect(self._say)
        session.finished.connect(lambda r: self._say(f"{title}: {r.get('status', 'finished')}"
                                                     if isinstance(r, dict) else f"{title}: done"))
        session.failed.connect(lambda msg, _tb: self._failed(kind, msg))
        session.ended.connect(self._ended)
        self.session = session
        session.start()
        self._update_buttons()
        return session

    def _failed(self, kind: str, message: str) -> None:
        if kind == "gan" and ("diverged" in message or "NaN" in message):
            self.gan_monitor.warn(f"Training diverged (NaN/inf loss); the last good checkpoint was kept. {message}",
                                  error=True)
        self._error("Training failed", message)

    def _ended(self) -> None:
        self._update_buttons()
        self.history.refresh()

    def toggle_pause(self) -> None:
        if not self.running:
            return
        if self.session.control.paused:
            self.session.resume()
            self._say("resumed")
        else:
            self.session.pause()
            self._say("pausing at the end of this epoch ...")
        self._update_buttons()

    def stop(self) -> None:
        """Stop the running job cooperatively (its last checkpoint is kept)."""
        if self.running:
            self.session.stop()
            self._say("stopping after the current step ...")

    def confirm_close(self) -> bool:
        """Ask before closing during a run; stop it and wait. False = keep the window open."""
        return confirm_stop(self, loader=self.loader, running=self.running, title="Training is running",
                            question="A training is running. Stop it and close? Its last checkpoint is kept "
                                     "and it can be resumed from the run history.",
                            stop=lambda: self.session.stop_and_wait())

    # -- past runs -------------------------------------------------------------------------
    def show_run(self, run: dict) -> None:
        """Show a past run's curves and grids from its files."""
        monitor = self._show_monitor(run["kind"])
        self.setup.set_kind(run["kind"])
        title = f"{run['name']} ({run['status']})"
        if run["kind"] == "gan":
            self.gan_monitor.load_rows(run["metrics"], epochs_total=run["epochs_total"], title=run["name"],
                                       state=run["status"])
            if run["samples"]:
                self._show_last_grid(run["samples"][-1])
            self.gan_monitor.set_real_grid(_real_grid(run["path"]))
        else:
            monitor.load_result(run["history"], run["result"], epochs_total=run["epochs_total"], title=title)
        self.tabs.setCurrentWidget(self.monitors)

    def send_to_quiz(self, folder: str) -> None:
        """Offer a folder of generated images to the Quiz mode."""
        if self.state is not None and hasattr(self.state, "offer_generated"):
            self.state.offer_generated(folder)
        self.sendToQuiz.emit(folder)

    def _show_last_grid(self, path: str) -> None:
        from ...core.images import read_png

        self.gan_monitor.set_grid(read_png(path), int(Path(path).stem.split("_")[-1]))

    # -- helpers -----------------------------------------------------------------------------
    def _show_monitor(self, kind: str):
        monitor = self.gan_monitor if kind == "gan" else self.clf_monitor
        self.monitors.setCurrentWidget(monitor)
        return monitor

    def _update_buttons(self) -> None:
        running = self.running
        self.start_button.setEnabled(self.ready and not running)
        self.setup.setEnabled(not running)  # the form describes the run: frozen while it runs
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        paused = running and self.session.control.paused
        self.pause_button.setText("Continue" if paused else "Pause")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.message.emit(text)

    def _error(self, title: str, text: str) -> None:
        self._say(f"{title}: {text}")
        QMessageBox.critical(self, title, text)


def _real_grid(run_dir: str):
    import numpy as np

    try:
        patches = np.load(Path(run_dir) / "patches.npy", mmap_mode="r")
    except (OSError, ValueError):
        return None
    return tile(np.asarray(patches[:16]))
