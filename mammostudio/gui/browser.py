"""The study browser: a sortable, searchable table of the catalog's images (model/view).

Built for archives of 100,000+ images. :func:`study_table` turns a catalog into
column arrays once (off the GUI thread for big catalogs); :class:`StudyTableModel`
serves only the rows the view paints (``data()`` is a lookup in those arrays);
which rows are shown, and in which order, is one integer array computed by
:func:`visible_order` - filter-panel mask, search text, sort column - on a pool
thread when the table is big, so typing, filtering and sorting never hold the
event loop. Rows are grouped patient -> study -> image id by default; any
column header sorts (ties keep that grouping).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from .jobs import PoolTask, submit
from .state import AppState
from .thumbnails import ThumbnailCache

__all__ = ["StudyTable", "StudyTableModel", "StudyBrowser", "COLUMNS", "study_table", "visible_order",
           "ASYNC_FROM"]

# (header, table key); optional columns are hidden when the catalog has no value in them
COLUMNS = (("Patient", "patient_id"), ("Study", "study_id"), ("Image", "image_id"), ("Side", "laterality"),
           ("View", "view"), ("Lesions", "lesions"), ("Types", "types"), ("Category", "category"),
           ("Pathology", "pathology"), ("BI-RADS", "birads"), ("Density", "density"),
           ("Manufacturer", "manufacturer"), ("Model", "model_name"), ("mA", "tube_current_ma"),
           ("Mag.", "magnification"), ("Size", "size"), ("Problem", "problem"))
KEYS = tuple(k for _, k in COLUMNS)
OPTIONAL = {"pathology", "birads", "density", "category", "manufacturer", "model_name", "tube_current_ma",
            "magnification", "problem"}
NUMERIC = {"lesions", "tube_current_ma", "magnification"}
IMAGE_COL = KEYS.index("image_id")
THUMB = 28
ID_ROLE = Qt.ItemDataRole.UserRole + 2
ASYNC_FROM = 20_000  # rows; smaller tables are filtered and sorted in place (a few ms)
_GROUPING = ("patient_id", "study_id", "image_id")


@dataclass
class StudyTable:
    """Column arrays of one catalog, ready for display, search and sort."""

    ids: np.ndarray  # object array of image ids
    text: dict  # key -> object array of display strings
    numbers: dict  # key -> float array (NaN = none) for the numeric columns
    hay: np.ndarray  # lower-case search text per row
    row_of: dict  # image id -> row
    files: dict  # 'path' and 'format' arrays (thumbnails load from them)
    ranks: dict = field(default_factory=dict)  # key -> int32 rank (computed on first sort)
    grouping: np.ndarray | None = None  # the default order
    filled: dict = field(default_factory=dict)  # key -> any row has a value (empty columns are hidden)

    def __len__(self) -> int:
        return len(self.ids)

    def rank(self, key: str) -> np.ndarray:
        """Dense rank of column ``key`` (numbers numerically, text as text); cached."""
        if key not in self.ranks:
            if key in self.numbers:
                values = self.numbers[key]
                self.ranks[key] = np.unique(np.nan_to_num(values, nan=-np.inf), return_inverse=True)[1].astype(np.int32)
            else:  # fixed-width unicode: numpy sorts it without holding the GIL
                values = self.text[key].astype(str) if len(self.ids) else np.array([], str)
                self.ranks[key] = np.unique(values, return_inverse=True)[1].astype(np.int32)
        return self.ranks[key]


def _join(series: pd.Series) -> pd.Series:
    """Per image: the distinct non-empty values, sorted, joined by ', '."""
    s = series.astype(str)
    s = s[(s != "") & (s != "<NA>") & (s != "nan")]
    if s.empty:
        return pd.Series(dtype=object)
    frame = s.reset_index().drop_duplicates().sort_values(list(s.reset_index().columns))
    return frame.groupby(frame.columns[0])[frame.columns[1]].agg(", ".join)


def _fmt(values: pd.Series) -> np.ndarray:
    out = values.astype(object).where(values.notna(), "")
    return np.array([("" if v == "" else f"{v:g}" if isinstance(v, float) else str(v)) for v in out], dtype=object)


def study_table(images: pd.DataFrame, lesions: pd.DataFrame, problems=()) -> StudyTable:
    """The table of :class:`StudyTableModel` (vectorised; safe to run on a worker thread).

    Parameters
    ----------
    images, lesions : DataFrame
        The catalog tables (lesions with boxes marked wrong included: the viewer shows them).
        Optional columns used when present: lesions ``pathology``, ``birads``;
        images ``density``, ``birads``, ``tissue``.
    problems : iterable of Problem
        Images named by a problem (by path) get it in the Problem column.
    """
    n = len(images)
    ids = images["image_id"].astype(str).to_numpy(dtype=object)
    by_image = lesions.set_index("image_id") if len(lesions) else lesions
    count = lesions.groupby("image_id").size() if len(lesions) else pd.Series(dtype=int)
    text: dict[str, np.ndarray] = {}
    for key in ("patient_id", "study_id", "image_id", "laterality", "view", "manufacturer", "model_name"):
        text[key] = images[key].astype(str).to_numpy(dtype=object)
    index = pd.Index(ids)
    if not index.is_unique:
        raise ValueError("duplicate image ids in the catalog")

    def per_image(series: pd.Series) -> np.ndarray:
        out = series.astype(object).reindex(index)
        return out.where(out.notna(), "").to_numpy(dtype=object)

    empty = np.full(n, "", dtype=object)
    text["types"] = per_image(_join(by_image["lesion_type"])) if len(lesions) else empty
    if len(lesions):
        best = lesions.loc[lesions["status_ordinal"].notna()].groupby("image_id")["status_ordinal"].max()
        text["category"] = per_image("B" + best.astype(int).astype(str))
    else:
        text["category"] = empty
    for key in ("pathology", "birads"):
        col = per_image(_join(by_image[key])) if len(lesions) and key in lesions.columns else empty
        if key == "birads" and "birads" in images.columns:
            own = images["birads"].astype(object).where(images["birads"].notna(), "").astype(str).to_numpy(object)
            col = np.where(col == "", own, col)
        text[key] = col
    density = images["density"] if "density" in images.columns else images.get("tissue", pd.Series([""] * n))
    text["density"] = density.astype(object).where(density.notna(), "").astype(str).to_numpy(dtype=object)
    numbers = {"lesions": count.reindex(index).fillna(0).to_numpy(dtype=float),
               "tube_current_ma": pd.to_numeric(images["tube_current_ma"], errors="coerce").to_numpy(float, na_value=np.nan),
               "magnification": pd.to_numeric(images["magnification"], errors="coerce").to_numpy(float, na_value=np.nan)}
    text["lesions"] = numbers["lesions"].astype(int).astype(str).astype(object)
    text["tube_current_ma"] = _fmt(images["tube_current_ma"])
    text["magnification"] = _fmt(images["magnification"])
    known = (images["rows"].notna() & images["cols"].notna()).tolist()
    text["size"] = np.array([f"{r}x{c}" if k else "" for r, c, k in
                             zip(images["rows"].tolist(), images["cols"].tolist(), known)], dtype=object)
    why = {}
    for p in problems:
        why.setdefault(p.path, p.message)
    text["problem"] = images["path"].map(why).fillna("").to_numpy(dtype=object) if why else empty
    searchable = ("patient_id", "study_id", "image_id", "laterality", "view", "types", "category", "pathology",
                  "birads", "density", "manufacturer", "model_name")
    hay = text[searchable[0]].copy()
    for key in searchable[1:]:
        hay = hay + " " + text[key]
    hay = np.array([h.lower() for h in hay], dtype=object)
    text = {k: np.array(v, dtype=object) for k, v in text.items()}  # writable (box edits change rows)
    numbers = {k: np.array(v, dtype=float) for k, v in numbers.items()}
    files = {k: images[k].astype(str).to_numpy(dtype=object) for k in ("path", "format")}
    table = StudyTable(ids=ids, text=text, numbers=numbers, hay=hay, row_of={i: r for r, i in enumerate(ids)},
                       files=files)
    table.filled = {k: bool((v != "").any()) for k, v in text.items()}
    table.grouping = np.lexsort([table.rank(k) for k in reversed(_GROUPING)]).astype(np.int64) if n else \
        np.zeros(0, np.int64)
    return table


def visible_order(table: StudyTable, kept: set | None, text: str, sort_key: str | None,
                  descending: bool = False) -> np.ndarray:
    """Rows to show, in order: kept by the filter panel (None = all), containing ``text``
    (case-insensitive) and sorted by ``sort_key`` (None: patient, study, side, view)."""
    order = table.grouping
    mask = np.ones(len(table), bool)
    if kept is not None and len(kept) != len(table):
        mask = np.fromiter((i in kept for i in table.ids), bool, len(table))
    needle = text.strip().lower()
    if needle:
        mask &= np.fromiter((needle in h for h in table.hay), bool, len(table))
    if sort_key is not None:
        # a stable sort of the grouped order: ties stay grouped by patient and study
        key = table.rank(sort_key)[order]
        order = order[np.argsort(-key if descending else key, kind="stable")]
    return order[mask[order]]


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
        self.table.hay[r] = " ".join(str(self.table.text[k][r]) for k in
                                     ("patient_id", "study_id", "image_id", "laterality", "view", "types",
                                      "category", "pathology", "birads", "density", "manufacturer",
                                      "model_name")).lower()
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
        """Recompute the shown rows (sync for small tables, on a pool thread for big ones)."""
        table = self.table
        if table is None:
            return
        self._generation += 1
        kept = self.state.kept_ids
        args = (table, kept, self.search.text(), self.sort_key, self.descending)
        if len(table) < ASYNC_FROM:
            self._show(table, visible_order(*args))
        else:
            self.count.setText(f"{self.count.text().split(' (')[0]} (updating ...)")
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
