"""The patch gallery: lesion and tissue tabs, virtualised (one model, lazy thumbnails).

A QListView in icon mode asks only for the rows it paints, so 150,000 patches
cost one index table in memory plus the thumbnails that were on screen.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QTabWidget, QVBoxLayout, QWidget

from .thumbnails import ThumbnailCache

__all__ = ["PatchListModel", "PatchGallery"]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class PatchListModel(QAbstractListModel):
    """Rows of a patch index (one kind); the decoration is the patch PNG, made lazily."""

    def __init__(self, folder: Path, index: pd.DataFrame, thumbs: ThumbnailCache, parent=None) -> None:
        super().__init__(parent)
        self.folder, self.index_df, self.thumbs = Path(folder), index.reset_index(drop=True), thumbs
        self.files = [str(self.folder / f) for f in self.index_df["file"]]
        self.row_of = {f: i for i, f in enumerate(self.files)}
        thumbs.ready.connect(self._on_thumb)

    def rowCount(self, parent=QModelIndex()):  # noqa: D102
        return 0 if parent.isValid() else len(self.files)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if not index.isValid():
            return None
        i = index.row()
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbs.get(self.files[i], self.files[i])
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
    view.setIconSize(QSize(64, 64))
    view.setGridSize(QSize(72, 72))
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    return view


class PatchGallery(QWidget):
    """Lesion / tissue tabs over a patch dataset folder.

    Signals
    -------
    patchActivated(dict)
        The index row of a clicked patch (image_id, row, col, height, width, ...).
    """

    patchActivated = Signal(dict)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.thumbs = ThumbnailCache(self, size=64)
        self.tabs = QTabWidget()
        self.info = QLabel("No patch dataset yet: run an extraction.")
        self.models: dict[str, PatchListModel] = {}
        self.views: dict[str, QListView] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addWidget(self.tabs, 1)

    def open_folder(self, folder: str | Path) -> None:
        """Show the patches of ``folder`` (a patch dataset with index.csv)."""
        from ..core.patches import read_index

        folder = Path(folder)
        index = read_index(folder)
        self.tabs.clear()
        self.thumbs.clear()
        self.models, self.views = {}, {}
        for kind in ("lesion", "tissue"):
            part = index[index["kind"] == kind]
            model = PatchListModel(folder, part, self.thumbs, self)
            view = _list_view()
            view.setModel(model)
            view.clicked.connect(lambda idx, m=model: self.patchActivated.emit(m.data(idx, ROW_ROLE)))
            self.models[kind], self.views[kind] = model, view
            self.tabs.addTab(view, f"{kind.capitalize()} ({len(part)})")
        self.info.setText(f"{folder}: {len(index)} patches. Click a patch to see it on its source image.")
