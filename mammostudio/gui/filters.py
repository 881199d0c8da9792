"""The filter panel: acquisition criteria (paper Table 2, editable) and lesion filters.

Counts update live: images kept, and images removed by each criterion. The
acquisition rules themselves live in :mod:`mammostudio.core.acquisition`; this
panel only builds an editor from the dataclass's fields and shows its report.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from ..core.catalog import LESION_TYPES
from .state import AppState

__all__ = ["FilterPanel", "lesion_filter_mask", "CATEGORIES"]

CATEGORIES = ("B1", "B2", "B3", "B4", "B5", "")


def lesion_filter_mask(images: pd.DataFrame, lesions: pd.DataFrame, *, types: set[str], categories: set[str],
                       normals: bool) -> np.ndarray:
    """Bool per image: a lesion-free image when ``normals``, or an image with at least
    one box whose type (any part of a combined type) and category are selected."""
    parts = lesions["lesion_type"].str.split("+")
    type_ok = parts.apply(lambda ps: any(p in types or (p not in LESION_TYPES and "other" in types) for p in ps))
    cat_ok = lesions["status"].isin(categories)
    with_ok = set(lesions.loc[type_ok & cat_ok, "image_id"])
    has_lesion = images["image_id"].isin(set(lesions["image_id"]))
    keep = np.array(images["image_id"].isin(with_ok).to_numpy(), dtype=bool)
    if normals:
        keep |= ~has_lesion.to_numpy()
    return keep


class FilterPanel(QWidget):
    """Edits the filters and writes the kept image ids into the state."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.acq_cls = self._acquisition_class()
        self.acq = self.acq_cls() if self.acq_cls else None
        self.editors: dict[str, QWidget] = {}
        self.count_labels: dict[str, QLabel] = {}
        self.total = QLabel("no dataset")
        self.total.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.total)
        layout.addWidget(self._acq_box())
        layout.addWidget(self._lesion_box())
        layout.addStretch(1)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.recompute)
        state.catalogChanged.connect(self.recompute)

    @staticmethod
    def _acquisition_class():
        try:
            from ..core.acquisition import AcquisitionFilter
        except ImportError:
            return None
        return AcquisitionFilter

    # -- widgets -------------------------------------------------------------------
    def _acq_box(self) -> QGroupBox:
        box = QGroupBox("Acquisition (paper Table 2)")
        self.acq_enabled = QCheckBox("Apply acquisition filter")
        form = QFormLayout(box)
        form.addRow(self.acq_enabled)
        if self.acq is None:
            form.addRow(QLabel("mammostudio.core.acquisition is not installed in this build"))
            self.acq_enabled.setEnabled(False)
            return box
        self.acq_enabled.setChecked(False)
        self.acq_enabled.toggled.connect(self.schedule)
        for f in dataclasses.fields(self.acq):
            value = getattr(self.acq, f.name)
            if isinstance(value, bool) or value is None and "bool" in str(f.type):
                w = QCheckBox()
                w.setChecked(bool(value))
                w.toggled.connect(self.schedule)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                w = QDoubleSpinBox(decimals=3, minimum=-1e6, maximum=1e6)
                w.setValue(float(value))
                w.valueChanged.connect(self.schedule)
            else:
                text = ", ".join(map(str, value)) if isinstance(value, (tuple, list)) else ("" if value is None else str(value))
                w = QLineEdit(text)
                w.editingFinished.connect(self.schedule)
            self.editors[f.name] = w
            count = QLabel("")
            self.count_labels[f.name] = count
            row = QHBoxLayout()
            row.addWidget(w, 1)
            row.addWidget(count)
            form.addRow(f.name.replace("_", " "), row)
        reset = QPushButton("Paper defaults")
        reset.clicked.connect(self.reset_defaults)
        form.addRow(reset)
        return box

    def _lesion_box(self) -> QGroupBox:
        box = QGroupBox("Lesions")
        v = QVBoxLayout(box)
        self.normals = QCheckBox("Images without lesion")
        self.normals.setChecked(True)
        self.normals.toggled.connect(self.schedule)
        v.addWidget(self.normals)
        self.type_checks = {}
        for t in (*LESION_TYPES, "other"):
            cb = QCheckBox(t)
            cb.setChecked(True)
            cb.toggled.connect(self.schedule)
            self.type_checks[t] = cb
            v.addWidget(cb)
        row = QHBoxLayout()
        self.cat_checks = {}
        for c in CATEGORIES:
            cb = QCheckBox(c or "unknown")
            cb.setChecked(True)
            cb.toggled.connect(self.schedule)
            self.cat_checks[c] = cb
            row.addWidget(cb)
        v.addLayout(row)
        self.lesion_count = QLabel("")
        v.addWidget(self.lesion_count)
        return box

    # -- logic -----------------------------------------------------------------------
    def schedule(self, *_) -> None:
        """Recompute shortly (typing in a field does not recompute per key)."""
        self._timer.start()

    def current_acquisition(self):
        """The AcquisitionFilter the editors describe (None when unavailable)."""
        if self.acq is None:
            return None
        values = {}
        for f in dataclasses.fields(self.acq):
            w, old = self.editors[f.name], getattr(self.acq, f.name)
            if isinstance(w, QCheckBox):
                values[f.name] = w.isChecked()
            elif isinstance(w, QDoubleSpinBox):
                values[f.name] = type(old)(w.value()) if isinstance(old, (int, float)) else w.value()
            else:
                text = w.text().strip()
                values[f.name] = tuple(p.strip() for p in text.split(",") if p.strip()) \
                    if isinstance(old, (tuple, list)) else (text if text or old is not None else None)
        return dataclasses.replace(self.acq, **values)

    def reset_defaults(self) -> None:
        """Put the paper's defaults back in every editor."""
        for f in dataclasses.fields(self.acq):
            w, value = self.editors[f.name], getattr(self.acq_cls(), f.name)
            if isinstance(w, QCheckBox):
                w.setChecked(bool(value))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(value))
            else:
                w.setText(", ".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value or ""))
        self.schedule()

    def recompute(self) -> None:
        """Apply every filter, update the counts, and store the kept ids in the state."""
        cat = self.state.catalog
        if cat is None:
            return
        images = cat.images
        keep = np.ones(len(images), bool)
        for name, label in self.count_labels.items():
            label.setText("")
        if self.acq is not None and self.acq_enabled.isChecked():
            try:
                report = self.current_acquisition().apply(images)
            except (ValueError, TypeError) as exc:
                self.state.message.emit(f"acquisition filter: {exc}")
            else:
                keep &= np.asarray(report.kept, bool)
                for name, n in dict(report.removed).items():
                    if name in self.count_labels:
                        self.count_labels[name].setText(f"-{int(n)}")
        lesions = cat.lesions[~cat.lesions["lesion_uid"].isin(self.state.wrong_uids())]
        lmask = lesion_filter_mask(images, lesions, normals=self.normals.isChecked(),
                                   types={t for t, cb in self.type_checks.items() if cb.isChecked()},
                                   categories={c for c, cb in self.cat_checks.items() if cb.isChecked()})
        self.lesion_count.setText(f"-{int((keep & ~lmask).sum())} by lesion filters")
        keep &= lmask
        ids = images.loc[keep, "image_id"]
        with_lesion = ids.isin(set(lesions["image_id"])).sum()
        self.total.setText(f"Kept {len(ids)} of {len(images)} images "
                           f"({with_lesion} with lesion, {len(ids) - with_lesion} without; "
                           f"{images.loc[keep, 'patient_id'].nunique()} patients)")
        self.state.set_kept(ids)
