"""A list of folders with Add… / Remove buttons, for the study design dialogs."""
from __future__ import annotations

from PySide6 import QtWidgets

__all__ = ["FolderList"]


class FolderList(QtWidgets.QListWidget):
    """The chosen folders, in order; :meth:`with_buttons` lays it out beside its buttons.

    Parameters
    ----------
    title : str
        The folder dialog's title ("Folder of generated images", "Dataset folder").
    """

    def __init__(self, title: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.setMaximumHeight(90)

    def folders(self) -> list[str]:
        """The folders, in the order they were added."""
        return [self.item(i).text() for i in range(self.count())]

    def with_buttons(self) -> QtWidgets.QHBoxLayout:
        """This list with "Add…" (a folder dialog) and "Remove" (the selected rows) beside it."""
        add, remove = QtWidgets.QPushButton("Add…"), QtWidgets.QPushButton("Remove")
        add.clicked.connect(self._add)
        remove.clicked.connect(lambda: [self.takeItem(self.row(i)) for i in self.selectedItems()])
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self, 1)
        row.addLayout(buttons)
        return row

    def _add(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(self, self.title)
        if path:
            self.addItem(path)
