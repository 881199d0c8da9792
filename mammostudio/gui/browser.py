"""The study browser: a sortable, searchable table of the catalog's images (model/view).

Built for archives of 100,000+ images. :func:`study_table` turns a catalog into
column arrays once (off the GUI thread for big catalogs); :class:`StudyTableModel`
serves only the rows the view paints (``data()`` is a lookup in those arrays);
which rows are shown, and in which order, is one integer array computed by
:func:`visible_order` - filter-panel mask, search text, sort column - on a pool
thread when the table is big, so typing, filtering and sorting never hold the
event loop. Rows are grouped patient -> study -> hanging order (RCC, LCC, RMLO,
LMLO) -> image id by default; any column header sorts (ties keep that grouping).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from .jobs import PoolTask, submit
from .state import AppState
from ..core.study_table import COLUMNS, KEYS, NUMERIC, OPTIONAL, StudyTable, search_text, study_table, visible_order
from .thumbnails import ThumbnailCache

__all__ = ["StudyTable", "StudyTableModel", "StudyBrowser", "COLUMNS", "KEYS", "study_table", "visible_order",
           "ASYNC_FROM"]

IMAGE_COL = KEYS.index("image_id")
THUMB = 28
ID_ROLE = Qt.ItemDataRole.UserRole + 2
ASYNC_FROM = 20_000  # rows; smaller tables are filtered and sorted in place (a few ms)


class StudyTableModel(QAbstractTableModel):
    """Rows ``order`` of a :class:`StudyTable`; ``data()`` touches only the rows painted."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.table: StudyTable | None = None
        self.order = np.zeros(0, np.int64)
        self.position = np.zeros(0, np.int64)  # table row -> shown row (-1: hidden)
        self.thumbs = ThumbnailCache(self)
        self.thumbs.ready.connect(self._on_thumb)
        self._blank = QPixmap(THUMB, THUMB)
        self._blank.fill(Qt.GlobalColor.transparent)
        self._problem_brush = QBrush(QColor(200, 40, 40))

    def set_rows(self, table: StudyTable | None, order: np.ndarray) -> None:
        """Show ``order`` rows of ``table`` (one model reset)."""
        self.beginResetModel()
        if table is not self.table:
            self.thumbs.clear()
        self.table, self.order = table, order
        self.position = np.full(len(table) if table is not None else 0, -1, np.int64)
        self.position[order] = np.arange(len(order))
        self.endResetModel()

    def image_id(self, row: int) -> str:
        """The image id shown in ``row``."""
        return str(self.table.ids[self.order[row]])

    def row_of(self, image_id: str) -> int:
        """The shown row of ``image_id`` (-1 when hidden or unknown)."""
        if self.table is None:
            return -1
        r = self.table.row_of.get(image_id)
        return -1 if r is None else int(self.position[r])

    def refresh_image(self, image_id: str, values: dict) -> None:
        """Replace some display values of one image (a box edit) without a reset."""
        r = self.table.row_of.get(image_id) if self.table is not None else None
        if r is None:
            return
        for key, value in values.items():
            self.table.text[key][r] = value
            self.table.filled[key] = self.table.filled.get(key, False) or value != ""
            if key in self.table.numbers:
                self.table.numbers[key][r] = float(value)
            self.table.ranks.pop(key, None)
        self.table.hay[r] = search_text(self.table, r)
        shown = int(self.position[r])
        if shown >= 0:
            self.dataChanged.emit(self.index(shown, 0), self.index(shown, len(COLUMNS) - 1))

    # -- Qt model API --------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()):  # noqa: D102
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent=QModelIndex()):  # noqa: D102
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if not index.isValid() or self.table is None:
            return None
        r, key = int(self.order[index.row()]), KEYS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.table.text[key][r]
        if role == ID_ROLE:
            return str(self.table.ids[r])
        problem = self.table.text["problem"][r]
        if role == Qt.ItemDataRole.ToolTipRole:
            return problem or (self.table.text[key][r] if key in ("patient_id", "study_id", "image_id") else None)
        if role == Qt.ItemDataRole.ForegroundRole and problem:
            return self._problem_brush
        if role == Qt.ItemDataRole.DecorationRole and index.column() == IMAGE_COL:
            if problem:
                return None
            source = {k: v[r] for k, v in self.table.files.items()}
            return self.thumbs.get(str(self.table.ids[r]), source) or self._blank
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _on_thumb(self, image_id) -> None:
        shown = self.row_of(str(image_id))
        if shown >= 0:
            idx = self.index(shown, IMAGE_COL)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class StudyBrowser(QWidget):
    """Search box + study table; selecting a row sets the state's current image.

    Signals
    -------
    orderChanged()
        The shown rows changed (filter, search, sort or a new dataset).
    """

    orderChanged = Signal()

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = StudyTableModel(self)
        self.table: StudyTable | None = None
        self.prepared: dict = {}  # id(catalog) -> StudyTable made by the open job
        self.sort_key: str | None = None
        self.descending = False
        self._generation = 0
        self._task = PoolTask(self)
        self._task.result.connect(self._on_result)
        self._task.error.connect(lambda _k, msg: state.message.emit(f"study table: {msg}"))
        self.search = QLineEdit(placeholderText="Search patient, study, image, view, type, category ...")
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self, singleShot=True, interval=120)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._on_text)
        self.count = QLabel("")
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vh = self.view.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row size queries at 200,000 rows
        vh.setDefaultSectionSize(THUMB + 4)
        vh.hide()
        hh = self.view.horizontalHeader()
        hh.setSectionsClickable(True)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh.sectionClicked.connect(self._on_header)
        for col, (_, key) in enumerate(COLUMNS):
            self.view.setColumnWidth(col, {"patient_id": 110, "study_id": 120, "image_id": 170, "types": 120,
                                           "problem": 260}.get(key, 70))
        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        self._order_asked = False  # a big table's order job is asked for this turn
        state.catalogChanged.connect(self._on_catalog)
        state.filterChanged.connect(self.refresh)
        state.lesionsChanged.connect(self._on_lesions)
        state.currentImageChanged.connect(self._follow_state)
        self._on_catalog()

    # -- data ------------------------------------------------------------------------
    def _on_catalog(self) -> None:
        cat = self.state.catalog
        self._generation += 1
        if cat is None:
            self.table = None
            self.model.set_rows(None, np.zeros(0, np.int64))
            return
        table = self.prepared.pop(id(cat), None)
        if table is not None or len(cat.images) < ASYNC_FROM:
            self._install(table or study_table(cat.images, cat.lesions, cat.problems))
            return
        self.count.setText(f"preparing {len(cat.images):,} rows ...")
        submit(self._task, ("table", self._generation), study_table, cat.images, cat.lesions, list(cat.problems))

    def _install(self, table: StudyTable) -> None:
        self.table = table
        for col, key in enumerate(KEYS):
            empty = key in OPTIONAL and not table.filled.get(key, True)
            self.view.setColumnHidden(col, bool(empty))
        self.model.set_rows(table, np.zeros(0, np.int64))
        self.refresh()

    def _on_text(self, _text: str) -> None:
        if self.table is not None and len(self.table) >= ASYNC_FROM:
            self._search_timer.start()
        else:
            self.refresh()

    def refresh(self) -> None:
        """Recompute the shown rows (sync for small tables; for big ones on a pool thread,
        once for all the requests of one turn of the event loop: a new dataset asks
        three times, from the catalog, the filter panel and the state)."""
        table = self.table
        if table is None:
            return
        self._generation += 1
        if len(table) < ASYNC_FROM:
            self._show(table, visible_order(table, self.state.kept_ids, self.search.text(), self.sort_key,
                                            self.descending))
            return
        self.count.setText(f"{self.count.text().split(' (')[0]} (updating ...)")
        if not self._order_asked:
            self._order_asked = True
            QTimer.singleShot(0, self, self._ask_order)

    def _ask_order(self) -> None:
        self._order_asked = False
        table = self.table
        if table is None or len(table) < ASYNC_FROM:
            return
        args = (table, self.state.kept_ids, self.search.text(), self.sort_key, self.descending)
        submit(self._task, ("order", self._generation), visible_order, *args)

    def _on_result(self, key, value) -> None:
        kind, generation = key
        if generation != self._generation:
            return  # a newer request is on its way
        if kind == "table":
            self._install(value)
        else:
            self._show(self.table, value)

    def _show(self, table: StudyTable, order: np.ndarray) -> None:
        current = self.state.current_image
        self.model.set_rows(table, order)
        self.count.setText(f"{len(order):,} of {len(table):,} images")
        row = self.model.row_of(current) if current else -1
        if row >= 0:
            self.view.selectionModel().blockSignals(True)
            self.view.setCurrentIndex(self.model.index(row, 0))
            self.view.selectionModel().blockSignals(False)
        self.orderChanged.emit()

    def _on_header(self, col: int) -> None:
        key = KEYS[col]
        if self.sort_key == key:
            self.descending = not self.descending
        else:
            self.sort_key, self.descending = key, False
        self.view.horizontalHeader().setSortIndicator(
            col, Qt.SortOrder.DescendingOrder if self.descending else Qt.SortOrder.AscendingOrder)
        self.refresh()

    def sort_by(self, key: str | None, descending: bool = False) -> None:
        """Sort by column ``key`` (None: the patient/study grouping)."""
        self.sort_key, self.descending = key, descending
        col = KEYS.index(key) if key else -1
        self.view.horizontalHeader().setSortIndicator(
            col, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
        self.refresh()

    def _on_lesions(self, image_id: str) -> None:
        if self.table is None:
            return
        les = self.state.lesions_of(image_id)
        statuses = [s for s in les["status_ordinal"].dropna().tolist()] if len(les) else []
        values = {"lesions": str(len(les)), "types": ", ".join(sorted(set(les["lesion_type"]) - {""})),
                  "category": f"B{int(max(statuses))}" if statuses else ""}
        self.model.refresh_image(image_id, values)

    # -- selection and order -------------------------------------------------------------
    def _on_current(self, current, _previous) -> None:
        if current.isValid():
            self.state.select(self.model.image_id(current.row()))

    def _follow_state(self, image_id: str) -> None:
        row = self.model.row_of(image_id) if image_id else -1
        if row >= 0 and row != self.view.currentIndex().row():
            self.view.selectionModel().blockSignals(True)
            self.view.setCurrentIndex(self.model.index(row, 0))
            self.view.selectionModel().blockSignals(False)
            self.view.scrollTo(self.model.index(row, 0))

    def visible_image_ids(self) -> list[str]:
        """Image ids in the order the table shows them (for next/previous navigation)."""
        if self.table is None:
            return []
        return self.table.ids[self.model.order].tolist()

    def neighbour(self, image_id: str, step: int) -> str:
        """The id ``step`` rows after ``image_id`` in the shown order (clamped; the first
        row when ``image_id`` is not shown)."""
        n = len(self.model.order)
        if n == 0:
            return ""
        row = self.model.row_of(image_id)
        if row < 0:
            return self.model.image_id(0)
        return self.model.image_id(min(max(row + step, 0), n - 1))
