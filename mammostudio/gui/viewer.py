"""The single-image viewer: canvas, outlines, boxes, measurements and a toolbar of display controls.

It follows the conventions of OHIF and Weasis: greyscale first (overlays are
outlines you switch on), corner text and orientation letters on the image,
window presets on the number keys with 'custom' after a drag, a ruler and an
ellipse ROI in millimetres, and a DICOM tag browser.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QStackedWidget, QVBoxLayout, QWidget

from .annotate import BoxLayer
from .canvas import ImageCanvas
from .jobs import PoolTask, submit
from .loader import ImageLoader
from .measure import MeasureLayer
from ..core.navigation import chest_wall_side, image_annotation
from .overlays import OverlayLayer
from ..core.pyramid import DisplayImage, mask_at_threshold
from .state import AppState
from ..core.study_table import StudyIndex
from .tags import with_header_fields
from .viewer_toolbar import build_toolbar

__all__ = ["ViewerWidget", "window_choices", "default_mask_threshold", "FILM_MASK_THRESHOLD"]

FILM_MASK_THRESHOLD = 20  # digitised film's background is not 0 (mini-MIAS)
CUSTOM = "custom"


def default_mask_threshold(catalog) -> int:
    """Breast-mask threshold for a dataset: 0 for digital mammograms (air is 0), 20 for film."""
    return FILM_MASK_THRESHOLD if catalog is not None and catalog.source_format == "mias" else 0


def window_choices(display: DisplayImage, row: dict) -> list[tuple[float, float, str]]:
    """Window presets, the default first: the file's own windows (DICOM), else an
    automatic window over the breast; then the nominal and the data full ranges."""
    header, nominal = [], []
    presets = display.header.get("window_presets")  # read with the pixels, off the GUI thread
    if presets is None and str(row.get("format", "")) == "dicom":
        from ..core.dicom import window_presets

        try:
            presets = window_presets(row["path"])
        except (OSError, ValueError, KeyError):
            presets = []
    for c, w, e in presets or []:
        (nominal if str(e) == "full range" else header).append((float(c), float(w), str(e)))
    lo, hi = display.data_range
    small = display.fit_max
    inside = small[display.mask] if display.mask is not None and display.mask.any() else small[small > lo]
    p1, p99 = np.percentile(inside if inside.size else small, [1, 99.5])
    auto = ((p1 + p99) / 2, max(p99 - p1, 1.0), "auto (breast 1-99.5%)")
    nominal = [(c, w, "full nominal range") for c, w, _ in nominal[:1]]
    full = ((lo + hi) / 2, hi - lo, "full data range")
    out = [*header, auto, *nominal]
    return out + [full] if all(abs(c - full[0]) > 0.5 or abs(w - full[1]) > 0.5 for c, w, _ in out) else out


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
        self.overlays = OverlayLayer(self.canvas.view, mask_visible=False, gt_visible=False)
        self.boxes = BoxLayer(self.canvas, state)
        self.measure = MeasureLayer(self.canvas)
        self.loader = ImageLoader(self)
        self.presets: list[tuple[float, float, str]] = []
        self.spacing: float | None = None
        self.mask_threshold = 0
        self.pending_outline: tuple[str, tuple] | None = None
        self.audit_counts: dict = {}
        self.tag_dialog = None
        self.audit_task = PoolTask(self)
        self.audit_task.result.connect(self._on_audit)
        self.audit_task.error.connect(self._on_audit_error)  # a method: runs in the GUI thread
        self.studies: StudyIndex | None = None  # rows of each study, for 'image n of m'
        self._study_task = PoolTask(self)
        self._study_building = None  # the images table an index is being built for
        self._study_task.result.connect(self._on_study_index)
        build_toolbar(self)
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
        self.measure.measured.connect(state.message.emit)
        state.currentImageChanged.connect(self.show_image)
        state.lesionsChanged.connect(self._on_lesions_changed)
        state.catalogChanged.connect(self._on_catalog)
        state.patchFocusRequested.connect(self.show_patch_outline)
        state.extractParamsChanged.connect(self._on_extract_params)
        self.threshold_spin.setValue(default_mask_threshold(state.catalog))

    # -- tools -----------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        """'' (pan), 'ruler', 'ellipse' or 'box': what a left drag on the image does."""
        self.canvas.view.tool = tool
        for name, act in self.tool_actions.items():
            act.blockSignals(True)
            act.setChecked(name == tool)
            act.blockSignals(False)

    # -- showing ---------------------------------------------------------------
    def show_image(self, image_id: str) -> None:
        """Decode (off-thread) and show ``image_id``; prefetch the next one in the filter order."""
        if not image_id:
            self.canvas.set_display(None)
            self.boxes.show_image("")
            self.measure.clear()
            return
        self.state.message.emit(f"loading {image_id} ...")
        self.loader.request(image_id, self.state.image_row(image_id))

    def prefetch(self, image_id: str) -> None:
        """Decode ``image_id`` in the background."""
        if image_id:
            self.loader.prefetch(image_id, self.state.image_row(image_id))

    def _on_catalog(self) -> None:
        self.threshold_spin.setValue(default_mask_threshold(self.state.catalog))
        self.canvas.set_display(None)
        cat = self.state.catalog
        if cat is not None and (self.studies is None or self.studies.images is not cat.images):
            self._index_studies(cat.images)  # usually ready before the first image is

    def _on_failed(self, image_id: str, message: str) -> None:
        """The current image cannot be decoded: clear image, overlays and boxes; say why."""
        self.state.message.emit(f"cannot show {image_id}: {message}")
        if image_id != self.state.current_image:
            return
        self.canvas.set_display(None)
        self.overlays.clear_audit()
        self.overlays.set_image((1, 1), 1, None, np.zeros((0, 4), int))
        self.boxes.show_image("")
        self.measure.clear()
        self.preset_box.clear()
        self.placeholder.setText(f"Cannot show image {image_id}\n\n{message}")
        self.screens.setCurrentWidget(self.placeholder)

    def _on_ready(self, display: DisplayImage) -> None:
        if display.image_id != self.state.current_image:
            return
        self.screens.setCurrentWidget(self.canvas)
        row = self.state.image_row(display.image_id)
        spacing = row.get("pixel_spacing_mm")
        self.spacing = self.measure.spacing = None if spacing is None or pd.isna(spacing) else float(spacing)
        self.canvas.set_display(display)
        self.overlays.clear_audit()
        self.audit_counts = {}
        self.measure.clear()
        self._refresh_overlays()
        self.boxes.show_image(display.image_id)
        self.presets = window_choices(display, row)
        self.preset_box.clear()
        self.preset_box.addItems([p[2] for p in self.presets])
        self.apply_preset(0)
        self._annotate(display, row)
        if self.pending_outline and self.pending_outline[0] == display.image_id:
            self.overlays.outline(self.pending_outline[1])
            self.pending_outline = None
        if self.tag_dialog is not None and self.tag_dialog.isVisible():
            self.tag_dialog.show_image(row)
        rows, cols = display.shape
        self.state.message.emit(f"{display.image_id}: {rows}x{cols}, {display.full.dtype}")
        self.displayed.emit(display.image_id)

    def _study_of(self, row: dict) -> pd.DataFrame:
        """The images of ``row``'s study: a lookup in the study index (built on a pool thread
        once per catalog; until it is ready, a scan of the table)."""
        imgs = self.state.catalog.images
        if self.studies is not None and self.studies.images is imgs:
            return self.studies.rows(row.get("patient_id"), row.get("study_id"))
        self._index_studies(imgs)
        return imgs[(imgs["patient_id"] == row.get("patient_id")) & (imgs["study_id"] == row.get("study_id"))]

    def _index_studies(self, imgs: pd.DataFrame) -> None:
        """Build the study index of ``imgs`` on a pool thread (once per images table)."""
        if self._study_building is not imgs:
            self._study_building = imgs
            submit(self._study_task, id(imgs), StudyIndex, imgs)

    def _on_study_index(self, _key, index: StudyIndex) -> None:
        if self.state.catalog is not None and index.images is self.state.catalog.images:
            self.studies = index

    def _annotate(self, display: DisplayImage, row: dict) -> None:
        study = self._study_of(row)
        corners, marker, orientation = image_annotation(
            with_header_fields(row, display.header), study,
            chest_wall_side(display.fit_max, display.header.get("patient_orientation")))
        if self.audit_counts:
            corners["br"] = [f"audit: green accepted {self.audit_counts['accepted']}, red rejected "
                             f"{self.audit_counts['rejected']}, yellow lesion", *corners.get("br", [])]
        self.canvas.set_annotation_text(corners, marker, orientation)

    def _refresh_overlays(self) -> None:
        d = self.canvas.display
        if d is not None:
            les = self.state.lesions_of(d.image_id)
            wrong = self.state.wrong_uids()
            boxes = les.loc[~les["lesion_uid"].isin(wrong), ["row_min", "col_min", "row_max", "col_max"]].to_numpy()
            self.overlays.set_image(d.shape, d.factor, self._mask(d), boxes)

    def _mask(self, d: DisplayImage):
        if not self.act_mask.isChecked():
            return None
        try:
            return mask_at_threshold(d, self.mask_threshold)
        except ValueError:
            return d.mask

    def set_mask_threshold(self, value: int) -> None:
        """Breast-mask threshold (0..254) of the outline and of the extraction audit."""
        self.mask_threshold = int(value)
        self.state.set_mask_threshold(self.mask_threshold)
        if self.threshold_spin.value() != value:
            self.threshold_spin.setValue(value)
        self._refresh_overlays()

    def _set_mask_visible(self, on: bool) -> None:
        self.overlays.set_opacity(mask=1.0 if on else 0.0)
        self._refresh_overlays()

    def _on_lesions_changed(self, image_id: str) -> None:
        if self.canvas.display is not None and image_id == self.canvas.display.image_id:
            self._refresh_overlays()

    # -- window / level ------------------------------------------------------------
    def apply_preset(self, index: int) -> None:
        """Apply window preset ``index`` (keys 1-9 are presets 0-8)."""
        if 0 <= index < len(self.presets):
            self.preset_box.setCurrentIndex(index)
            self._on_preset(index)

    def _on_preset(self, index: int) -> None:
        if 0 <= index < len(self.presets):
            c, w, _ = self.presets[index]
            self.canvas.set_window(c, w)

    def _on_levels(self, center: float, width: float) -> None:
        self.preset_box.setToolTip(f"window centre {center:.0f}, width {width:.0f} (keys 1-9, right-drag adjusts)")
        i = self.preset_box.currentIndex()
        if 0 <= i < len(self.presets) and abs(self.presets[i][0] - center) < 0.5 and abs(self.presets[i][1] - width) < 0.5:
            return
        match = next((k for k, (c, w, _) in enumerate(self.presets) if abs(c - center) < 0.5 and abs(w - width) < 0.5), None)
        if match is None:
            if self.preset_box.findText(CUSTOM) < 0:
                self.preset_box.addItem(CUSTOM)
            match = self.preset_box.findText(CUSTOM)
        self.preset_box.setCurrentIndex(match)

    def _set_hidden(self, hidden: bool) -> None:
        self.overlays.set_hidden(hidden)
        self.boxes.set_visible(not hidden and self.act_boxes.isChecked())

    def _on_hover(self, row: int, col: int, value: float) -> None:
        if row < 0:
            self.readout.setText(" ")
            return
        text = f"row {row}, col {col}: value {value:g}"
        if self.spacing is not None:
            text += f"  ({row * self.spacing:.1f} mm down, {col * self.spacing:.1f} mm across)"
        self.readout.setText(text)

    # -- tags, patch outline, audit -------------------------------------------------
    def show_tags(self) -> None:
        """Open the DICOM tag browser on the shown image."""
        d = self.canvas.display
        if d is None:
            self.state.message.emit("no image shown")
            return
        if self.tag_dialog is None:
            from .tags import TagDialog

            self.tag_dialog = TagDialog(self)
        self.tag_dialog.show_image(self.state.image_row(d.image_id))
        self.tag_dialog.show()
        self.tag_dialog.raise_()

    def show_patch_outline(self, image_id: str, box) -> None:
        """Show ``image_id`` with one patch (row_min, col_min, row_max, col_max) outlined."""
        d = self.canvas.display
        if d is not None and d.image_id == image_id:
            self.overlays.outline(box)
        else:
            self.pending_outline = (image_id, tuple(box))
            self.state.select(image_id)

    def request_audit(self) -> None:
        """Compute the extraction audit of the shown image off-thread, then draw it.

        Prepare's settings are replayed, with the mask threshold set here.
        """
        d = self.canvas.display
        if d is None:
            return
        from ..core.patches.params import ExtractParams
        from ..core.patches.tissue import audit_image

        les = self.state.lesions_of(d.image_id)
        les = les[~les["lesion_uid"].isin(self.state.wrong_uids())]
        boxes = les[["row_min", "col_min", "row_max", "col_max"]].to_numpy()
        self.state.message.emit(f"auditing patch extraction on {d.image_id} ...")
        params = replace(self.state.extract_params or ExtractParams(), mask_threshold=self.mask_threshold)
        seed = int(self.state.extract_seed)
        submit(self.audit_task, d.image_id,
               lambda: (audit_image(d.full, None, boxes, params, seed=seed, image_id=d.image_id), boxes))

    def _on_extract_params(self) -> None:
        """Prepare's settings changed: an audit on screen is redone with them."""
        if self.audit_counts:
            self.request_audit()

    def _on_audit_error(self, image_id, message: str) -> None:
        self.state.message.emit(f"audit of {image_id} failed: {message}")

    def _on_audit(self, image_id, result) -> None:
        d = self.canvas.display
        if d is None or d.image_id != image_id:
            return
        self.audit_counts = self.overlays.show_audit(*result)
        self._annotate(d, self.state.image_row(image_id))
        self.state.message.emit(f"audit of {image_id} (mask threshold {self.mask_threshold}): "
                                + ", ".join(f"{k} {v}" for k, v in self.audit_counts.items()))
