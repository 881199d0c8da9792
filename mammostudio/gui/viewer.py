"""The single-image viewer: canvas + overlays + boxes + a toolbar of display controls."""
from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from .annotate import BoxLayer
from .canvas import ImageCanvas
from .jobs import PoolTask, submit
from .loader import ImageLoader
from .overlays import OverlayLayer
from .pyramid import DisplayImage
from .state import AppState

__all__ = ["ViewerWidget", "window_choices"]


def window_choices(display: DisplayImage, row: dict) -> list[tuple[float, float, str]]:
    """Window presets, the default first: the file's own windows (DICOM), else an
    automatic window over the breast; then the nominal and the data full ranges."""
    header, nominal = [], []
    if str(row.get("format", "")) == "dicom":
        try:
            from ..core.dicom import window_presets

            for c, w, e in window_presets(row["path"]):
                (nominal if str(e) == "full range" else header).append((float(c), float(w), str(e)))
        except (ImportError, OSError, ValueError, KeyError):
            pass
    lo, hi = display.data_range
    small = display.fit_max
    inside = small[display.mask] if display.mask is not None and display.mask.any() else small[small > lo]
    p1, p99 = np.percentile(inside if inside.size else small, [1, 99.5])
    auto = ((p1 + p99) / 2, max(p99 - p1, 1.0), "auto (breast 1-99.5%)")
    nominal = [(c, w, "full nominal range") for c, w, _ in nominal]
    return [*header, auto, *nominal, ((lo + hi) / 2, hi - lo, "full data range")]


def _slider(value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(0, 100)
    s.setValue(value)
    s.setFixedWidth(60)
    return s


class ViewerWidget(QWidget):
    """Shows the state's current image with overlays; emits nothing the state does not know.

    Signals
    -------
    displayed(str)
        The image with this id is on screen (after decode and first draw).
    """

    displayed = Signal(str)

    def __init__(self, state: AppState, parent=None) -> None:
        super().__init__(parent)
        self.state = state
        self.canvas = ImageCanvas(self)
        self.overlays = OverlayLayer(self.canvas.view)
        self.boxes = BoxLayer(self.canvas, state)
        self.loader = ImageLoader(self)
        self.presets: list[tuple[float, float, str]] = []
        self.spacing: float | None = None
        self.pending_outline: tuple[str, tuple] | None = None
        self.audit_task = PoolTask(self)
        self.audit_task.result.connect(self._on_audit)
        self.audit_task.error.connect(self._on_audit_error)  # a method: runs in the GUI thread
        self._build_toolbar()
        self.readout = QLabel(" ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # A failed image is replaced by a placeholder with the reason, never left showing the previous one.
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.placeholder.setStyleSheet("QLabel { background: #202020; color: #f0b0b0; font-size: 14px; padding: 40px; }")
        self.screens = QStackedWidget()
        self.screens.addWidget(self.canvas)
        self.screens.addWidget(self.placeholder)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.screens, 1)
        layout.addWidget(self.readout)
        self.loader.ready.connect(self._on_ready)
        self.loader.failed.connect(self._on_failed)
        self.canvas.hovered.connect(self._on_hover)
        self.canvas.levelsChanged.connect(self._on_levels)
        state.currentImageChanged.connect(self.show_image)
        state.lesionsChanged.connect(self._on_lesions_changed)

    def _build_toolbar(self) -> None:
        tb = self.toolbar = QToolBar("View")
        self.preset_box = QComboBox()
        self.preset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.preset_box.setMinimumContentsLength(18)
        self.preset_box.setToolTip("Window presets (right-drag on the image adjusts window/level)")
        self.preset_box.activated.connect(self._on_preset)
        tb.addWidget(self.preset_box)
        self.act_invert = self._act("Invert", "I", self.canvas.set_inverted, checkable=True)
        self._act("Fit", "F", lambda: self.canvas.fit())
        self._act("1:1", "1", lambda: self.canvas.one_to_one())
        self.act_maxpool = self._act("Max-pool", "", self.canvas.set_max_pool, checkable=True, checked=True,
                                     tip="Reduced view keeps the brightest pixel of each block (calcifications stay visible)")
        tb.addSeparator()
        tb.addWidget(QLabel(" Mask "))
        self.mask_slider = _slider(15)
        self.mask_slider.setToolTip("Breast mask opacity (yellow)")
        self.mask_slider.valueChanged.connect(lambda v: self.overlays.set_opacity(mask=v / 100))
        tb.addWidget(self.mask_slider)
        tb.addWidget(QLabel(" GT "))
        self.gt_slider = _slider(35)
        self.gt_slider.setToolTip("Lesion ground-truth opacity (cyan)")
        self.gt_slider.valueChanged.connect(lambda v: self.overlays.set_opacity(gt=v / 100))
        tb.addWidget(self.gt_slider)
        self.act_hide = self._act("Hide", "H", self._set_hidden, checkable=True)
        tb.addSeparator()
        self.act_edit = self._act("Edit", "E", self.boxes.set_editable, checkable=True,
                                  tip="Move and resize lesion boxes")
        self.act_draw = self._act("Draw box", "B", self.boxes.set_draw_mode, checkable=True,
                                  tip="Left-drag on the image draws a new lesion box")
        self._act("Delete", QKeySequence.StandardKey.Delete, lambda: self.boxes.delete_selected())
        tb.addSeparator()
        self._act("Audit", "A", self.request_audit,
                  tip="Extraction audit (paper Figure 2): accepted tissue patches green, rejected red, lesion yellow")

    def _act(self, text, key, slot, *, checkable=False, checked=False, tip="") -> QAction:
        act = QAction(text, self)
        if key:
            act.setShortcut(QKeySequence(key))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        act.setCheckable(checkable)
        act.setChecked(checked)
        act.setToolTip(f"{tip or text} ({QKeySequence(key).toString()})" if key else (tip or text))
        (act.toggled if checkable else act.triggered).connect(slot)
        self.toolbar.addAction(act)
        return act

    # -- showing ---------------------------------------------------------------
    def show_image(self, image_id: str) -> None:
        """Decode (off-thread) and show ``image_id``; prefetch the next one in the filter order."""
        if not image_id:
            self.canvas.set_display(None)
            self.boxes.show_image("")
            return
        self.state.message.emit(f"loading {image_id} ...")
        self.loader.request(image_id, self.state.image_row(image_id))

    def prefetch(self, image_id: str) -> None:
        """Decode ``image_id`` in the background."""
        if image_id:
            self.loader.prefetch(image_id, self.state.image_row(image_id))

    def _on_failed(self, image_id: str, message: str) -> None:
        """The current image cannot be decoded: clear image, overlays and boxes; say why."""
        self.state.message.emit(f"cannot show {image_id}: {message}")
        if image_id != self.state.current_image:
            return
        self.canvas.set_display(None)
        self.overlays.clear_audit()
        self.overlays.set_image((1, 1), 1, None, np.zeros((0, 4), int))
        self.boxes.show_image("")
        self.preset_box.clear()
        self.placeholder.setText(f"Cannot show image {image_id}\n\n{message}")
        self.screens.setCurrentWidget(self.placeholder)

    def _on_ready(self, display: DisplayImage) -> None:
        if display.image_id != self.state.current_image:
            return
        self.screens.setCurrentWidget(self.canvas)
        row = self.state.image_row(display.image_id)
        self.canvas.set_display(display)
        self.overlays.clear_audit()
        self._refresh_overlays()
        self.boxes.show_image(display.image_id)
        self.presets = window_choices(display, row)
        self.preset_box.clear()
        self.preset_box.addItems([p[2] for p in self.presets])
        self.preset_box.setCurrentIndex(0)
        self._on_preset(0)
        spacing = row.get("pixel_spacing_mm")
        self.spacing = None if spacing is None or pd.isna(spacing) else float(spacing)
        if self.pending_outline and self.pending_outline[0] == display.image_id:
            self.overlays.outline(self.pending_outline[1])
            self.pending_outline = None
        rows, cols = display.shape
        mask_note = "" if display.mask is not None else " (breast mask not available yet)"
        self.state.message.emit(f"{display.image_id}: {rows}x{cols}, {display.full.dtype}{mask_note}")
        self.displayed.emit(display.image_id)

    def _refresh_overlays(self) -> None:
        d = self.canvas.display
        if d is not None:
            les = self.state.lesions_of(d.image_id)
            wrong = self.state.wrong_uids()
            boxes = les.loc[~les["lesion_uid"].isin(wrong), ["row_min", "col_min", "row_max", "col_max"]].to_numpy()
            self.overlays.set_image(d.shape, d.factor, d.mask, boxes)

    def _on_lesions_changed(self, image_id: str) -> None:
        if self.canvas.display is not None and image_id == self.canvas.display.image_id:
            self._refresh_overlays()

    def _on_preset(self, index: int) -> None:
        if 0 <= index < len(self.presets):
            c, w, _ = self.presets[index]
            self.canvas.set_window(c, w)

    def _set_hidden(self, hidden: bool) -> None:
        self.overlays.set_hidden(hidden)
        self.boxes.set_visible(not hidden)

    def _on_levels(self, center: float, width: float) -> None:
        self.preset_box.setToolTip(f"window centre {center:.0f}, width {width:.0f} (right-drag to adjust)")

    def _on_hover(self, row: int, col: int, value: float) -> None:
        if row < 0:
            self.readout.setText(" ")
            return
        text = f"row {row}, col {col}: value {value:g}"
        if self.spacing is not None:
            text += f"  ({row * self.spacing:.1f} mm down, {col * self.spacing:.1f} mm across)"
        self.readout.setText(text)

    def show_patch_outline(self, image_id: str, box) -> None:
        """Show ``image_id`` with one patch (row_min, col_min, row_max, col_max) outlined."""
        d = self.canvas.display
        if d is not None and d.image_id == image_id:
            self.overlays.outline(box)
        else:
            self.pending_outline = (image_id, tuple(box))
            self.state.select(image_id)

    def request_audit(self) -> None:
        """Compute the extraction audit of the shown image off-thread, then draw it."""
        d = self.canvas.display
        if d is None:
            return
        try:
            from ..core.patches.tissue import audit_image
        except ImportError:
            self.state.message.emit("the extraction audit needs mammostudio.core.patches")
            return
        les = self.state.lesions_of(d.image_id)
        les = les[~les["lesion_uid"].isin(self.state.wrong_uids())]
        boxes = les[["row_min", "col_min", "row_max", "col_max"]].to_numpy()
        self.state.message.emit(f"auditing patch extraction on {d.image_id} ...")
        params, seed = self.state.extract_params, int(self.state.extract_seed)
        submit(self.audit_task, d.image_id,
               lambda: (audit_image(d.full, None, boxes, params, seed=seed, image_id=d.image_id), boxes))

    def _on_audit_error(self, image_id, message: str) -> None:
        self.state.message.emit(f"audit of {image_id} failed: {message}")

    def _on_audit(self, image_id, result) -> None:
        d = self.canvas.display
        if d is None or d.image_id != image_id:
            return
        counts = self.overlays.show_audit(*result)
        self.state.message.emit(f"audit of {image_id}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
