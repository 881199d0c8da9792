"""A path field with a Browse button (folders, or files of given patterns)."""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QMenu, QPushButton, QWidget

__all__ = ["PathField"]


class PathField(QWidget):
    """A line edit plus "Browse…"; ``files`` (e.g. 'Checkpoint (*.pt)') also offers picking a file."""

    def __init__(self, placeholder: str, title: str, *, files: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.title, self.files = title, files
        self.button = QPushButton("Browse…")
        if files:
            menu = QMenu(self.button)
            menu.addAction("Folder…", self._pick_folder)
            menu.addAction(f"File ({files})…", self._pick_file)
            self.button.setMenu(menu)
        else:
            self.button.clicked.connect(self._pick_folder)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.button)

    # QLineEdit-like API used by the views and tests
    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setText(str(text))

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.title, self.edit.text())
        if folder:
            self.edit.setText(folder)

    def _pick_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.title, self.edit.text(), self.files)
        if path:
            self.edit.setText(path)
