"""Small greyscale thumbnails, made on the thread pool and cached as QPixmaps."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from ..core.images import load_pixels
from .jobs import PoolTask, submit_each
from ..core.pyramid import reduce_block

__all__ = ["make_thumbnail", "to_qimage", "ThumbnailCache"]


def make_thumbnail(source, size: int = 64) -> np.ndarray:
    """A uint8 thumbnail (longest side ~``size``) of an image row, path, array, or a function returning one."""
    if callable(source):
        source = source()
    pixels = source if isinstance(source, np.ndarray) else load_pixels(source)
    factor = max(1, int(np.ceil(max(pixels.shape) / size)))
    small = reduce_block(pixels, factor, how="mean").astype(np.float32)
    lo, hi = float(small.min()), float(small.max())
    return ((small - lo) * (255.0 / max(hi - lo, 1e-6))).astype(np.uint8)


def to_qimage(gray: np.ndarray) -> QImage:
    """Copy a (rows, cols) uint8 array into a QImage (owns its memory)."""
    gray = np.ascontiguousarray(gray, dtype=np.uint8)
    rows, cols = gray.shape
    return QImage(gray.data, cols, rows, cols, QImage.Format.Format_Grayscale8).copy()


class ThumbnailCache(QObject):
    """Lazy thumbnails keyed by any hashable id.

    Signals
    -------
    ready(object)
        The thumbnail of this key is now in the cache.
    """

    ready = Signal(object)

    def __init__(self, parent: QObject | None = None, *, size: int = 64) -> None:
        super().__init__(parent)
        self.size = size
        self._pixmaps: dict = {}
        self._pending: set = set()
        self._failed: set = set()
        self._queue: list = []  # (key, (source, size)) asked for since the last hand-over to the pool
        self._task = PoolTask(self)
        self._task.result.connect(self._on_result)
        self._task.error.connect(self._on_error)

    def get(self, key, source) -> QPixmap | None:
        """The pixmap if ready; otherwise start making it (``ready`` fires later)."""
        pix = self._pixmaps.get(key)
        if pix is None and key not in self._pending and key not in self._failed:
            self._pending.add(key)
            if not self._queue:  # a screenful asked for in one paint goes to the pool as one task
                QTimer.singleShot(0, self._flush)
            self._queue.append((key, (source, self.size)))
        return pix

    def _flush(self) -> None:
        items, self._queue = self._queue, []
        submit_each(self._task, make_thumbnail, items, priority=-1)  # behind image decodes and prefetches

    def clear(self) -> None:
        """Forget every thumbnail (new dataset)."""
        self._pixmaps.clear()
        self._failed.clear()
        self._pending.difference_update(key for key, _ in self._queue)
        self._queue.clear()

    @Slot(object, object)
    def _on_result(self, key, gray) -> None:
        self._pending.discard(key)
        pix = QPixmap.fromImage(to_qimage(gray))
        if max(pix.width(), pix.height()) < self.size:  # small lesion crops fill the tile like the rest
            pix = pix.scaled(self.size, self.size, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
        self._pixmaps[key] = pix
        self.ready.emit(key)

    @Slot(object, str)
    def _on_error(self, key, _message: str) -> None:
        self._pending.discard(key)
        self._failed.add(key)
