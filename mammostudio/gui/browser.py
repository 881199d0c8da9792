"""The study browser: patient -> study -> image tree over the catalog (model/view)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QSize, QSortFilterProxyModel, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLineEdit, QTreeView, QVBoxLayout, QWidget

from .state import AppState
from .thumbnails import ThumbnailCache

__all__ = ["StudyModel", "StudyFilterProxy", "StudyBrowser", "COLUMNS"]

COLUMNS = ("Name", "View", "Side", "Lesions", "Types", "Manufacturer", "Model", "mA", "Mag.", "Size")
THUMB = 28
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


class _Node:
    __slots__ = ("kind", "key", "parent", "children", "row", "values")

    def __init__(self, kind: str, key: str, parent, row: int, values=()) -> None:
        self.kind, self.key, self.parent, self.row = kind, key, parent, row
        self.children: list[_Node] = []
        self.values = values


def _aggregate(node: _Node, col: int):
    """Sort key of a patient/study row: total lesions, else the smallest child value."""
    leaves = [node] if node.kind == "image" else [n for c in node.children for n in _leaves(c)]
    if col == 3:
        return sum(int(n.values[3]) for n in leaves)
    return min((str(n.values[col]) for n in leaves), default="")


def _leaves(node: _Node) -> list[_Node]:
    return [node] if node.kind == "image" else [n for c in node.children for n in _leaves(c)]


class StudyModel(QAbstractItemModel):
    """Three-level tree: patients, their studies, their images (one row per image)."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.thumbs = ThumbnailCache(self)
        self.thumbs.ready.connect(self._on_thumb)
        self.root = _Node("root", "", None, 0)
        self.image_nodes: dict[str, _Node] = {}
        # Every row the same height (uniform rows keep big trees fast): rows
        # without a thumbnail yet show a blank one.
        self._blank = QPixmap(THUMB, THUMB)
        self._blank.fill(Qt.GlobalColor.transparent)
        state.catalogChanged.connect(self.reload)
        state.lesionsChanged.connect(self.update_image)
        self.reload()

    def update_image(self, image_id: str) -> None:
        """Refresh the lesion columns of one image row (a box edit), keeping the tree as it is."""
        node = self.image_nodes.get(image_id)
        if node is None:
            return
        les = self.state.lesions_of(image_id)
        types = ", ".join(sorted(set(les["lesion_type"]) - {""}))
        node.values = (*node.values[:3], len(les), types, *node.values[5:])
        self.dataChanged.emit(self.createIndex(node.row, 3, node), self.createIndex(node.row, 4, node))

    def reload(self) -> None:
        """Rebuild from the state's catalog."""
        self.beginResetModel()
        self.root = _Node("root", "", None, 0)
        self.image_nodes = {}
        cat = self.state.catalog
        if cat is not None:
            counts = cat.lesions.groupby("image_id")["lesion_uid"].count()
            types = cat.lesions.groupby("image_id")["lesion_type"].agg(lambda s: ", ".join(sorted(set(s) - {""})))
            imgs = cat.images.sort_values(["patient_id", "study_id", "laterality", "view", "image_id"])
            for pid, pdf in imgs.groupby("patient_id", sort=False):
                pnode = _Node("patient", str(pid), self.root, len(self.root.children))
                self.root.children.append(pnode)
                for sid, sdf in pdf.groupby("study_id", sort=False):
                    snode = _Node("study", str(sid), pnode, len(pnode.children))
                    pnode.children.append(snode)
                    for r in sdf.itertuples(index=False):
                        iid = str(r.image_id)
                        size = f"{r.rows}x{r.cols}" if str(r.rows) != "<NA>" else ""
                        vals = (iid, r.view, r.laterality, int(counts.get(iid, 0)), types.get(iid, ""),
                                r.manufacturer, r.model_name, r.tube_current_ma, r.magnification, size)
                        inode = _Node("image", iid, snode, len(snode.children), vals)
                        snode.children.append(inode)
                        self.image_nodes[iid] = inode
        self.endResetModel()

    # -- Qt model API --------------------------------------------------------------
    def _node(self, index: QModelIndex) -> _Node:
        return index.internalPointer() if index.isValid() else self.root

    def index(self, row, column, parent=QModelIndex()):  # noqa: D102
        node = self._node(parent)
        if 0 <= row < len(node.children) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, node.children[row])
        return QModelIndex()

    def parent(self, index=QModelIndex()):  # noqa: D102
        if not index.isValid():
            return QModelIndex()
        p = index.internalPointer().parent
        return QModelIndex() if p is None or p is self.root else self.createIndex(p.row, 0, p)

    def rowCount(self, parent=QModelIndex()):  # noqa: D102
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent=QModelIndex()):  # noqa: D102
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):  # noqa: D102
        if not index.isValid():
            return None
        node, col = index.internalPointer(), index.column()
        if role == ID_ROLE:
            return node.key
        if node.kind != "image":
            if role == Qt.ItemDataRole.ToolTipRole and col == 0:
                return node.key
            if role == Qt.ItemDataRole.DecorationRole and col == 0:
                return self._blank
            if role == SORT_ROLE and col != 0:
                return _aggregate(node, col)
            if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE) and col == 0:
                n = len(node.children)
                return f"{node.key}  ({n} {'studies' if node.kind == 'patient' else 'images'})" \
                    if role == Qt.ItemDataRole.DisplayRole else node.key
            return None
        value = node.values[col]
        if role == SORT_ROLE:
            return value if isinstance(value, (int, float)) and str(value) != "<NA>" else str(value)
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if value is None or str(value) in ("<NA>", "nan") else str(value)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self.thumbs.get(node.key, self.state.image_row(node.key)) or self._blank
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return f"patient {node.parent.parent.key}\nstudy {node.parent.key}\nimage {node.key}"
        return None

    def _on_thumb(self, image_id) -> None:
        node = self.image_nodes.get(image_id)
        if node is not None:
            idx = self.createIndex(node.row, 0, node)
            self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class StudyFilterProxy(QSortFilterProxyModel):
    """Shows images kept by the filter panel and matching the search text (any column,
    patient and study ids included); patients and studies with no image shown are hidden."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.text = ""
        self.setRecursiveFilteringEnabled(True)
        self.setSortRole(SORT_ROLE)
        state.filterChanged.connect(self.refilter)

    def set_text(self, text: str) -> None:
        """Search text (case-insensitive substring)."""
        self.text = text.strip().lower()
        self.refilter()

    def refilter(self) -> None:
        """Apply the filters again (kept ids or search text changed)."""
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row, source_parent):  # noqa: D102
        parent = source_parent.internalPointer() if source_parent.isValid() else self.sourceModel().root
        node = parent.children[source_row]
        if node.kind != "image":
            return False  # shown through recursive filtering when a child is
        if node.key not in self.state.kept_ids:
            return False
        if not self.text:
            return True
        hay = " ".join(map(str, (node.parent.parent.key, node.parent.key, *node.values))).lower()
        return self.text in hay


class StudyBrowser(QWidget):
    """Search box + tree; selecting an image row sets the state's current image."""

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = StudyModel(state, self)
        self.proxy = StudyFilterProxy(state, self)
        self.proxy.setSourceModel(self.model)
        self.search = QLineEdit(placeholderText="Search patient, study, image, view, type ...")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setIconSize(QSize(THUMB, THUMB))
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self.model.modelReset.connect(self._after_reset)
        state.currentImageChanged.connect(self._follow_state)

    def _after_reset(self) -> None:
        if len(self.model.image_nodes) <= 5000:
            self.tree.expandAll()
        else:
            self.tree.expandToDepth(0)
        for col in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(col)
        # Long DICOM UIDs are elided in the middle (full ids in the tooltip).
        self.tree.setColumnWidth(0, max(160, min(self.tree.columnWidth(0), 300)))

    def _on_current(self, current, _previous) -> None:
        src = self.proxy.mapToSource(current)
        if src.isValid() and src.internalPointer().kind == "image":
            self.state.select(src.internalPointer().key)

    def _follow_state(self, image_id: str) -> None:
        node = self.model.image_nodes.get(image_id)
        if node is None:
            return
        idx = self.proxy.mapFromSource(self.model.createIndex(node.row, 0, node))
        if idx.isValid() and idx != self.tree.currentIndex():
            self.tree.setCurrentIndex(idx)
            self.tree.scrollTo(idx)

    def visible_image_ids(self) -> list[str]:
        """Image ids in the order the tree shows them (for next/previous navigation)."""
        out: list[str] = []

        def walk(parent: QModelIndex) -> None:
            for r in range(self.proxy.rowCount(parent)):
                idx = self.proxy.index(r, 0, parent)
                node = self.proxy.mapToSource(idx).internalPointer()
                if node.kind == "image":
                    out.append(node.key)
                else:
                    walk(idx)

        walk(QModelIndex())
        return out
