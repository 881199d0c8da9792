"""Buttons that fill the lesion gallery: a patch dataset, a generated folder, a DCGAN checkpoint,
an in-painting generator."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from ...core.simulate.sources import array_items, generated_items, patch_items
from ..jobs import JobRunner, function_job, inpainter_job, lesion_generation_job

__all__ = ["SourceButtons"]


class SourceButtons(QWidget):
    """Adds real and generated lesions to a :class:`~.gallery.LesionGallery` (work in a thread).

    Signals
    -------
    message(str)
    """

    message = Signal(str)

    def __init__(self, gallery, parent=None, *, roots_of=lambda: ()) -> None:
        super().__init__(parent)
        self.gallery = gallery
        self.roots_of = roots_of  # where the source images of a patch dataset may be
        self.runner: JobRunner | None = None
        self.inpainters: dict = {}  # checkpoint SHA-256 -> in-painter function (shared with the session)
        patches, generated, ckpt = (QPushButton("Real lesions…"), QPushButton("Generated folder…"),
                                    QPushButton("Generate from run…"))
        inpaint = QPushButton("In-painting run…")
        inpaint.setToolTip("A context-conditioned generator (mammostudio train-inpaint): its lesions are "
                           "drawn into the tissue where you click")
        inpaint.clicked.connect(self._ask_inpainter)
        patches.setToolTip("Lesion patches of a patch dataset (mammostudio extract)")
        generated.setToolTip("A folder written by mammostudio generate (with manifest.json)")
        ckpt.setToolTip("Generate lesions now from a DCGAN checkpoint (last.pt / best.pt)")
        patches.clicked.connect(lambda: self._ask_folder("Patch dataset", self._patch_items))
        generated.clicked.connect(lambda: self._ask_folder("Generated images folder", generated_items))
        ckpt.clicked.connect(self._ask_checkpoint)
        self.count = QSpinBox()
        self.count.setRange(1, 256)
        self.count.setValue(8)
        self.count.setPrefix("n = ")
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        row1.addWidget(patches)
        row1.addWidget(generated)
        row1.addWidget(inpaint)
        row2.addWidget(ckpt, 1)
        row2.addWidget(self.count)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row1)
        lay.addLayout(row2)

    def _start(self, make_job, on_done) -> None:
        if self.runner is not None and self.runner.running:
            self.message.emit("busy: wait for the lesions being loaded")
            return
        self.runner = JobRunner(make_job, self)
        self.runner.finished.connect(on_done)
        self.runner.failed.connect(lambda msg, _tb: self.message.emit(f"Error: {msg}"))
        self.runner.start()

    def _patch_items(self, folder):
        return patch_items(folder, dataset_roots=list(self.roots_of()))

    def add_folder(self, folder: str, reader) -> None:
        """Read ``folder`` with ``reader`` (patch_items / generated_items) in a thread, then add."""
        self._start(lambda: function_job(reader, folder, message=f"reading {folder}"), self._added)

    def _ask_folder(self, title: str, reader) -> None:
        folder = QFileDialog.getExistingDirectory(self, title)
        if folder:
            self.add_folder(folder, reader)

    def generate(self, checkpoint: str, n: int, seed: int = 0) -> None:
        """Generate ``n`` lesions from ``checkpoint`` (torch, in a thread) and add them."""
        def done(result):
            self._added(array_items(result["images"], checkpoint_sha256=result["checkpoint_sha256"],
                                    seed=result["seed"], checkpoint=result["checkpoint"]))
        self._start(lambda: lesion_generation_job(checkpoint, n, seed=seed), done)

    def _ask_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "DCGAN checkpoint", "", "Checkpoint (*.pt *.pth)")
        if path:
            self.generate(path, self.count.value())

    def add_inpainter(self, checkpoint: str) -> None:
        """Load an in-painting checkpoint (torch, in a thread) and add it to the gallery."""
        def done(result):
            item, fill = result
            self.inpainters[item.source["checkpoint_sha256"]] = fill
            self._added([item])
        self._start(lambda: inpainter_job(checkpoint), done)

    def _ask_inpainter(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "In-painting checkpoint", "", "Checkpoint (*.pt)")
        if path:
            self.add_inpainter(path)

    def _added(self, items) -> None:
        self.gallery.add_items(items)
        self.message.emit(f"{len(items)} lesions added to the gallery")
