"""What the two new-study dialogs share: the study-file row, the buttons, the wait while building, the ending."""
from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6 import QtCore, QtWidgets

__all__ = ["StudyDialog"]


class StudyDialog(QtWidgets.QDialog):
    """A dialog whose *Create study* button writes a new study database.

    Subclasses put their fields in a form and call :meth:`_finish` with it and
    the function the button runs, which builds the study inside :meth:`_busy`
    and hands the new store to :meth:`_created` (or reports with :meth:`_refuse`).
    After ``exec()`` returns Accepted, :attr:`study_path` names the new database.
    """

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.study_path: Path | None = None
        self.out = QtWidgets.QLineEdit(placeholderText="new study file (.sqlite)")
        self.log = QtWidgets.QPlainTextEdit(readOnly=True)

    def _study_file_row(self) -> QtWidgets.QHBoxLayout:
        """The study-file field with a *Browse...* button that asks for a new ``.sqlite`` file."""
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.out, 1)
        button = QtWidgets.QPushButton("Browse…")
        button.clicked.connect(self._browse_out)
        row.addWidget(button)
        return row

    def _browse_out(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "New study file", self.out.text(), "Reader study (*.sqlite)")
        if path:
            self.out.setText(path)

    def _finish(self, form: QtWidgets.QFormLayout, create) -> None:
        """Lay out ``form``, the log and the Cancel / *Create study* buttons; *Create study* calls ``create()``."""
        box = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.create_button = box.addButton("Create study", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(create)
        box.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.log)
        lay.addWidget(box)

    @staticmethod
    @contextlib.contextmanager
    def _busy():
        """A wait cursor while the study is built (reading folders can take seconds)."""
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            yield
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()

    def _refuse(self, reason: str) -> None:
        self.log.setPlainText(f"Cannot create the study: {reason}")

    def _created(self, store) -> None:
        """Show the new study's design log, remember its path, close it and the dialog."""
        self.log.setPlainText("\n".join(store.log))
        self.study_path = store.path
        store.close()
        self.accept()
