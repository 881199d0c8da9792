"""The filter panel: acquisition criteria (paper Table 2, editable), lesion and assessment filters.

Counts update live: images kept, and images removed by each criterion. The
acquisition rules themselves live in :mod:`mammostudio.core.acquisition`; this
panel only builds an editor from the dataclass's fields and shows its report.
Lesion type, biopsy category, pathology, BI-RADS and density choices are
applied by :func:`mammostudio.core.catalog_filter.lesion_filter_mask`.

The panel reads its editors on the GUI thread; :func:`~mammostudio.core.catalog_filter.filter_catalog`
does the work, in place for small catalogs and on a pool thread from
:data:`~mammostudio.gui.browser.ASYNC_FROM` images (as the browser's search and
sort do), so filtering 200,000 images never holds the event loop. A result
that a newer request has overtaken is dropped.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from ..core.acquisition import AcquisitionFilter
from ..core.catalog import BIRADS, DENSITIES, LESION_TYPES, PATHOLOGIES
from ..core.catalog_filter import FilterOutcome, filter_catalog, lesion_filter_mask
from .browser import ASYNC_FROM
from .jobs import PoolTask, submit
from .state import AppState

__all__ = ["FilterPanel", "lesion_filter_mask", "CATEGORIES"]

CATEGORIES = ("B1", "B2", "B3", "B4", "B5", "")


class FilterPanel(QWidget):
    """Edits the filters and writes the kept image ids into the state."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.acq_cls = AcquisitionFilter
        self.acq = AcquisitionFilter()
        self.editors: dict[str, QWidget] = {}
        self._seen = None
        self._ready = None  # (catalog, args, outcome) from use_outcome
        self._generation = 0
        self._task = PoolTask(self)
        self._task.result.connect(self._on_result)
        self._task.error.connect(lambda _k, msg: state.message.emit(f"filters: {msg}"))
        self.count_labels: dict[str, QLabel] = {}
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.recompute)
        self.total = QLabel("no dataset")
        self.total.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.total)
        layout.addWidget(self._acq_box())
        layout.addWidget(self._lesion_box())
        layout.addStretch(1)
        state.catalogChanged.connect(self.recompute)

    # -- widgets -------------------------------------------------------------------
    def _acq_box(self) -> QGroupBox:
        box = QGroupBox("Acquisition (paper Table 2)")
        self.acq_enabled = QCheckBox("Apply acquisition filter")
        form = QFormLayout(box)
        form.addRow(self.acq_enabled)
        self.acq_enabled.toggled.connect(self.schedule)
        self.on_checks: dict[str, QCheckBox] = {}
        for name in ("manufacturer", "model_name", "tube_current_ma", "magnification",
                     "magnification_tolerance", "for_presentation"):
            if name == "magnification_tolerance":
                w = QDoubleSpinBox(decimals=3, minimum=0, maximum=5, singleStep=0.005)
                w.valueChanged.connect(self.schedule)
            elif name == "for_presentation":
                w = QCheckBox("FOR PRESENTATION")
                w.toggled.connect(self.schedule)
            else:
                w = QLineEdit()
                w.setToolTip({"manufacturer": "any of these, comma-separated, case-insensitive substring",
                              "model_name": "any of these, comma-separated, case-insensitive",
                              "tube_current_ma": "a value (100) or an inclusive range (80-120)",
                              "magnification": "factor; compared with the tolerance below"}[name])
                w.editingFinished.connect(self.schedule)
            row = QHBoxLayout()
            if name != "magnification_tolerance":
                on = QCheckBox()
                on.setToolTip("criterion on/off")
                on.toggled.connect(self.schedule)
                self.on_checks[name] = on
                row.addWidget(on)
            row.addWidget(w, 1)
            count = QLabel("")
            self.count_labels[name] = count
            row.addWidget(count)
            self.editors[name] = w
            form.addRow(name.replace("_", " "), row)
        reset = QPushButton("Paper defaults")
        reset.clicked.connect(self.reset_defaults)
        form.addRow(reset)
        self.reset_defaults()
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
        self.pathology_checks = self._check_row(v, "Pathology", PATHOLOGIES)
        self.birads_checks = self._check_row(v, "BI-RADS", (*BIRADS, "unknown"))
        self.density_checks = self._check_row(v, "Density", (*DENSITIES, "unknown"))
        self.lesion_count = QLabel("")
        v.addWidget(self.lesion_count)
        return box

    def _check_row(self, layout: QVBoxLayout, title: str, values) -> dict[str, QCheckBox]:
        """A titled row of checked boxes, one per value ('unknown' shown as '?')."""
        row = QHBoxLayout()
        row.addWidget(QLabel(title))
        checks = {}
        for value in values:
            cb = QCheckBox("?" if value == "unknown" and title != "Pathology" else value)
            cb.setToolTip(f"{title} {value}" + (" (not given)" if value == "unknown" else ""))
            cb.setChecked(True)
            cb.toggled.connect(self.schedule)
            checks[value] = cb
            row.addWidget(cb)
        row.addStretch(1)
        layout.addLayout(row)
        return checks

    def _chosen(self, checks: dict[str, QCheckBox]) -> set[str] | None:
        """The checked values; None (no filtering) when all are checked."""
        chosen = {v for v, cb in checks.items() if cb.isChecked()}
        return None if len(chosen) == len(checks) else chosen

    # -- logic -----------------------------------------------------------------------
    def schedule(self, *_) -> None:
        """Recompute shortly (typing in a field does not recompute per key)."""
        self._timer.start()

    def current_acquisition(self):
        """The AcquisitionFilter the editors describe (ValueError for unreadable text)."""
        e, on = self.editors, self.on_checks

        def words(name):
            return tuple(p.strip() for p in e[name].text().split(",") if p.strip()) or None

        current = e["tube_current_ma"].text().replace(" ", "")
        if "-" in current.strip("-"):
            low, high = current.split("-", 1)
            current = (float(low), float(high))
        else:
            current = float(current) if current else None
        mag = e["magnification"].text().strip()
        return self.acq_cls(
            manufacturer=words("manufacturer") if on["manufacturer"].isChecked() else None,
            model_name=words("model_name") if on["model_name"].isChecked() else None,
            tube_current_ma=current if on["tube_current_ma"].isChecked() else None,
            magnification=float(mag) if mag and on["magnification"].isChecked() else None,
            magnification_tolerance=e["magnification_tolerance"].value(),
            for_presentation=e["for_presentation"].isChecked() if on["for_presentation"].isChecked() else None)

    def reset_defaults(self) -> None:
        """Put the paper's defaults back in every editor."""
        d = self.acq_cls()
        for name, on in self.on_checks.items():
            on.setChecked(getattr(d, name) is not None)
        self.editors["manufacturer"].setText(", ".join(d.manufacturer or ()))
        self.editors["model_name"].setText(", ".join(d.model_name or ()))
        tc = d.tube_current_ma
        self.editors["tube_current_ma"].setText(
            "" if tc is None else f"{tc[0]:g}-{tc[1]:g}" if isinstance(tc, tuple) else f"{tc:g}")
        self.editors["magnification"].setText("" if d.magnification is None else f"{d.magnification:g}")
        self.editors["magnification_tolerance"].setValue(d.magnification_tolerance)
        self.editors["for_presentation"].setChecked(bool(d.for_presentation))
        self.schedule()

    def settings(self) -> dict:
        """The panel's choices as :func:`filter_catalog` keywords (all but ``acquisition_on``
        and ``wrong``, which depend on the dataset)."""
        acq, why = None, ""
        try:
            acq = self.current_acquisition()
        except (ValueError, TypeError) as exc:
            why = str(exc)
        return dict(acquisition=acq, acquisition_error=why, normals=self.normals.isChecked(),
                    types={t for t, cb in self.type_checks.items() if cb.isChecked()},
                    categories={c for c, cb in self.cat_checks.items() if cb.isChecked()},
                    pathologies=self._chosen(self.pathology_checks),
                    birads=self._chosen(self.birads_checks),
                    densities=self._chosen(self.density_checks))

    def use_outcome(self, catalog, args: dict, outcome: FilterOutcome) -> None:
        """An outcome of :func:`filter_catalog` on ``catalog`` with ``args``, worked out
        elsewhere (the open worker); the next recompute for that catalog shows it
        instead of filtering again, if the choices are still the same."""
        self._ready = (catalog, args, outcome)

    def recompute(self) -> None:
        """Apply every filter, update the counts, and store the kept ids in the state
        (on a pool thread for big catalogs; the counts follow when it is done)."""
        cat = self.state.catalog
        if cat is None:
            return
        self._generation += 1
        # A new dataset: filter by acquisition only when it records acquisitions (decided with the rest).
        on = None if self.state.raw is not self._seen else self.acq_enabled.isChecked()
        self._seen = self.state.raw
        args = {**self.settings(), "acquisition_on": on, "wrong": set(self.state.wrong_uids())}
        ready, self._ready = self._ready, None
        if ready is not None and ready[0] is cat and _same(ready[1], args):
            self._show(ready[2])  # worked out with the dataset, off the GUI thread
            return
        if len(cat.images) < ASYNC_FROM:
            self._show(filter_catalog(cat.images, cat.lesions, **args))
            return
        self.total.setText(f"{self.total.text().split(' (updating')[0]} (updating ...)")
        submit(self._task, self._generation, lambda: filter_catalog(cat.images, cat.lesions, **args))

    def _on_result(self, generation, outcome: FilterOutcome) -> None:
        if generation == self._generation:  # else a newer request is on its way
            self._show(outcome)

    def _show(self, out: FilterOutcome) -> None:
        """Put an outcome's counts in the labels and its kept ids in the state."""
        if self.acq_enabled.isChecked() != out.acquisition_on:
            self.acq_enabled.blockSignals(True)
            self.acq_enabled.setChecked(out.acquisition_on)
            self.acq_enabled.blockSignals(False)
        for label in self.count_labels.values():
            label.setText("")
        if out.error:
            self.state.message.emit(f"acquisition filter not applied: {out.error}")
        report = out.report
        if report is not None:
            for name, n in report.removed_alone.items():
                missing = int(report.missing.get(name, 0))
                self.count_labels[name].setText(f"-{int(n)}" + (f" ({missing} missing)" if missing else ""))
                self.count_labels[name].setToolTip(
                    f"{int(n)} images fail this criterion alone; {report.removed_in_sequence.get(name, 0)} "
                    f"removed by it after the criteria above; {missing} have no value")
        self.lesion_count.setText(f"-{out.by_lesions} by lesion filters")
        self.total.setText(f"Kept {out.n_kept} of {out.n_images} images "
                           f"({out.with_lesion} with lesion, {out.n_kept - out.with_lesion} without; "
                           f"{out.patients} patients)")
        self.state.set_kept(out.kept_ids)


def _same(a: dict, b: dict) -> bool:
    """Whether two filter_catalog keyword sets are equal (False when they cannot be compared)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
