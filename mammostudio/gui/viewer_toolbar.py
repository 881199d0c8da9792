"""The viewer's toolbar, its Overlays menu and the key actions (window presets 1-9, tools).

Every action is also added to the viewer widget itself, so its shortcut works
while the viewer is shown, menu-only ones included, and never in other modes.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QMenu, QSpinBox, QToolBar, QToolButton, QWidgetAction

__all__ = ["build_toolbar"]


def build_toolbar(self) -> None:
    """Give the viewer ``self`` its toolbar, Overlays menu and key actions."""
    tb = self.toolbar = QToolBar("View")
    self.preset_box = QComboBox()
    self.preset_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    self.preset_box.setMinimumContentsLength(14)
    self.preset_box.setToolTip("Window presets: keys 1-9 (right-drag on the image adjusts window/level)")
    self.preset_box.activated.connect(self._on_preset)
    tb.addWidget(self.preset_box)
    for i in range(9):
        _act(self, f"Window preset {i + 1}", str(i + 1), lambda _c=False, i=i: self.apply_preset(i), toolbar=False)
    self.act_invert = _act(self, "Invert", "I", self.canvas.set_inverted, checkable=True)
    _act(self, "Fit", "F", lambda: self.canvas.fit())
    _act(self, "1:1", "0", lambda: self.canvas.one_to_one(), tip="One image pixel per screen pixel")
    tb.addSeparator()
    self.tool_actions = {}
    for tool, text, key, tip in (("", "Pan", "P", "Left-drag pans (Esc also returns here)"),
                                 ("ruler", "Ruler", "L", "Left-drag measures a length (mm)"),
                                 ("ellipse", "Ellipse", "O", "Left-drag draws an ellipse ROI: area, mean, SD"),
                                 ("box", "Draw box", "B", "Left-drag draws a new lesion box")):
        self.tool_actions[tool] = _act(self, text, key, lambda on, t=tool: self.set_tool(t if on else ""),
                                       checkable=True, tip=tip)
    self.act_draw = self.tool_actions["box"]
    _act(self, "Pan tool", "Esc", lambda: self.set_tool(""), toolbar=False)
    self.act_edit = _act(self, "Edit", "E", self.boxes.set_editable, checkable=True, tip="Move and resize lesion boxes")
    _act(self, "Delete", QKeySequence.StandardKey.Delete, lambda: self.boxes.delete_selected(), toolbar=False)
    tb.addSeparator()
    self.overlay_menu = QMenu(self)
    self.act_boxes = _act(self, "Lesion boxes", "", self.boxes.set_visible, checkable=True, checked=True,
                               toolbar=False, menu=True)
    self.act_mask = _act(self, "Breast outline", "M", self._set_mask_visible, checkable=True, toolbar=False,
                              menu=True, tip="Outline of the breast mask (preprocessing's, at the threshold below)")
    self.threshold_spin = QSpinBox()
    self.threshold_spin.setRange(0, 254)
    self.threshold_spin.setPrefix("Mask threshold > ")
    self.threshold_spin.setToolTip("Breast = normalised pixel above this (0 for digital, ~20 for film)")
    self.threshold_spin.valueChanged.connect(self.set_mask_threshold)
    holder = QWidgetAction(self)
    holder.setDefaultWidget(self.threshold_spin)
    self.overlay_menu.addAction(holder)
    self.act_text = _act(self, "Corner text", "T", self.canvas.set_text_visible, checkable=True, checked=True,
                              toolbar=False, menu=True)
    self.overlay_menu.addSeparator()
    _act(self, "Extraction audit", "A", self.request_audit, toolbar=False, menu=True,
              tip="Paper Figure 2: accepted tissue patches green, rejected red, lesion yellow")
    self.act_rejected = _act(self, "Audit: show rejected", "", self.overlays.set_show_rejected, checkable=True,
                                  checked=True, toolbar=False, menu=True)
    self.act_maxpool = _act(self, "Max-pool reduced view", "", self.canvas.set_max_pool, checkable=True,
                                 checked=True, toolbar=False, menu=True,
                                 tip="Reduced view keeps the brightest pixel of each block (calcifications stay visible)")
    self.overlay_menu.addSeparator()
    self.act_hide = _act(self, "Hide all overlays", "H", self._set_hidden, checkable=True, toolbar=False, menu=True)
    button = QToolButton()
    button.setText("Overlays")
    button.setMenu(self.overlay_menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    tb.addWidget(button)
    _act(self, "Clear", "", lambda: self.measure.clear(), tip="Remove the measurements")
    _act(self, "Tags", "Ctrl+T", self.show_tags, tip="DICOM tag browser")


def _act(self, text, key, slot, *, checkable=False, checked=False, tip="", toolbar=True, menu=False) -> QAction:
    """One action of the viewer ``self``: shortcut, toolbar and / or Overlays menu."""
    act = QAction(text, self)
    if key:
        act.setShortcut(QKeySequence(key))
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.setCheckable(checkable)
    act.setChecked(checked)
    act.setToolTip(f"{tip or text} ({QKeySequence(key).toString()})" if key else (tip or text))
    (act.toggled if checkable else act.triggered).connect(slot)
    self.addAction(act)  # shortcuts work while the viewer is shown, also for menu-only actions
    if toolbar:
        self.toolbar.addAction(act)
    if menu:
        self.overlay_menu.addAction(act)
    return act
