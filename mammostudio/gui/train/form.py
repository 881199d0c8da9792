"""A form generated from a frozen config dataclass: one editor per field, typed by its default."""
from __future__ import annotations

import dataclasses
import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout,
                               QWidget)

__all__ = ["ConfigForm"]

_HIDDEN = {"device"}  # chosen by the device picker


def _decimals(value: float) -> int:
    if value == 0 or not math.isfinite(value):
        return 4
    return max(2, min(8, 3 - int(math.floor(math.log10(abs(value))))))


class ConfigForm(QWidget):
    """Editors for every scalar field of a config dataclass instance.

    ``value()`` returns ``dataclasses.replace(config, **edits)``, so the
    dataclass's own checks run; :attr:`error` shows what they rejected.
    Fields that are not int/float/bool/str (nested configs, tuples) are shown
    read-only.

    Signals
    -------
    changed()
        Any editor changed.
    """

    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._config = None
        self.editors: dict[str, QWidget] = {}
        self._layout = QFormLayout()
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(self._layout)
        outer.addWidget(self.error)

    def set_config(self, config) -> None:
        """Show ``config``'s fields (replacing any previous editors)."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self.editors.clear()
        self._config = config
        for f in dataclasses.fields(config):
            if f.name in _HIDDEN:
                continue
            editor = self._editor(getattr(config, f.name))
            editor.setObjectName(f"field-{f.name}")
            editor.setToolTip(f.name)
            self.editors[f.name] = editor
            self._layout.addRow(f.name.replace("_", " "), editor)
        self.error.setText("")

    def _editor(self, value) -> QWidget:
        if isinstance(value, bool):
            w = QCheckBox()
            w.setChecked(value)
            w.toggled.connect(self.changed)
        elif isinstance(value, int):
            w = QSpinBox()
            w.setRange(-10**9, 10**9)
            w.setValue(value)
            w.valueChanged.connect(self.changed)
        elif isinstance(value, float):
            w = QDoubleSpinBox()
            w.setDecimals(_decimals(value))
            w.setRange(-1e9, 1e9)
            w.setSingleStep(abs(value) / 10 if value else 0.1)
            w.setValue(value)
            w.valueChanged.connect(self.changed)
        elif isinstance(value, str):
            w = QLineEdit(value)
            w.textChanged.connect(self.changed)
        else:
            w = QLabel(str(value))
            w.setWordWrap(True)
        return w

    def edits(self) -> dict:
        """The editors' values by field name (read-only fields left out)."""
        out = {}
        for name, w in self.editors.items():
            if isinstance(w, QCheckBox):
                out[name] = w.isChecked()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[name] = w.value()
            elif isinstance(w, QLineEdit):
                out[name] = w.text()
        return out

    def set_field(self, name: str, value) -> None:
        """Set one editor (tests and presets)."""
        w = self.editors[name]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        else:
            w.setText(str(value))

    def value(self, **extra):
        """The edited config (``extra`` fields, e.g. ``device``, applied too), or None when invalid."""
        if self._config is None:
            return None
        try:
            config = dataclasses.replace(self._config, **self.edits(), **extra)
        except (ValueError, TypeError) as exc:
            self.error.setText(str(exc))
            return None
        self.error.setText("")
        return config
