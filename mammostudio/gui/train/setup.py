"""The run form: kind, patch dataset, preset, every config field, device, FID, workspace, run name."""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ..jobs import weights_status
from .form import ConfigForm

__all__ = ["RunSetup", "KINDS"]

KINDS = {"gan": "DCGAN (lesion patches)", "classifier": "Lesion classifier (lesion vs tissue)"}
FID_CHOICES = {"": "off", "standard": "standard FID (TF Inception weights)",
               "authors": "authors' backbone (torchvision Inception)", "random": "random features (not FID)"}


def _path_row(edit: QLineEdit, title: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    browse = QPushButton("...")
    browse.setMaximumWidth(32)
    browse.clicked.connect(lambda: (lambda d: d and edit.setText(d))(
        QFileDialog.getExistingDirectory(edit, title, edit.text())))
    row.addWidget(browse)
    return row


class RunSetup(QWidget):
    """Everything needed to start a run; :meth:`request` returns it as plain values."""

    kindChanged = Signal(str)

    def __init__(self, workspace: str, parent=None) -> None:
        super().__init__(parent)
        self.presets: dict = {}
        self.kind = QComboBox()
        for key, text in KINDS.items():
            self.kind.addItem(text, key)
        self.patches = QLineEdit()
        self.patches.setPlaceholderText("patch dataset folder (from Prepare mode or 'mammostudio extract')")
        self.preset = QComboBox()
        self.device = QComboBox()
        self.device.addItem("CPU", "cpu")
        self.fid = QComboBox()
        for key, text in FID_CHOICES.items():
            self.fid.addItem(text, key)
        self.fid_every = QSpinBox(minimum=1, maximum=10000, value=10)
        self.fid_n = QSpinBox(minimum=4, maximum=100000, value=2000)
        self.fid_note = QLabel("")
        self.fid_note.setWordWrap(True)
        self.fid_note.setStyleSheet("color: #8a5a00;")
        self.workspace = QLineEdit(str(workspace))
        self.name = QLineEdit()
        self.name.setPlaceholderText("run name (default: kind and time)")
        self.form = ConfigForm()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        top = QFormLayout()
        top.addRow("Run kind", self.kind)
        top.addRow("Patches", _path_row(self.patches, "Patch dataset"))
        top.addRow("Preset", self.preset)
        top.addRow("Device", self.device)
        top.addRow("FID / KID", self.fid)
        top.addRow("  every (epochs)", self.fid_every)
        top.addRow("  images per side", self.fid_n)
        top.addRow(self.fid_note)
        top.addRow("Workspace", _path_row(self.workspace, "Workspace folder"))
        top.addRow("Run name", self.name)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(QLabel("<b>Settings</b> (from the preset; edit any field)"))
        lay.addWidget(scroll, 1)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.fid.currentIndexChanged.connect(self._fid_changed)
        self._fid_changed()

    def set_presets(self, presets: dict) -> None:
        """Fill presets and devices (from :func:`trainers.jobs.presets`, loaded in a worker)."""
        self.presets = presets
        for dev in presets.get("devices", []):
            self.device.addItem(dev["label"], dev["name"])
        if presets.get("devices"):
            self.device.setCurrentIndex(1)
        self._kind_changed()

    def current_kind(self) -> str:
        return self.kind.currentData()

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(list(KINDS).index(kind))

    def set_preset(self, name: str) -> None:
        self.preset.setCurrentIndex(self.preset.findText(name))

    def _kind_changed(self) -> None:
        kind = self.current_kind()
        self.preset.blockSignals(True)
        self.preset.clear()
        self.preset.addItems(list(self.presets.get(kind, {})))
        self.preset.blockSignals(False)
        for w in (self.fid, self.fid_every, self.fid_n):
            w.setEnabled(kind == "gan")
        self._preset_changed()
        self.kindChanged.emit(kind)

    def _preset_changed(self) -> None:
        config = self.presets.get(self.current_kind(), {}).get(self.preset.currentText())
        if config is not None:
            self.form.set_config(config)

    def _fid_changed(self) -> None:
        kind = self.fid.currentData()
        if not kind:
            self.fid_note.setText("")
            return
        if not self.presets:  # trainers not loaded yet
            self.fid_note.setText("")
            return
        found, text = weights_status(kind)
        self.fid_note.setText(("Weights: " + text) if found else text)

    def request(self) -> dict:
        """The run to start: kind, patches, config (or None when a field is invalid), run_dir, FID settings."""
        kind = self.current_kind()
        name = self.name.text().strip() or f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"
        return {"kind": kind, "patches": self.patches.text().strip(),
                "config": self.form.value(device=self.device.currentData()),
                "run_dir": str(Path(self.workspace.text().strip()) / name), "name": name,
                "fid": self.fid.currentData() if kind == "gan" else "", "fid_every": self.fid_every.value(),
                "fid_n": self.fid_n.value()}
