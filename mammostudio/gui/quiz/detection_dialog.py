"""The examiner's dialog that builds a detection study from dataset folders."""
from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...core.quiz import QuizStore, StudyConfig
from ...core.quiz.detect import design_detection
from .folder_list import FolderList

__all__ = ["DetectionDesignDialog"]


class DetectionDesignDialog(QtWidgets.QDialog):
    """Choose datasets (e.g. a ``mammostudio simulate`` output and its archive) and the rules.

    After ``exec()`` returns Accepted, :attr:`study_path` names the new database.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New detection study")
        self.study_path: Path | None = None
        self.datasets = FolderList("Dataset folder")
        self.out = QtWidgets.QLineEdit(placeholderText="new study file (.sqlite)")
        self.unit = QtWidgets.QComboBox()
        self.unit.addItem("One view per case", "image")
        self.unit.addItem("Four-view study per case", "study")
        self.cases = QtWidgets.QSpinBox(minimum=1, maximum=10000, value=60)
        self.training_cases = QtWidgets.QSpinBox(minimum=0, maximum=10000, value=10)
        self.fraction_normal = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=0.95, singleStep=0.05, value=0.5)
        self.levels = QtWidgets.QSpinBox(minimum=2, maximum=9, value=5)
        self.radius = QtWidgets.QDoubleSpinBox(minimum=0, maximum=100, value=0, suffix=" mm",
                                               specialValueText="inside the outline")
        self.size = QtWidgets.QSpinBox(minimum=128, maximum=4096, value=1024, suffix=" px")
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.log = QtWidgets.QPlainTextEdit(readOnly=True)
        self.log.setMaximumHeight(90)
        data_row = self.datasets.with_buttons()
        out_row = QtWidgets.QHBoxLayout()
        out_row.addWidget(self.out, 1)
        browse = QtWidgets.QPushButton("Browse…")
        browse.clicked.connect(self._browse_out)
        out_row.addWidget(browse)
        form = QtWidgets.QFormLayout()
        form.addRow("Datasets:", data_row)
        form.addRow("Study file:", out_row)
        form.addRow("Case:", self.unit)
        form.addRow("Assessment cases:", self.cases)
        form.addRow("Training cases:", self.training_cases)
        form.addRow("Fraction normal:", self.fraction_normal)
        form.addRow("Rating levels:", self.levels)
        form.addRow("A mark counts when:", self.radius)
        form.addRow("Display size (long side):", self.size)
        form.addRow("Seed:", self.seed)
        box = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.create_button = box.addButton("Create study", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(self._create)
        box.rejected.connect(self.reject)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.log)
        lay.addWidget(box)

    def _browse_out(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "New study file", self.out.text(), "Reader study (*.sqlite)")
        if path:
            self.out.setText(path)

    def config(self) -> StudyConfig:
        """The study configuration the form describes (raises ValueError when invalid)."""
        return StudyConfig(
            task="detection", n_assessment=self.cases.value(), n_training=self.training_cases.value(),
            confidence_levels=self.levels.value(), image_size=self.size.value(), case_unit=self.unit.currentData(),
            fraction_normal=self.fraction_normal.value(), acceptance_radius_mm=self.radius.value() or None,
            seed=self.seed.value())

    def _create(self) -> None:
        from ...core.images import ImageReadError
        from ...core.quiz import StudyError
        from ...core.readers import open_dataset

        folders = self.datasets.folders()
        try:
            if not folders or not self.out.text().strip():
                raise ValueError("add at least one dataset folder and choose a study file")
            cfg = self.config()
            QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
            try:
                design = design_detection([open_dataset(f) for f in folders], cfg)
                store = QuizStore.create(self.out.text().strip(), design)
            finally:
                QtWidgets.QApplication.restoreOverrideCursor()
        except (ValueError, OSError, ImageReadError, StudyError) as exc:
            self.log.setPlainText(f"Cannot create the study: {exc}")
            return
        self.log.setPlainText("\n".join(store.log))
        self.study_path = store.path
        store.close()
        self.accept()
