"""The DICOM tag browser (as in OHIF / Weasis): every header element of the shown image,
sequences nested, with a search box. Non-DICOM images show their catalog fields."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout

__all__ = ["TagDialog", "tag_rows", "with_header_fields"]

MAX_VALUE = 120  # characters of a value shown (long arrays are cut)


def tag_rows(ds, depth: int = 0) -> list[tuple[int, str, str, str, str]]:
    """Flatten a pydicom dataset: (depth, '(gggg,eeee)', name, VR, value) per element.

    Sequence items follow their sequence one level deeper; pixel data is
    never read (the header is parsed with ``header_only``).
    """
    rows = []
    for elem in ds:
        tag = f"({elem.tag.group:04X},{elem.tag.element:04X})"
        name = elem.name
        if elem.VR == "SQ":
            rows.append((depth, tag, name, "SQ", f"{len(elem.value)} item(s)"))
            for i, item in enumerate(elem.value, start=1):
                rows.append((depth + 1, "", f"Item {i}", "", ""))
                rows.extend(tag_rows(item, depth + 2))
            continue
        try:
            value = str(elem.repval if elem.VR in ("OB", "OW", "OF", "OD", "UN") else elem.value)
        except Exception:  # noqa: BLE001 - a malformed value is shown as such, never fatal
            value = "(cannot show this value)"
        rows.append((depth, tag, name, str(elem.VR), value[:MAX_VALUE] + ("..." if len(value) > MAX_VALUE else "")))
    return rows


def with_header_fields(row: dict, header: dict | None = None) -> dict:
    """``row`` plus the study date from the DICOM header when the catalog has none
    (for the corner text). ``header`` is what the loader read with the pixels
    (:attr:`DisplayImage.header`); without it, a header-only read here; a file
    that fails is left as it is."""
    if row.get("study_date") or str(row.get("format", "")) != "dicom":
        return row
    if header is not None and "study_date" in header:
        return {**row, "study_date": header["study_date"]} if header["study_date"] else row
    from ..core.dicom_read import DicomError, read_dataset

    try:
        date = str(read_dataset(row["path"], header_only=True).get("StudyDate", "") or "")
    except (DicomError, KeyError):
        return row
    return {**row, "study_date": date} if date else row


class TagDialog(QDialog):
    """A non-modal window listing the tags of one image."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("DICOM tags")
        self.resize(720, 560)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search tag, name or value (e.g. 0028, Window, MLO)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Tag", "Name", "VR", "Value"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)

    def show_image(self, row: dict) -> None:
        """List the tags of the catalog image ``row`` (its fields when it is not DICOM)."""
        self.tree.clear()
        image_id = str(row.get("image_id", ""))
        if str(row.get("format", "")) == "dicom":
            from ..core.dicom_read import DicomError, read_dataset

            try:
                rows = tag_rows(read_dataset(row["path"], header_only=True))
            except DicomError as exc:
                self.note.setText(str(exc))
                return
            self.note.setText(f"{image_id}: {row['path']}")
        else:
            rows = [(0, "", str(k), "", str(v)) for k, v in row.items()]
            self.note.setText(f"{image_id} is not a DICOM file ({row.get('format', '?')}): its catalog fields.")
        parents: dict[int, QTreeWidgetItem | None] = {-1: None}
        for depth, tag, name, vr, value in rows:
            item = QTreeWidgetItem([tag, name, vr, value])
            parent = parents.get(depth - 1)
            (parent.addChild(item) if parent is not None else self.tree.addTopLevelItem(item))
            parents[depth] = item
        self.tree.expandAll()
        for col in range(3):
            self.tree.resizeColumnToContents(col)
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        text = text.strip().lower()

        def visit(item: QTreeWidgetItem) -> bool:
            own = not text or any(text in item.text(c).lower() for c in range(4))
            child = False
            for i in range(item.childCount()):
                child = visit(item.child(i)) or child
            item.setHidden(not (own or child))
            return own or child

        for i in range(self.tree.topLevelItemCount()):
            visit(self.tree.topLevelItem(i))

    def keyPressEvent(self, event) -> None:  # noqa: D102 - Qt API
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
