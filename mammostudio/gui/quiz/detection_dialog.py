"""The examiner's dialog that builds a detection study from dataset folders."""
from __future__ import annotations

from PySide6 import QtWidgets

from ...core.quiz import QuizStore, StudyConfig
from ...core.quiz.detect import design_detection
from .folder_list import FolderList
from .study_dialog import StudyDialog

__all__ = ["DetectionDesignDialog"]


class DetectionDesignDialog(StudyDialog):
    """Choose datasets (e.g. a ``mammostudio simulate`` output and its archive) and the rules.

    After ``exec()`` returns Accepted, :attr:`study_path` names the new database.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("New detection study", parent)
        self.datasets = FolderList("Dataset folder")
        self.unit = QtWidgets.QComboBox()
        self.unit.addItem("One view per case", "image")
        self.unit.addItem("Four-view study per case", "study")
        self.cases = QtWidgets.QSpinBox(minimum=1, maximum=10000, value=60)
        self.training_cases = QtWidgets.QSpinBox(minimum=0, maximum=10000, value=10)
        self.fraction_normal = QtWidgets.QDoubleSpinBox(minimum=0.0, maximum=0.95, singleStep=0.05, value=0.5)
        self.levels = QtWidgets.QSpinBox(minimum=2, maximum=9, value=5)
        self.radius = QtWidgets.QDoubleSpinBox(minimum=0, maximum=100, value=0, suffix=" mm",
                                               specialValueText="inside the outline")
        self.image_size = QtWidgets.QSpinBox(minimum=128, maximum=4096, value=1024, suffix=" px")
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.log.setMaximumHeight(90)
        form = QtWidgets.QFormLayout()
        form.addRow("Datasets:", self.datasets.with_buttons())
        form.addRow("Study file:", self._study_file_row())
        form.addRow("Case:", self.unit)
        form.addRow("Assessment cases:", self.cases)
        form.addRow("Training cases:", self.training_cases)
        form.addRow("Fraction normal:", self.fraction_normal)
        form.addRow("Rating levels:", self.levels)
        form.addRow("A mark counts when:", self.radius)
        form.addRow("Display size (long side):", self.image_size)
        form.addRow("Seed:", self.seed)
        self._finish(form, self._create)

    def config(self) -> StudyConfig:
        """The study configuration the form describes (raises ValueError when invalid)."""
        return StudyConfig(
            task="detection", n_assessment=self.cases.value(), n_training=self.training_cases.value(),
            confidence_levels=self.levels.value(), image_size=self.image_size.value(), case_unit=self.unit.currentData(),
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
            with self._busy():
                design = design_detection([open_dataset(f) for f in folders], cfg)
                store = QuizStore.create(self.out.text().strip(), design)
        except (ValueError, OSError, ImageReadError, StudyError) as exc:
            self._refuse(str(exc))
            return
        self._created(store)
