"""The main window: menus, modes, docks, status bar, remembered layout and recent datasets."""
from __future__ import annotations

import os
import re
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QTabWidget)

from ..core.progress import Progress
from .annotation_panel import AnnotationPanel
from .browser import StudyBrowser
from .evaluate import EvaluatePage
from .filters import FilterPanel
from .fourup import FourUpView
from .jobs import JobRunner
from .menus import MODES, build_menus
from .open_job import open_job
from ..core.navigation import neighbour_study
from .pages import CurrentPageStack, ElidedLabel, WelcomePage, scrolling
from .prepare import PreparePage
from .quiz import QuizPanel
from .reading_lock import ReadingLock
from .simulate import SimulatePanel
from .state import AppState
from .train import TrainPanel
from .viewer import ViewerWidget

__all__ = ["MainWindow", "settings_file", "MODES"]

MAX_RECENT = 8
MAX_PROBLEMS_SHOWN = 5000
# The docks each mode shows (when the user has not closed them).
DOCKS_BY_MODE = {"Welcome": (), "Browse": ("Studies", "Filters", "Annotation", "Problems"),
                 "Prepare": ("Studies", "Filters", "Problems"), "Train": (), "Quiz": ()}


def settings_file() -> Path:
    """The settings file in the platform's user config folder (``MAMMOSTUDIO_CONFIG_DIR`` overrides)."""
    from ..core.paths import user_config_dir

    return user_config_dir("mammostudio.ini")


class MainWindow(QMainWindow):
    """The mammostudio workstation window."""

    def __init__(self, *, settings_path: str | os.PathLike | None = None) -> None:
        super().__init__()
        self.setWindowTitle("mammostudio")
        self.settings = QSettings(str(settings_path or settings_file()), QSettings.Format.IniFormat)
        self.state = AppState(self)
        self.runner: JobRunner | None = None
        self.stack = CurrentPageStack()  # as small as the current page: fits a 1366 x 768 laptop
        self.setCentralWidget(self.stack)
        self.welcome = WelcomePage()
        self.viewer = ViewerWidget(self.state)
        self.fourup = FourUpView(self.state)
        self.browse_tabs = QTabWidget()
        self.browse_tabs.addTab(self.viewer, "Image")
        self.browse_tabs.addTab(self.fourup, "Study (four-up)")
        self.prepare = PreparePage(self.state)
        self.pages = {"Welcome": self.welcome, "Browse": self.browse_tabs, "Prepare": self.prepare,
                      "Train": TrainPanel(self.state),
                      "Evaluate": EvaluatePage(),
                      "Quiz": QuizPanel(state=self.state), "Simulate": SimulatePanel(self.state)}
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.browser = StudyBrowser(self.state)
        self.filters = FilterPanel(self.state)
        self.annotation = AnnotationPanel(self.state)
        self.problems = QListWidget()
        self.problems.setToolTip("Double-click a problem with an image to show it")
        self.problems.itemActivated.connect(self._on_problem)
        self.docks = {name: self._dock(name, w, area) for name, w, area in (
            ("Studies", self.browser, Qt.DockWidgetArea.LeftDockWidgetArea),
            ("Filters", scrolling(self.filters), Qt.DockWidgetArea.LeftDockWidgetArea),  # long: scrolls on a laptop
            ("Annotation", self.annotation, Qt.DockWidgetArea.RightDockWidgetArea),
            ("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea))}
        self.tabifyDockWidget(self.docks["Studies"], self.docks["Filters"])
        self.docks["Studies"].raise_()
        self.docks["Problems"].hide()
        self._build_status()
        build_menus(self)
        self.reading_lock = ReadingLock(self, self.state)
        self._connect()
        self.set_mode("Welcome")
        self._restore()

    # -- construction ------------------------------------------------------------------
    def _dock(self, name, widget, area) -> QDockWidget:
        dock = QDockWidget(name, self)
        dock.setObjectName(f"dock-{name}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status(self) -> None:
        self.status_label = ElidedLabel("")  # long paths elide instead of widening the window
        self.dataset_label = ElidedLabel("no dataset")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop opening the dataset")
        self.cancel_button.clicked.connect(self.cancel_task)
        self.cancel_button.hide()
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.dataset_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)

    def _connect(self) -> None:
        self.welcome.openRequested.connect(self.choose_dataset)
        self.welcome.demoRequested.connect(self.open_demo)
        self.welcome.recentRequested.connect(self.open_dataset)
        self.state.message.connect(self._state_message)
        self.state.currentImageChanged.connect(self._prefetch_next)
        self.prepare.gallery.patchActivated.connect(lambda _row: self.set_mode("Browse"))
        self.state.lesionsChanged.connect(lambda _id: self.filters.schedule())
        self.state.lesionsChanged.connect(self._update_dataset_label)
        self.fourup.imageOpened.connect(lambda _id: self.browse_tabs.setCurrentWidget(self.viewer))
        self.pages["Train"].message.connect(self.show_message)
        self.pages["Evaluate"].message.connect(self.show_message)
        self.pages["Simulate"].message.connect(self.show_message)
        self.pages["Simulate"].openRequested.connect(self.open_dataset)
        self.state.generatedOffered.connect(self.pages["Quiz"].offer_generated)
        self.state.generatedOffered.connect(lambda folder: (self.set_mode("Quiz"), self.show_message(
            f"generated images ready for a reader study (New study -> add generated folder): {folder}")))

    # -- modes ---------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Show 'Welcome', 'Browse', 'Prepare', 'Train', 'Evaluate', 'Quiz' or 'Simulate' (not while a reader is locked in)."""
        if mode not in self.pages:
            raise ValueError(f"mode must be one of {list(self.pages)}, got {mode!r}")
        if self.state.reading_locked and mode != getattr(self, "mode", mode):
            return
        # a reader sees nothing of Browse in the status bar (image id and size would hint at the case)
        if mode == "Quiz":
            self.status_label.clear()
        self.dataset_label.setVisible(mode != "Quiz")
        self.stack.setCurrentWidget(self.pages[mode])
        self._docks_for(mode)
        if mode in self.mode_actions:
            self.mode_actions[mode].setChecked(True)
        self.mode = mode

    def _docks_for(self, mode: str) -> None:
        """Each mode shows only the docks it uses (:data:`DOCKS_BY_MODE`); the others step
        aside and come back as the user left them (View menu choices are kept).

        A reader in the Quiz sees nothing but the case (no study tree beside it).
        """
        wanted = self.__dict__.setdefault("_dock_wanted", {n: n != "Problems" for n in self.docks})
        for name, dock in self.docks.items():
            if not hasattr(dock, "_wanted_hooked"):  # the View menu records the user's choice
                dock._wanted_hooked = dock.toggleViewAction().triggered.connect(
                    lambda on, n=name: wanted.__setitem__(n, bool(on)))
            dock.setVisible(wanted.get(name, False) and name in DOCKS_BY_MODE.get(mode, ()))

    # -- datasets --------------------------------------------------------------------------
    def choose_dataset(self) -> None:
        """Ask for a dataset folder and open it."""
        folder = QFileDialog.getExistingDirectory(self, "Open dataset folder", self.settings.value("last_dir", ""))
        if folder:
            self.settings.setValue("last_dir", str(Path(folder).parent))
            self.open_dataset(folder)

    def open_dataset(self, folder: str) -> None:
        """Read ``folder`` in the background, then show it in Browse mode."""
        settings = self.filters.settings()
        self._run(lambda: open_job(str(folder), filter_settings=settings), self._on_opened, f"Opening {folder} ...")

    def open_demo(self, make_job=None) -> None:
        """Build the demo dataset on first use (with progress), then open it.

        ``make_job`` (tests: a tiny demo in a temporary folder) defaults to
        :func:`mammostudio.core.demo.build.ensure_demo_dataset`.
        """
        if make_job is None:
            from ..core.demo.build import ensure_demo_dataset as make_job
        self._run(make_job, lambda path: self.open_dataset(str(path)), "Preparing the demo dataset (first time only) ...")

    def _run(self, make_job, on_done, text: str) -> None:
        if self.runner is not None and self.runner.running:
            self.show_message("busy: wait for the current task or cancel it")
            return
        self.runner = JobRunner(make_job, self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(on_done)
        self.runner.failed.connect(lambda msg, _tb: self.show_error(msg))
        self.runner.done.connect(self._hide_progress)
        self.runner.cancelled.connect(lambda: self.show_message("cancelled"))
        self.show_message(text)
        self.welcome.status.setText(text)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        self.runner.start()

    def cancel_task(self) -> None:
        """Stop the running open / demo job (Cancel button, Esc on the welcome page)."""
        if self.runner is not None and self.runner.running:
            self.runner.cancel()

    def _hide_progress(self) -> None:
        if self.runner is None or not self.runner.running:  # a follow-up job keeps the bar
            self.progress.hide()
            self.cancel_button.hide()

    @Slot(object)
    def _on_progress(self, item: Progress) -> None:
        if item.total:
            self.progress.setRange(0, item.total)
            self.progress.setValue(item.done)
        if item.message:
            self.show_message(item.message)
            self.welcome.status.setText(item.message)

    def _on_opened(self, result: dict) -> None:
        """Show an opened dataset in two turns of the event loop, so that neither the page
        switch nor the new catalog's panels hold the window for long on a big archive:
        first the Browse page, then the catalog in it."""
        shown = result["prepared"][1]
        self.browser.prepared[id(shown)] = result["table"]
        self.viewer.studies = result.get("studies")
        if result.get("filtered") is not None:
            self.filters.use_outcome(shown, *result["filtered"])
        self.set_mode("Browse")
        QTimer.singleShot(0, self, lambda: self._on_catalog(result["catalog"], prepared=result["prepared"],
                                                            summary=result["summary"]))

    def _on_catalog(self, catalog, prepared=None, summary: dict | None = None) -> None:
        self.state.set_dataset(catalog, prepared=prepared)
        self._remember(str(catalog.root))
        self.problems.clear()
        shown = catalog.problems[:MAX_PROBLEMS_SHOWN]
        for problem in shown:
            item = QListWidgetItem(str(problem))
            item.setData(Qt.ItemDataRole.UserRole, problem.path)
            self.problems.addItem(item)
        if len(catalog.problems) > len(shown):
            self.problems.addItem(f"... and {len(catalog.problems) - len(shown):,} more "
                                  f"(all of them: mammostudio scan {catalog.root})")
        self._dock_wanted["Problems"] = bool(catalog.problems)
        self.setWindowTitle(f"mammostudio - {catalog.root}")
        if summary is not None:  # counted by the open worker (200,000 images: not on the GUI thread)
            self._summary_of, self._summary = self.state.raw, summary
        self._update_dataset_label()
        self.welcome.status.setText("")
        self._docks_for(self.mode)  # the Problems dock follows the new catalog
        if not self._select_first():  # a big table is still being ordered: select when shown
            self.browser.orderChanged.connect(self._select_first_once)

    def _select_first(self) -> bool:
        first = self.browser.neighbour("", 0)
        if first:
            self.state.select(first)
        return bool(first)

    def _select_first_once(self) -> None:
        self.browser.orderChanged.disconnect(self._select_first_once)
        if not self.state.current_image:
            self._select_first()

    def _on_problem(self, item) -> None:
        """Show the image a problem names (images with unusable pixels show the reason)."""
        images = self.state.catalog.images if self.state.catalog is not None else None
        path = item.data(Qt.ItemDataRole.UserRole)
        if images is None or not path:
            return
        hit = images.loc[images["path"] == path, "image_id"]
        if len(hit):
            self.set_mode("Browse")
            self.state.select(str(hit.iloc[0]))

    def _update_dataset_label(self, *_) -> None:
        """Dataset name and counts in the status bar (boxes follow every edit; the rest is
        counted once per dataset)."""
        cat = self.state.catalog
        if cat is None:
            return
        if getattr(self, "_summary_of", None) is not self.state.raw:
            self._summary_of, self._summary = self.state.raw, cat.summary()
        s = self._summary
        boxes = len(cat.lesions) - len(self.state.wrong_uids())
        self.dataset_label.setText(f"{cat.root.parent.name}/{cat.root.name}: {s['images']} images, "
                                   f"{s['patients']} patients, {boxes} boxes, {s['problems']} problems")

    def _remember(self, folder: str) -> None:
        recent = [folder] + [p for p in self.recent() if p != folder]
        self.settings.setValue("recent", recent[:MAX_RECENT])
        self._fill_recent()

    def recent(self) -> list[str]:
        """Recently opened dataset folders, newest first."""
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent():
            self.recent_menu.addAction(path, lambda p=path: self.open_dataset(p))
        self.welcome.set_recent(self.recent())

    def export_annotations(self) -> None:
        """Write the edited boxes as a workbook in the paper's layout."""
        if self.state.raw is None:
            self.show_message("open a dataset first")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export annotations", "annotations-edited.xlsx",
                                              "Workbook (*.xlsx);;CSV (*.csv)")
        if path:
            from ..core.annotations import export_workbook

            notices: list[str] = []
            try:
                export_workbook(self.state.raw, self.state.annotations, path, on_notice=notices.append)
            except (OSError, ValueError) as exc:
                self.show_error(f"cannot export annotations to {path}: {exc}")
            else:
                self.show_message(f"annotations written to {path}; {' '.join(notices)}")

    # -- navigation ---------------------------------------------------------------------------
    def step_image(self, step: int) -> None:
        """Show the next (+1) or previous (-1) image in the browser's order."""
        target = self.browser.neighbour(self.state.current_image, step)
        if target:
            self.state.select(target)

    def step_study(self, step: int) -> None:
        """Show the first image of the next (+1) or previous (-1) study."""
        if self.state.catalog is None:
            return
        ids = self.browser.visible_image_ids()
        target = neighbour_study(ids, self.state.catalog.images, self.state.current_image, step)
        if target:
            self.state.select(target)

    def _prefetch_next(self, image_id: str) -> None:
        self.viewer.prefetch(self.browser.neighbour(image_id, +1))

    # -- messages and settings -------------------------------------------------------------
    def _state_message(self, text: str) -> None:
        if getattr(self, "mode", "") != "Quiz":  # Browse's image messages never reach a reader
            self.show_message(text)

    def show_message(self, text: str) -> None:
        """Show ``text`` in the status bar."""
        self.status_label.setText(text)

    def show_error(self, text: str) -> None:
        """Show an error in the status bar and a dialog (never only on the console).

        An expected error's Python class name ('DatasetError: ...') is left out:
        the message itself names the file and the problem.
        """
        text = re.sub(r"^[A-Z]\w*(Error|Exception): ", "", str(text))
        self.show_message(f"Error: {text}")
        self.welcome.status.setText(f"Error: {text}")
        box = QMessageBox(QMessageBox.Icon.Warning, "mammostudio", text, parent=self)
        box.setModal(False)
        box.show()
        self.last_error_box = box

    def _restore(self) -> None:
        geometry, layout = self.settings.value("geometry"), self.settings.value("window_state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if layout is not None:
            self.restoreState(layout)
        else:  # narrow side docks at first start: the image gets the room (1366 x 768 laptops)
            self.resizeDocks([self.docks["Studies"], self.docks["Annotation"]], [300, 230], Qt.Orientation.Horizontal)
        shown = self.settings.value("docks_shown")
        if shown is not None:
            shown = [shown] if isinstance(shown, str) else list(shown)
            self._dock_wanted.update({n: n in shown for n in self.docks if n != "Problems"})
        self._docks_for(self.mode)
        self._fill_recent()

    def closeEvent(self, event) -> None:  # noqa: D102 - Qt API
        if self.state.reading_locked and not self.pages["Quiz"].confirm_end_reading():
            event.ignore()
            return
        if not (self.pages["Train"].confirm_close() and self.pages["Evaluate"].confirm_close()):
            # a live training: ask, stop it, keep its checkpoint
            event.ignore()
            return
        for runner in (self.runner, self.prepare.runner):
            if runner is not None and runner.running:
                runner.wait()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("docks_shown", [n for n, on in self._dock_wanted.items() if on] or "")
        self.settings.sync()
        super().closeEvent(event)
