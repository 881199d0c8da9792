"""Decode images and build their display pyramids off the GUI thread, with prefetch."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ..core.images import load_pixels
from .jobs import PoolTask, submit
from ..core.pyramid import DisplayImage, build_display

__all__ = ["ImageLoader", "decode_for_display", "header_for_display", "breast_mask_of"]


def breast_mask_of(pixels: np.ndarray) -> dict:
    """The breast mask of the preprocessing step (spec 1.5) as :func:`build_display`
    keywords: ``{'threshold': t}`` when the mask is ``pixels > t`` (integer images),
    ``{'mask': full_mask}`` otherwise, ``{}`` for an image preprocessing refuses."""
    from ..core.patches.prepared import prepare

    try:
        prep = prepare(pixels)
    except ValueError:  # an image preprocessing refuses: shown without a mask
        return {}
    if prep.threshold is not None and prep.raw is pixels:
        return {"threshold": prep.threshold}
    return {"mask": np.asarray(prep.full_mask(), dtype=bool)}


def decode_for_display(image_id: str, row: dict) -> DisplayImage:
    """Load one catalog image and prepare it for display (runs in a pool thread); the
    header values the viewer shows come with it (:attr:`DisplayImage.header`)."""
    pixels = load_pixels(row)
    display = build_display(image_id, pixels, **breast_mask_of(pixels))
    display.header = header_for_display(row)
    return display


def header_for_display(row: dict) -> dict:
    """Window presets, study date and patient orientation of a DICOM catalog row, read
    header-only (empty for other formats; a key is left out when its tags cannot be read)."""
    if str(row.get("format", "")) != "dicom":
        return {}
    from ..core.dicom import window_presets
    from ..core.dicom_read import DicomError, read_dataset

    out: dict = {}
    try:
        ds = read_dataset(row["path"], header_only=True)
    except (DicomError, OSError, KeyError):
        return out
    out["study_date"] = str(ds.get("StudyDate", "") or "")
    orientation = ds.get("PatientOrientation")
    if orientation:
        out["patient_orientation"] = [str(v) for v in ([orientation] if isinstance(orientation, str) else orientation)]
    try:
        out["window_presets"] = [(float(c), float(w), str(e)) for c, w, e in window_presets(ds)]
    except (ValueError, KeyError, TypeError):
        pass
    return out


class ImageLoader(QObject):
    """Asynchronous, cached image decoding.

    Signals
    -------
    ready(DisplayImage)
        An image asked for with :meth:`request` is decoded.
    failed(str, str)
        (image_id, message) when a file cannot be read.
    """

    ready = Signal(object)
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, *, cache_size: int = 4) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[str, DisplayImage] = OrderedDict()
        self._pending: set[str] = set()
        self._wanted: str | None = None
        self._cache_size = cache_size
        self._task = PoolTask(self)
        self._task.result.connect(self._on_result)
        self._task.error.connect(self._on_error)

    def cached(self, image_id: str) -> DisplayImage | None:
        """The prepared image when already decoded."""
        return self._cache.get(image_id)

    def request(self, image_id: str, row: dict) -> None:
        """Show ``image_id`` as soon as possible (``ready`` fires, maybe at once)."""
        self._wanted = image_id
        if image_id in self._cache:
            self._cache.move_to_end(image_id)
            self.ready.emit(self._cache[image_id])
            return
        self._start(image_id, row, priority=1)

    def prefetch(self, image_id: str, row: dict) -> None:
        """Decode ``image_id`` in the background so that showing it next is instant."""
        if image_id not in self._cache:
            self._start(image_id, row, priority=0)

    def _start(self, image_id: str, row: dict, *, priority: int) -> None:
        if image_id in self._pending:
            return
        self._pending.add(image_id)
        submit(self._task, image_id, decode_for_display, image_id, dict(row), priority=priority)

    @Slot(object, object)
    def _on_result(self, image_id, image: DisplayImage) -> None:
        self._pending.discard(image_id)
        self._cache[image_id] = image
        self._cache.move_to_end(image_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        if image_id == self._wanted:
            self.ready.emit(image)

    @Slot(object, str)
    def _on_error(self, image_id, message: str) -> None:
        self._pending.discard(image_id)
        if image_id == self._wanted:
            # Our read errors already say what is wrong and name the file; the class name adds nothing.
            for known in ("ImageReadError: ", "DicomError: "):
                if message.startswith(known):
                    message = message[len(known):]
            self.failed.emit(str(image_id), message)
