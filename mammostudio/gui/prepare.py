"""Prepare mode: preprocessing and patch extraction on the filtered dataset, in a worker.

Progress bar, ETA, cancel, the problems found, and the result as a patch gallery.
"""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QProgressBar, QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget)
from PySide6.QtCore import Qt

from ..core.patches.dataset import patch_box
from ..core.patches.params import ExtractParams
from ..core.progress import Progress
from .gallery import PatchGallery
from .jobs import JobRunner
from .state import AppState

__all__ = ["PreparePage", "format_eta", "problems_in", "describe_summary"]


def format_eta(elapsed_s: float, done: int, total: int | None) -> str:
    """'ETA 1:23' from the rate so far ('' until one unit is done or without a total)."""
    if not total or done <= 0 or done >= total:
        return ""
    left = elapsed_s / done * (total - done)
    return f"ETA {int(left // 60)}:{int(left % 60):02d}"


def problems_in(data) -> list[str]:
    """Problem texts carried by a progress item's data or a job summary."""
    out = []
    for key in ("problem", "problems"):
        value = (data or {}).get(key) if hasattr(data, "get") else None
        if value:
            out += [str(p) for p in (value if isinstance(value, (list, tuple)) else [value])]
    return out


def describe_summary(summary) -> str:
    """A job summary dict in words ('images 12, lesion patches 11, ...'); other values as text."""
    if not isinstance(summary, dict):
        return str(summary)
    parts = []
    for key, value in summary.items():
        if key in ("out", "seconds"):
            continue
        if isinstance(value, (list, tuple)):
            value = len(value)
        parts.append(f"{key.replace('_', ' ')} {value}")
    return ", ".join(parts)


def _extract_job(catalog, out, params, seed):
    from ..core.patches.extract import extract_patches

    return extract_patches(catalog, out, params, seed=seed)


def _preprocess_job(catalog, out):
    from ..core.preprocess import prepare_dataset

    return prepare_dataset(catalog, out)


def _export_job(source, folder):
    from ..core.patches.store import export_pngs

    return export_pngs(source, folder)


class PreparePage(QWidget):
    """Runs preprocessing / extraction on ``state.edited_catalog()`` (filters and edits applied)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.runner: JobRunner | None = None
        self.params_cls = ExtractParams
        self.editors: dict[str, QWidget] = {}
        self.out_edit = QLineEdit()
        browse = QPushButton("...")
        browse.clicked.connect(self._choose_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        self.seed = QSpinBox(maximum=2**31 - 1)
        form_box = QGroupBox("Patch extraction (paper Algorithm 1)")
        form = QFormLayout(form_box)
        form.addRow("Output folder", out_row)
        form.addRow("Seed", self.seed)
        for f in dataclasses.fields(self.params_cls):
            default = getattr(self.params_cls(), f.name)
            if isinstance(default, bool):
                w = QCheckBox()
                w.setChecked(default)
            elif isinstance(default, int):
                w = QSpinBox(maximum=10**6)
                w.setValue(default)
            else:
                w = QLineEdit(str(default))
            self.editors[f.name] = w
            form.addRow(f.name.replace("_", " "), w)
        self.seed.valueChanged.connect(self._publish)
        for w in self.editors.values():
            (w.toggled if isinstance(w, QCheckBox) else w.valueChanged if isinstance(w, QSpinBox)
             else w.editingFinished).connect(self._publish)
        self.extract_button = QPushButton("Extract patches")
        self.extract_button.clicked.connect(self.start_extraction)
        self.preprocess_button = QPushButton("Preprocess images (PNG, mask, ground truth)")
        self.preprocess_button.clicked.connect(self.start_preprocessing)
        self.export_button = QPushButton("Export patches as PNG...")
        self.export_button.setToolTip("Write the patch dataset in the output folder as one PNG per patch "
                                      "(lesion/, tissue/ and index.csv), for other tools")
        self.export_button.clicked.connect(lambda: self.start_export())  # not clicked(checked) as the folder
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.preprocess_button.setText("Preprocess images")
        self.preprocess_button.setToolTip("Write the normalised PNG, breast mask and ground truth of every image")
        buttons = QGridLayout()  # two rows: the page must fit beside nothing at 1366 x 768
        buttons.addWidget(self.extract_button, 0, 0)
        buttons.addWidget(self.preprocess_button, 0, 1)
        buttons.addWidget(self.cancel_button, 1, 0)
        buttons.addWidget(self.export_button, 1, 1)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.message = QLabel("Filters and box edits of Browse mode apply here.")
        self.message.setWordWrap(True)
        self.problems = QListWidget()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addWidget(form_box)
        lv.addLayout(buttons)
        lv.addWidget(self.progress)
        lv.addWidget(self.eta)
        lv.addWidget(self.message)
        lv.addWidget(QLabel("Problems found:"))
        lv.addWidget(self.problems, 1)
        self.gallery = PatchGallery()
        self.gallery.patchActivated.connect(self._on_patch)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.gallery)
        split.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(split)
        state.catalogChanged.connect(self._default_out)
        state.maskThresholdChanged.connect(self._follow_mask_threshold)
        self._follow_mask_threshold(state.mask_threshold)

    def _follow_mask_threshold(self, value: int) -> None:
        """Extraction uses the breast-mask threshold set in Browse (20 for film, 0 for digital)."""
        self.editors["mask_threshold"].setValue(int(value))

    def _default_out(self) -> None:
        from ..core.paths import user_data_dir

        root = self.state.raw.root if self.state.raw is not None else Path("dataset")
        self.out_edit.setText(str(user_data_dir("patches", root.name)))

    def _choose_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder for patches", self.out_edit.text())
        if folder:
            self.out_edit.setText(folder)

    def _publish(self, *_) -> None:
        """Share the current settings (the viewer's audit replays them)."""
        try:
            params = self.params()
        except (ValueError, TypeError):
            return  # a half-typed field: keep the last valid settings
        self.state.set_extract_params(params, int(self.seed.value()))

    def params(self):
        """The ExtractParams the form describes (ValueError names a bad field)."""
        values = {}
        for name, w in self.editors.items():
            values[name] = w.isChecked() if isinstance(w, QCheckBox) else w.value() if isinstance(w, QSpinBox) else w.text()
        return self.params_cls(**values)

    # -- running -----------------------------------------------------------------------------
    def start_extraction(self) -> None:
        """Extract patches from the filtered, edited catalog into the output folder."""
        try:
            params = self.params()
        except ValueError as exc:
            self.message.setText(f"Error: {exc}")
            return
        self._start(lambda cat, out: _extract_job(cat, out, params, int(self.seed.value())), "extraction")

    def start_preprocessing(self) -> None:
        """Write normalised PNG, mask and ground truth of the filtered catalog."""
        self._start(lambda cat, out: _preprocess_job(cat, Path(out) / "preprocessed"), "preprocessing")

    def start_export(self, folder: str | None = None) -> None:
        """Write the patch dataset of the output folder as one PNG per patch into ``folder`` (asked when None)."""
        source = self.out_edit.text().strip()
        if self.runner is not None and self.runner.running:
            return
        if not source or not (Path(source) / "index.csv").is_file():
            self.message.setText("Extract patches first: the output folder holds no patch dataset (index.csv).")
            return
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Empty folder for the PNGs", str(Path(source).parent))
            if not folder:
                return
        self.problems.clear()
        self._run(lambda: _export_job(source, folder), "PNG export", folder,
                  f"PNG export of {source} into {folder} ...")

    def _start(self, make, what: str) -> None:
        if self.state.raw is None:
            self.message.setText("Open a dataset first.")
            return
        if self.runner is not None and self.runner.running:
            return
        out = self.out_edit.text().strip()
        if not out:
            self.message.setText("Choose an output folder first.")
            return
        # Snapshot now, build the edited + filtered catalog in the worker (pandas
        # work of ~100 ms that must not stall the GUI thread).
        raw, ann, kept = self.state.raw, self.state.annotations.copy(), set(self.state.kept_ids)
        self.problems.clear()
        self.problems.addItems([str(p) for p in raw.problems])
        self._run(lambda: make(ann.apply(raw).subset(kept), out), what, out,
                  f"{what} of {len(kept)} images into {out} ...")

    def _run(self, make, what: str, out: str, starting: str) -> None:
        """Run the job ``make()`` returns in a worker, with progress, cancel and the buttons held."""
        self.what, self.out, self.t0 = what, out, time.monotonic()
        self.runner = JobRunner(make, self)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)
        self.runner.failed.connect(lambda msg, _tb: self.message.setText(f"Error: {what} failed: {msg}"))
        self.runner.cancelled.connect(lambda: self.message.setText(f"{what} cancelled; no half-written file kept"))
        self.runner.done.connect(self._on_done)
        for button in (self.extract_button, self.preprocess_button, self.export_button):
            button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.message.setText(starting)
        self.runner.start()

    def cancel(self) -> None:
        """Stop the running job at its next step."""
        if self.runner is not None:
            self.runner.cancel()

    def _on_progress(self, item: Progress) -> None:
        if item.total:
            self.progress.setRange(0, item.total)
            self.progress.setValue(item.done)
        self.eta.setText(format_eta(time.monotonic() - self.t0, item.done, item.total))
        if item.message:
            self.message.setText(item.message)
        self.problems.addItems(problems_in(item.data))

    def _on_finished(self, summary) -> None:
        self.progress.setValue(self.progress.maximum())
        self.problems.addItems(problems_in(summary if isinstance(summary, dict) else {}))
        self.message.setText(f"{self.what} done in {time.monotonic() - self.t0:.1f} s: {describe_summary(summary)}")
        if self.what == "extraction":
            self.gallery.open_folder(self.out)

    def _on_done(self) -> None:
        for button in (self.extract_button, self.preprocess_button, self.export_button):
            button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.eta.setText("")

    def _on_patch(self, row: dict) -> None:
        try:
            box = patch_box(row)
        except ValueError:
            self.message.setText("this patch has no source position in the index")
            return
        self.state.focus_patch(str(row.get("image_id", "")), box)
