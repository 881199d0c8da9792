"""The examiner's dialog that builds a study database from patch folders."""
from __future__ import annotations

from PySide6 import QtWidgets

from ...core.quiz import QuizStore, StudyConfig, design_study
from ...core.quiz.design import NotEnoughImages
from ...core.quiz.planning import largest_study
from ...core.quiz.sources import load_generated_set, load_real_set
from .folder_list import FolderList
from .study_dialog import StudyDialog

__all__ = ["DesignDialog"]


class DesignDialog(StudyDialog):
    """Choose real patches, generated folders and the study rules; writes the study file.

    After ``exec()`` returns Accepted, :attr:`study_path` names the new database.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__("New reader study", parent)
        d = StudyConfig()
        self.real = QtWidgets.QLineEdit(placeholderText="patch dataset or folder of real lesion PNGs")
        self.generated = FolderList("Folder of generated images")
        self.training = QtWidgets.QLineEdit(placeholderText="optional: the generators' training patches")
        self.cases = QtWidgets.QSpinBox(minimum=1, maximum=10000, value=d.n_assessment)
        self.training_cases = QtWidgets.QSpinBox(minimum=0, maximum=10000, value=d.n_training)
        self.fraction = QtWidgets.QDoubleSpinBox(minimum=0.05, maximum=0.95, singleStep=0.05, value=d.fraction_generated)
        self.task = QtWidgets.QComboBox()
        self.task.addItem("Single image: real or generated + confidence", "single")
        self.task.addItem("Pair (2AFC): pick the generated one", "2afc")
        self.levels = QtWidgets.QSpinBox(minimum=0, maximum=9, value=d.confidence_levels, specialValueText="none")
        self.time_limit = QtWidgets.QDoubleSpinBox(minimum=0, maximum=600, value=0, suffix=" s", specialValueText="none")
        self.image_size = QtWidgets.QSpinBox(minimum=16, maximum=1024, value=d.image_size, suffix=" px")
        self.threshold = QtWidgets.QDoubleSpinBox(decimals=3, minimum=0, maximum=1, singleStep=0.005,
                                                  value=d.memorisation_threshold)
        self.keep_memorised = QtWidgets.QCheckBox("keep flagged near-copies")
        self.margin = QtWidgets.QDoubleSpinBox(minimum=0.01, maximum=0.49, singleStep=0.01, value=d.equivalence_margin)
        self.seed = QtWidgets.QSpinBox(minimum=0, maximum=2**31 - 1, value=d.seed)
        self.log.setMaximumHeight(110)

        form = QtWidgets.QFormLayout()
        form.addRow("Real patches:", self._with_browse(self.real))
        form.addRow("Generated folders:", self.generated.with_buttons())
        form.addRow("Training patches:", self._with_browse(self.training))
        form.addRow("Study file:", self._study_file_row())
        form.addRow("Task:", self.task)
        form.addRow("Assessment cases:", self.cases)
        form.addRow("Training cases:", self.training_cases)
        form.addRow("Fraction generated:", self.fraction)
        form.addRow("Confidence levels:", self.levels)
        form.addRow("Time limit per case:", self.time_limit)
        self.image_size.setToolTip("Stored resolution of every case (real and generated alike); its size on "
                             "screen is set in millimetres on the Quiz page, after a screen calibration")
        form.addRow("Stored resolution:", self.image_size)
        mem = QtWidgets.QHBoxLayout()
        mem.addWidget(self.threshold)
        mem.addWidget(self.keep_memorised)
        form.addRow("Memorisation RMS threshold:", mem)
        form.addRow("Equivalence margin:", self.margin)
        form.addRow("Seed:", self.seed)
        self._finish(form, self._create)

    def _with_browse(self, edit: QtWidgets.QLineEdit) -> QtWidgets.QHBoxLayout:
        """``edit`` with a *Browse...* button that asks for a folder."""
        row = QtWidgets.QHBoxLayout()
        row.addWidget(edit, 1)
        button = QtWidgets.QPushButton("Browse…")

        def browse() -> None:
            path = QtWidgets.QFileDialog.getExistingDirectory(self, "Choose a folder", edit.text())
            if path:
                edit.setText(path)

        button.clicked.connect(browse)
        row.addWidget(button)
        return row

    def config(self) -> StudyConfig:
        """The study configuration the form describes (raises ValueError when invalid)."""
        return StudyConfig(
            n_assessment=self.cases.value(), n_training=self.training_cases.value(),
            fraction_generated=self.fraction.value(), task=self.task.currentData(),
            confidence_levels=self.levels.value(), time_limit_s=self.time_limit.value() or None,
            image_size=self.image_size.value(), memorisation_threshold=self.threshold.value(),
            exclude_memorised=not self.keep_memorised.isChecked(), equivalence_margin=self.margin.value(),
            seed=self.seed.value())

    def _suggest(self, exc: NotEnoughImages, n_generators: int) -> str:
        """A smaller study that fits, in this dialog's terms (the same rule as quiz-create's --cases hint)."""
        fits = largest_study(exc.eligible, self.cases.value(), self.training_cases.value(),
                             task=self.task.currentData(), fraction_generated=self.fraction.value(),
                             n_generators=n_generators, generated=exc.source != "real")
        if fits is None:
            return "Too few images for any study: add real patches the generator did not train on."
        more = ("real patches the generator did not train on" if exc.source == "real"
                else "more generated images")
        return (f"Set Assessment cases to {fits[0]} and Training cases to {fits[1]} (they fit), or add {more}.")

    def _create(self) -> None:
        folders = self.generated.folders()
        try:
            if not self.real.text().strip() or not folders or not self.out.text().strip():
                raise ValueError("choose the real patches, at least one generated folder and a study file")
            cfg = self.config()
            with self._busy():
                training = self.training.text().strip() or None
                real = load_real_set(self.real.text().strip(), size=cfg.image_size)
                gens = [load_generated_set(f, size=cfg.image_size, training_folder=training) for f in folders]
                store = QuizStore.create(self.out.text().strip(), design_study(real, gens, cfg))
        except NotEnoughImages as exc:
            self._refuse(f"{exc}. {self._suggest(exc, len(folders))}")
            return
        except (ValueError, OSError) as exc:
            self._refuse(str(exc))
            return
        self._created(store)
