"""Lesion boxes on the canvas: shown with type and category, edited with pyqtgraph ROIs.

Every edit goes to :class:`~mammostudio.gui.state.AppState` as an undoable
command (saved to the sidecar); the boxes are redrawn from the state when its
``lesionsChanged`` fires, never patched in place.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer

from ..core.boxes import box_from_edges, box_to_rect
from .canvas import ImageCanvas
from .state import AppState

__all__ = ["BoxLayer", "box_label"]

_PEN = {"ok": pg.mkPen((255, 200, 0), width=2), "wrong": pg.mkPen((255, 60, 60), width=2, style=Qt.PenStyle.DashLine),
        "selected": pg.mkPen((255, 255, 255), width=3)}


def box_label(lesion_type: str, status: str, wrong: bool, *, pathology: str = "", birads: str = "") -> str:
    """The text drawn beside a box: type, biopsy category, pathology and BI-RADS when
    known ('WRONG' when marked), e.g. 'mass B5 malignant BI-RADS 4'."""
    parts = (lesion_type or "unknown type", status, "" if pathology == "unknown" else pathology,
             f"BI-RADS {birads}" if birads else "")
    text = " ".join(t for t in parts if t)
    return f"WRONG: {text}" if wrong else text


class BoxLayer(QObject):
    """The editable boxes of the current image; the selection is the state's ``selected_box``."""

    def __init__(self, canvas: ImageCanvas, state: AppState) -> None:
        super().__init__(canvas)
        self.canvas, self.state = canvas, state
        self.rois: dict[str, pg.RectROI] = {}
        self.labels: list[pg.TextItem] = []
        self.image_id = ""
        self.editable = False
        self.selected = state.selected_box
        self.visible = True
        canvas.view.boxDrawn.connect(self._on_drawn)
        state.lesionsChanged.connect(self._on_lesions_changed)
        state.boxSelected.connect(self._on_selected)

    # -- modes -----------------------------------------------------------------
    def set_editable(self, on: bool) -> None:
        """Boxes can be moved and resized (True) or only looked at."""
        self.editable = bool(on)
        self.refresh()

    def set_draw_mode(self, on: bool) -> None:
        """A left drag on the image draws a new box."""
        self.canvas.view.draw_mode = bool(on)

    def set_visible(self, on: bool) -> None:
        """Show or hide every box and label."""
        self.visible = bool(on)
        for item in [*self.rois.values(), *self.labels]:
            item.setVisible(self.visible)

    # -- content ---------------------------------------------------------------
    def show_image(self, image_id: str) -> None:
        """Draw the boxes of ``image_id``."""
        self.image_id = image_id
        self.select("")
        self.refresh()

    def _on_lesions_changed(self, image_id: str) -> None:
        if image_id == self.image_id:
            # Deferred: the edit may come from a signal of a ROI this would delete.
            QTimer.singleShot(0, self.refresh)

    def clear(self) -> None:
        """Remove every box item."""
        for item in [*self.rois.values(), *self.labels]:
            self.canvas.view.removeItem(item)
        self.rois, self.labels = {}, []

    def refresh(self) -> None:
        """Redraw the boxes from the state."""
        self.clear()
        if not self.image_id:
            return
        wrong = self.state.wrong_uids()
        for row in self.state.lesions_of(self.image_id).itertuples(index=False):
            uid = str(row.lesion_uid)
            is_wrong = uid in wrong
            pen = _PEN["selected"] if uid == self.selected else _PEN["wrong" if is_wrong else "ok"]
            x, y, w, h = box_to_rect((row.row_min, row.col_min, row.row_max, row.col_max))
            roi = pg.RectROI([x, y], [w, h],
                             pen=pen, movable=self.editable, resizable=self.editable, removable=False,
                             rotatable=False, invertible=False)
            if not self.editable:
                for h in roi.getHandles():
                    roi.removeHandle(h)
            roi.setZValue(12)
            roi.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
            roi.sigClicked.connect(lambda _r, _ev, uid=uid: self.select(uid))
            roi.sigRegionChangeFinished.connect(lambda r, uid=uid: self._on_roi_moved(uid, r))
            roi.setVisible(self.visible)
            self.canvas.view.addItem(roi)
            self.rois[uid] = roi
            label = pg.TextItem(box_label(str(row.lesion_type), str(row.status), is_wrong,
                                          pathology=str(getattr(row, "pathology", "") or ""),
                                          birads=str(getattr(row, "birads", "") or "")),
                                color=(255, 90, 90) if is_wrong else (255, 220, 80), anchor=(0, 1),
                                fill=pg.mkBrush(0, 0, 0, 150))
            label.setPos(float(row.col_min), float(row.row_min))
            label.setZValue(13)
            label.setVisible(self.visible)
            self.canvas.view.addItem(label)
            self.labels.append(label)

    def select(self, uid: str) -> None:
        """Select a box ('' clears) through the state; the annotation panel follows ``boxSelected``."""
        self.state.select_box(uid)

    def _on_selected(self, uid: str) -> None:
        if uid != self.selected:
            self.selected = uid
            if self.rois:
                self.refresh()

    # -- edits -------------------------------------------------------------------
    def _clip(self, rect: QRectF) -> tuple[int, int, int, int] | None:
        disp = self.canvas.display
        if disp is None:
            return None
        box = box_from_edges(rect.top(), rect.left(), rect.bottom(), rect.right(), disp.shape)
        if box is None or box[2] - box[0] < 2 or box[3] - box[1] < 2:
            return None  # a click, not a box
        return box

    def _on_drawn(self, rect: QRectF) -> None:
        box = self._clip(rect)
        if box is None or not self.image_id:
            return
        uid = self.state.add_box(self.image_id, box)
        self.select(uid)
        self.state.message.emit(f"added box {self.state.box_name(uid)} (rows {box[0]}-{box[2]}, cols {box[1]}-{box[3]}): "
                                "its type is unknown until you set it in the Annotation panel")

    def _on_roi_moved(self, uid: str, roi: pg.RectROI) -> None:
        pos, size = roi.pos(), roi.size()
        box = self._clip(QRectF(pos.x(), pos.y(), size.x(), size.y()))
        if box is not None:
            self.state.edit_box(uid, row_min=box[0], col_min=box[1], row_max=box[2], col_max=box[3])

    def delete_selected(self) -> None:
        """Delete the selected box (undoable)."""
        self.state.delete_selected_box()
