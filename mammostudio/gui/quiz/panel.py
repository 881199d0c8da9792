"""Quiz mode: open or design a study, read it as a named reader, see the results.

``QuizPanel`` is a standalone QWidget the main window embeds as its Quiz mode.
"""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.quiz import QuizStore, ReaderProfile, StudyError
from .design_dialog import DesignDialog
from .detection import DetectionWidget
from .detection_results import DetectionResultsView
from .reading import ReadingWidget
from .results import ResultsView

__all__ = ["QuizPanel"]


class QuizPanel(QtWidgets.QWidget):
    """Start page (study + reader profile), reading screen and results view in one stack."""

    study_changed = QtCore.Signal(object)  # the study path, or None

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, state=None) -> None:
        super().__init__(parent)
        self.state = state  # AppState: a reading session locks the main window through it
        self.confirm = self._ask_end  # () -> bool; tests replace it
        self.store: QuizStore | None = None
        self.reading: ReadingWidget | DetectionWidget | None = None
        self.offered_generated: list[str] = []  # "send to quiz" folders from Train mode
        self.stack = QtWidgets.QStackedWidget(self)
        self.results = ResultsView()
        self.detection_results = DetectionResultsView()
        self.stack.addWidget(self._build_start())
        self.stack.addWidget(self.results)
        self.stack.addWidget(self.detection_results)
        self.results.backRequested.connect(self.show_start)
        back = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), self)
        back.setContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)  # only inside Quiz mode
        back.activated.connect(self.end_reading)
        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.stack)

    # --- start page --------------------------------------------------------------------
    def _build_start(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        self.study_label = QtWidgets.QLabel("No study open.", wordWrap=True)
        new, open_ = QtWidgets.QPushButton("New study…"), QtWidgets.QPushButton("Open study…")
        new.clicked.connect(self._new_study)
        open_.clicked.connect(self._open_dialog)
        new_detection = QtWidgets.QPushButton("New detection study…")
        new_detection.setToolTip("Whole mammograms with simulated, real or no lesions: readers mark and rate")
        new_detection.clicked.connect(self._new_detection_study)
        study_row = QtWidgets.QHBoxLayout()
        study_row.addWidget(self.study_label, 1)
        study_row.addWidget(new)
        study_row.addWidget(new_detection)
        study_row.addWidget(open_)
        self.code = QtWidgets.QLineEdit(placeholderText="reader code, e.g. R01")
        self.experience = QtWidgets.QDoubleSpinBox(minimum=0, maximum=60, decimals=0, suffix=" years")
        self.subspecialty = QtWidgets.QLineEdit(placeholderText="e.g. breast imaging")
        self.mode = QtWidgets.QComboBox()
        self.mode.addItem("Training (feedback after each case)", "training")
        self.mode.addItem("Assessment (no feedback)", "assessment")
        form = QtWidgets.QFormLayout()
        form.addRow("Reader:", self.code)
        form.addRow("Experience:", self.experience)
        form.addRow("Subspecialty:", self.subspecialty)
        form.addRow("Mode:", self.mode)
        form.addRow("Case on screen:", self._build_display_row())
        self.start_button = QtWidgets.QPushButton("Start / resume reading")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._start_clicked)
        self.results_button = QtWidgets.QPushButton("Results")
        self.results_button.clicked.connect(self.show_results)
        self.copy_button = QtWidgets.QPushButton("Export study copy…")
        self.copy_button.setToolTip("One self-contained file with every answer, safe to move or archive")
        self.copy_button.clicked.connect(self.export_copy_dialog)
        self.message = QtWidgets.QLabel(wordWrap=True)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.results_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        lay = QtWidgets.QVBoxLayout(page)
        lay.addLayout(study_row)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addStretch(1)
        self._update_enabled()
        return page

    def _build_display_row(self) -> QtWidgets.QWidget:
        from .calibration import display_mm_setting

        row = QtWidgets.QWidget()
        lay = QtWidgets.QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        self.display_spin = QtWidgets.QDoubleSpinBox(minimum=10, maximum=300, decimals=0, suffix=" mm",
                                                     value=display_mm_setting())
        self.display_spin.setToolTip("Side of every case on screen, the same on every calibrated monitor")
        self.display_spin.valueChanged.connect(self._display_changed)
        calibrate = QtWidgets.QPushButton("Calibrate screen…")
        calibrate.clicked.connect(self.calibrate)
        self.calibration_label = QtWidgets.QLabel()
        lay.addWidget(self.display_spin)
        lay.addWidget(calibrate)
        lay.addWidget(self.calibration_label, 1)
        self._show_calibration()
        return row

    def _display_changed(self, mm: float) -> None:
        from .calibration import set_display_mm

        set_display_mm(mm)

    def _show_calibration(self) -> None:
        from .calibration import px_per_mm

        value, source = px_per_mm(self.screen())
        self.calibration_label.setText(f"{value:.2f} px/mm, {source}")

    def calibrate(self) -> None:
        """The one-time screen calibration (card / ruler); stored in the settings."""
        from .calibration import CalibrationDialog

        CalibrationDialog(self).exec()
        self._show_calibration()

    def _update_enabled(self) -> None:
        self.start_button.setEnabled(self.store is not None)
        self.results_button.setEnabled(self.store is not None)
        self.copy_button.setEnabled(self.store is not None)

    def export_copy_dialog(self) -> None:
        """Ask where to write a self-contained copy of the open study (SQLite backup API)."""
        if self.store is None:
            self.message.setText("Open a study first.")
            return
        default = str(self.store.path.with_name(self.store.path.stem + "-copy.sqlite"))
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export study copy", default, "Reader study (*.sqlite)")
        if path:
            self.export_copy(path)

    def export_copy(self, path: str | Path) -> bool:
        """Write the copy; shows the outcome on the start page."""
        try:
            self.store.export_copy(path)
        except StudyError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"Wrote a self-contained copy: {path}")
        return True

    def offer_generated(self, folder: str) -> None:
        """Remember a generated folder; the next New-study dialog starts with it listed."""
        self.offered_generated = [f for f in self.offered_generated if f != folder] + [str(folder)]

    def design_dialog(self) -> DesignDialog:
        """A New-study dialog with the folders sent from Train mode already listed."""
        dialog = DesignDialog(self)
        for folder in self.offered_generated:
            dialog.generated.addItem(folder)
        return dialog

    def _new_study(self) -> None:
        dialog = self.design_dialog()
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted and dialog.study_path:
            self.open_study(dialog.study_path)

    def _new_detection_study(self) -> None:
        from .detection_dialog import DetectionDesignDialog

        dialog = DetectionDesignDialog(self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted and dialog.study_path:
            self.open_study(dialog.study_path)

    def _open_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open reader study", "", "Reader study (*.sqlite);;All files (*)")
        if path:
            self.open_study(path)

    def open_study(self, path: str | Path) -> bool:
        """Open a study database; shows the error and returns False when it cannot."""
        try:
            store = QuizStore.open(path)
        except StudyError as exc:
            self.message.setText(str(exc))
            return False
        if self.store is not None:
            self.store.close()
        self.store = store
        store.on_wait = self._waiting
        self._describe_study()
        self.message.setText("")
        self._update_enabled()
        self.study_changed.emit(store.path)
        return True

    def _describe_study(self) -> None:
        store, cfg = self.store, self.store.config
        n = len(store.readers())
        kind = {"2afc": "pairs (2AFC)", "single": "single images",
                "detection": f"detection ({'four-view studies' if cfg.case_unit == 'study' else 'single views'})"}
        self.study_label.setText(
            f"{Path(store.path).name}: {store.n_cases('assessment')} assessment + {store.n_cases('training')} training "
            f"cases, {kind[cfg.task]}, {n} reader{'' if n == 1 else 's'} so far")

    def _waiting(self, text: str) -> None:
        """A locked study is being retried: say so where the reader looks."""
        self.message.setText(text)
        if self.reading is not None:
            self.reading.prompt.setText(text)
        # Repaint only: keys pressed while the write waits must not start another one.
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    # --- reading ---------------------------------------------------------------------
    def _start_clicked(self) -> None:
        self.start_reading(self.code.text(), self.mode.currentData(), experience_years=self.experience.value(),
                           subspecialty=self.subspecialty.text())

    def start_reading(self, code: str, mode: str, *, experience_years: float | None = None,
                      subspecialty: str = "") -> ReadingWidget | DetectionWidget | None:
        """Register the reader and show the reading screen (resuming an unfinished session)."""
        if self.store is None:
            return None
        try:
            self.store.add_reader(ReaderProfile(code.strip(), experience_years, subspecialty.strip()))
            session = self.store.start_session(code.strip(), mode)
        except (StudyError, ValueError) as exc:
            self.message.setText(str(exc))
            return None
        self._describe_study()  # the reader count may have grown
        self._drop_reading()
        if self.store.config.task == "detection":
            self.reading = DetectionWidget(session)
        else:
            self.reading = ReadingWidget(session, display_mm=self.display_mm())
        self.reading.finished.connect(self._reading_finished)
        if self.state is not None:  # locked reading: no menus, no mode switch, no Ctrl shortcuts
            self.state.lock_reading("quiz")
        self.stack.addWidget(self.reading)
        self.stack.setCurrentWidget(self.reading)
        self.reading.setFocus()
        if session.answered:
            self.message.setText(f"Resumed at case {session.answered + 1} of {session.total}.")
        return self.reading

    def _reading_finished(self) -> None:
        self._unlock()
        if self.reading is not None:
            n = self.reading.session.total
            self.message.setText(f"Session complete: {n} answers saved.")
        QtCore.QTimer.singleShot(1500, self.show_start)

    def _drop_reading(self) -> None:
        if self.reading is not None:
            self.stack.removeWidget(self.reading)
            self.reading.deleteLater()
            self.reading = None

    def _ask_end(self) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self, "End reading?", "Leave this reading session? Your answers so far are saved; "
            "starting again resumes at the next case.")
        return answer == QtWidgets.QMessageBox.StandardButton.Yes

    def confirm_end_reading(self) -> bool:
        """Ask the reader to confirm leaving a running session; True when it was left (or none ran)."""
        if self.reading is None or self.reading.state == "done" or self.stack.currentWidget() is not self.reading:
            self.show_start()
            return True
        if not self.confirm():
            self.reading.setFocus()
            return False
        self.show_start()
        return True

    def end_reading(self) -> None:
        """Esc: leave reading (asked first) or go back from the results."""
        self.confirm_end_reading()

    def _unlock(self) -> None:
        if self.state is not None:
            self.state.unlock_reading("quiz")

    def display_mm(self) -> float:
        """Physical side of a case on screen (mm): the study's value if it has one, else this workstation's."""
        from .calibration import display_mm_setting

        return float(getattr(self.store.config, "display_mm", None) or display_mm_setting()) if self.store \
            else display_mm_setting()

    def show_start(self) -> None:
        """Back to the start page (answers are already saved; reading resumes later)."""
        self._unlock()
        if self.stack.currentWidget() is self.reading and self.reading is not None:
            if self.reading.state != "done":
                self.message.setText(f"Paused after {self.reading.session.answered} answers; "
                                     "start again to resume at the next case.")
            self._drop_reading()
        self.stack.setCurrentIndex(0)

    def show_results(self) -> None:
        """Compute and show the study's results."""
        view = self.detection_results if self.store is not None and self.store.config.task == "detection" \
            else self.results
        view.set_store(self.store)
        self.stack.setCurrentWidget(view)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        self._drop_reading()  # its time-limit timer must not record into a closed study
        self._unlock()
        if self.store is not None:
            self.store.close()
        super().closeEvent(event)
