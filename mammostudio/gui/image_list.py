"""A list model of catalog images for combo boxes and lists of 100,000+ images.

Filling a ``QComboBox`` item by item costs microseconds per image plus a Python
row dict each (seconds at 200,000 images, on the GUI thread). This model keeps
column arrays and formats a row's text only when the view paints it; the
image id is the ``UserRole`` data, so ``QComboBox.itemData`` works unchanged.
:meth:`ImageListModel.list_normal` finds a catalog's box-free images in place
for small catalogs and on a pool thread for big ones (a newer request drops an
older answer), like the study table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt

from .browser import ASYNC_FROM
from .jobs import PoolTask, submit

__all__ = ["ImageListModel", "normal_images"]

KEYS = ("image_id", "patient_id", "laterality", "view")


def normal_images(images: pd.DataFrame, lesions: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``images`` without a lesion box (columns :data:`KEYS`; any thread)."""
    boxed = images["image_id"].isin(lesions["image_id"].to_numpy()).to_numpy(dtype=bool)
    return images.loc[~boxed, list(KEYS)]


class ImageListModel(QAbstractListModel):
    """Rows of an images table, shown as '<patient> <side> <view>  <last 12 characters of the id>'.

    :meth:`set_images` replaces them (one model reset); the image id is ``UserRole`` data.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._cols = [np.zeros(0, dtype=object) for _ in KEYS]
        self._generation = 0
        self._task = PoolTask(self)
        self._task.result.connect(lambda g, images: self.set_images(images) if g == self._generation else None)

    def list_normal(self, catalog) -> None:
        """List ``catalog``'s box-free images (None: nothing); from
        :data:`~mammostudio.gui.browser.ASYNC_FROM` images they are found on a pool thread
        and the list stays empty meanwhile."""
        self._generation += 1
        if catalog is None or len(catalog.images) < ASYNC_FROM:
            self.set_images(None if catalog is None else normal_images(catalog.images, catalog.lesions))
            return
        self.set_images(None)
        submit(self._task, self._generation, normal_images, catalog.images, catalog.lesions)

    def set_images(self, images: pd.DataFrame | None) -> None:
        """List the rows of ``images`` (catalog columns image_id, patient_id, laterality, view), in
        their order; None lists nothing. Rows are removed and inserted, not reset: a combo box
        with placeholder text then keeps no item chosen."""
        old = len(self._cols[0])
        if old:
            self.beginRemoveRows(QModelIndex(), 0, old - 1)
            self._cols = [np.zeros(0, dtype=object) for _ in KEYS]
            self.endRemoveRows()
        if images is not None and len(images):
            self.beginInsertRows(QModelIndex(), 0, len(images) - 1)
            self._cols = [images[k].to_numpy(dtype=object) for k in KEYS]
            self.endInsertRows()

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
