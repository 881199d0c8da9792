"""The patch gallery: lesion and tissue tabs, virtualised (one model, lazy thumbnails).

A QListView in icon mode asks only for the rows it paints, so 150,000 patches
cost one index table in memory plus the thumbnails that were on screen.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QTabWidget, QVBoxLayout, QWidget

from ..core.patches.store import patch_labels, read_patch
from .jobs import PoolTask, submit
from .thumbnails import ThumbnailCache

__all__ = ["PatchListModel", "PatchGallery", "patch_paths"]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1
TILE = 64  # thumbnail side (px); the grid adds a margin


def _loading_tile(size: int = TILE) -> QPixmap:
    """A grey tile shown until a thumbnail is ready.

    It gives every item its full size from the first layout on: without it the
    view (uniform item sizes, measured on the first row) laid items out with zero
    width while the first thumbnail was still being made, so the default tab
    stayed blank and unclickable until something re-laid it out.
    """
    pix = QPixmap(size, size)
    pix.fill(QColor(60, 60, 60))
    return pix


def patch_paths(folder: Path, index: pd.DataFrame) -> list[str]:
    """A name per patch: its file's absolute path, ``<store path>#<patch_id>`` for a patch in a store.

    Vectorised: 150,000 Path joins take seconds. The names key the thumbnails.
    """
    return (str(folder) + os.sep + patch_labels(index).str.replace("/", os.sep)).tolist()


class PatchListModel(QAbstractListModel):
    """Rows of a patch index (one kind); the decoration is the patch's thumbnail, made lazily."""

    def __init__(self, folder: Path, index: pd.DataFrame, thumbs: ThumbnailCache, parent=None, *,
                 files: list[str] | None = None) -> None:
        super().__init__(parent)
        self.folder, self.index_df, self.thumbs = Path(folder), index, thumbs  # rows read by position
        self.files = files if files is not None else patch_paths(self.folder, index)
        self.row_of = dict(zip(self.files, range(len(self.files))))
        self._rel = index["file"].astype(str).tolist()
        self._pid = index["patch_id"].astype(str).tolist() if "patch_id" in index.columns else [None] * len(index)
        self.loading_tile = _loading_tile(thumbs.size)
        thumbs.ready.connect(self._on_thumb)

    def rowCount(self, parent=QModelIndex()):  # noqa: D102
        return 0 if parent.isValid() else len(self.files)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if not index.isValid():
            return None
        i = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            read = functools.partial(read_patch, self.folder, {"file": self._rel[i], "patch_id": self._pid[i]})
            return self.thumbs.get(self.files[i], read) or self.loading_tile  # read on the pool if not cached
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.thumbs.size + 4, self.thumbs.size + 4)
        if role == Qt.ItemDataRole.ToolTipRole:
            r = self.index_df.iloc[i]
            return "\n".join(f"{k}: {v}" for k, v in r.items() if str(v) != "")
        if role == ROW_ROLE:
            return self.index_df.iloc[i].to_dict()
        return None

    def _on_thumb(self, key) -> None:
        i = self.row_of.get(key)
        if i is not None:
            idx = self.index(i)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


def _list_view() -> QListView:
    view = QListView()
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(200)
    view.setIconSize(QSize(TILE, TILE))
    view.setGridSize(QSize(TILE + 8, TILE + 8))
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    return view


class PatchGallery(QWidget):
    """Lesion / tissue tabs over a patch dataset folder.

    Signals
    -------
    patchActivated(dict)
        The index row of a clicked patch (image_id, row, col, height, width, ...).
    loaded(str)
        The folder's patches are shown.
    failed(str)
        The folder could not be read (message names it).
    """

    patchActivated = Signal(dict)
    loaded = Signal(str)
    failed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.thumbs = ThumbnailCache(self, size=64)
        self._task = PoolTask(self)
        self._task.result.connect(self._on_index)
        self._task.error.connect(self._on_error)
        self.tabs = QTabWidget()
        self.info = QLabel("No patch dataset yet: run an extraction.")
        self.info.setWordWrap(True)
        self.models: dict[str, PatchListModel] = {}
        self.views: dict[str, QListView] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addWidget(self.tabs, 1)

    def open_folder(self, folder: str | Path) -> None:
        """Show the patches of ``folder`` (a patch dataset with index.csv).

        The index is read and split on the thread pool (150,000 rows take a
        while); ``loaded`` fires when the tabs are filled, ``failed`` on error.
        """
        self.info.setText(f"reading {folder} ...")
        submit(self._task, str(folder), _read_split, Path(folder))

    def _on_index(self, folder, parts: dict) -> None:
        self.tabs.clear()
        self.thumbs.clear()
        self.models, self.views = {}, {}
        for kind, (part, files) in parts.items():
            model = PatchListModel(Path(folder), part, self.thumbs, self, files=files)
            view = _list_view()
            view.setModel(model)
            view.clicked.connect(lambda idx, m=model: self.patchActivated.emit(m.data(idx, ROW_ROLE)))
            self.models[kind], self.views[kind] = model, view
            self.tabs.addTab(view, f"{kind.capitalize()} ({len(part)})")
        n = sum(len(p) for p, _ in parts.values())
        self.info.setText(f"{folder}: {n} patches. Click a patch to see it on its source image.")
        self.loaded.emit(str(folder))

    def _on_error(self, folder, message: str) -> None:
        self.info.setText(f"Error: cannot open the patch gallery of {folder}: {message}")
        self.failed.emit(message)


def _read_split(folder: Path) -> dict:
    """The patch index of ``folder`` split by kind (runs on the thread pool)."""
    from ..core.patches import read_index

    index = read_index(folder)
    parts = {kind: index[index["kind"] == kind].reset_index(drop=True) for kind in ("lesion", "tissue")}
    return {kind: (part, patch_paths(folder, part)) for kind, part in parts.items()}
