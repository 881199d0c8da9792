"""The annotation dock: the selected box's type, biopsy category, 'wrong' flag; undo/redo."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QUndoView,
                               QVBoxLayout, QWidget)

from ..core.catalog import LESION_TYPES
from .filters import CATEGORIES
from .state import AppState

__all__ = ["AnnotationPanel"]


class AnnotationPanel(QWidget):
    """Edits the state's selected box (``AppState.boxSelected``) through its undo stack."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.uid = ""
        self.title = QLabel("No box selected. Click a box, or use 'Draw box' (B) and drag on the image.")
        self.title.setWordWrap(True)
        self.type_box = QComboBox()
        self.type_box.setEditable(True)
        self.type_box.addItems([*LESION_TYPES, "mass+calcification"])
        self.type_box.activated.connect(lambda _i: self._set("lesion_type", self.type_box.currentText()))
        self.type_box.lineEdit().editingFinished.connect(lambda: self._set("lesion_type", self.type_box.currentText()))
        self.cat_box = QComboBox()
        self.cat_box.addItems(list(CATEGORIES))
        self.cat_box.setItemText(len(CATEGORIES) - 1, "(unknown)")
        self.cat_box.activated.connect(lambda i: self._set("status", CATEGORIES[i]))
        self.wrong = QCheckBox("Box is wrong")
        self.wrong.setToolTip("Flipped or misplaced: the box stays visible (dashed red) but is left out of extraction")
        self.wrong.clicked.connect(lambda on: self._set("wrong", bool(on)))
        self.delete = QPushButton("Delete box")
        self.delete.clicked.connect(state.delete_selected_box)
        form = QFormLayout()
        form.addRow("Type", self.type_box)
        form.addRow("Category", self.cat_box)
        form.addRow(self.wrong)
        form.addRow(self.delete)
        undo, redo = QPushButton("Undo"), QPushButton("Redo")
        undo.clicked.connect(state.undo.undo)
        redo.clicked.connect(state.undo.redo)
        row = QHBoxLayout()
        row.addWidget(undo)
        row.addWidget(redo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addLayout(row)
        self.history_label = QLabel("History (saved to the sidecar file):")
        self.history_label.setWordWrap(True)
        layout.addWidget(self.history_label)
        layout.addWidget(QUndoView(state.undo), 1)
        state.boxSelected.connect(self.show_box)
        state.catalogChanged.connect(self._on_catalog)
        state.lesionsChanged.connect(lambda _id: self.show_box(self.uid))
        self.show_box("")

    def _on_catalog(self) -> None:
        """A new dataset: nothing of the previous one stays in the editors."""
        self.history_label.setText("History, saved to the sidecar:" if self.state.annotations else "History:")
        self.history_label.setToolTip(str(self.state.annotations.path) if self.state.annotations else "")
        self.show_box("")

    def show_box(self, uid: str) -> None:
        """Fill the editors from the box ``uid`` ('' disables them)."""
        s = self.state.box_state(uid) if uid and self.state.catalog is not None else None
        self.uid = uid if s else ""
        for w in (self.type_box, self.cat_box, self.wrong, self.delete):
            w.setEnabled(s is not None)
        if s is None:
            self.title.setText("No box selected. Click a box, or use 'Draw box' (B) and drag on the image.")
            self.type_box.setCurrentText("")
            self.cat_box.setCurrentIndex(len(CATEGORIES) - 1)
            self.wrong.setChecked(False)
            return
        unknown = "" if s["lesion_type"] else "<br><b style='color:#e0a000'>Type unknown: choose one below.</b>"
        self.title.setText(f"<b>Box {self.state.box_name(uid)}</b><br>rows {s['row_min']}-{s['row_max']}, "
                           f"cols {s['col_min']}-{s['col_max']}{unknown}")
        self.title.setToolTip(uid)
        self.type_box.setCurrentText(s["lesion_type"])
        self.cat_box.setCurrentIndex(CATEGORIES.index(s["status"]) if s["status"] in CATEGORIES else len(CATEGORIES) - 1)
        self.wrong.setChecked(bool(s["wrong"]))

    def _set(self, key: str, value) -> None:
        if self.uid:
            self.state.edit_box(self.uid, **{key: value})
