"""A list model of catalog images for combo boxes and lists of 100,000+ images.

Filling a ``QComboBox`` item by item costs microseconds per image plus a Python
row dict each (seconds at 200,000 images, on the GUI thread). This model keeps
column arrays and formats a row's text only when the view paints it; the
image id is the ``UserRole`` data, so ``QComboBox.itemData`` works unchanged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

__all__ = ["ImageListModel"]


class ImageListModel(QAbstractListModel):
    """Rows of an images table, shown as '<patient> <side> <view>  <last 12 characters of the id>'.

    :meth:`set_images` replaces them (one model reset); the image id is ``UserRole`` data.
    """

    KEYS = ("image_id", "patient_id", "laterality", "view")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._cols = [np.zeros(0, dtype=object) for _ in self.KEYS]

    def set_images(self, images: pd.DataFrame | None) -> None:
        """List the rows of ``images`` (catalog columns image_id, patient_id, laterality, view), in
        their order; None lists nothing."""
        self.beginResetModel()
        self._cols = [np.zeros(0, dtype=object) if images is None else images[k].to_numpy(dtype=object)
                      for k in self.KEYS]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: D102
        return 0 if parent.isValid() else len(self._cols[0])

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if not index.isValid():
            return None
        r = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            image_id, patient, side, view = (str(c[r]) for c in self._cols)
            return f"{patient} {side} {view}  {image_id[-12:]}"
        if role == Qt.ItemDataRole.UserRole:
            return str(self._cols[0][r])
        return None
