"""The main window's menus: File, Edit, Mode (also a toolbar), Go, View, Help."""
from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox

__all__ = ["build_menus", "add_action"]

MODES = ("Browse", "Prepare", "Train", "Evaluate", "Quiz", "Simulate")


def add_action(window, menu, text, slot, key=None, *, checkable=False) -> QAction:
    """Add an action (with an optional shortcut) to ``menu``."""
    act = QAction(text, window)
    if key is not None:
        act.setShortcut(QKeySequence(key))
    act.setCheckable(checkable)
    act.triggered.connect(slot)
    menu.addAction(act)
    return act


def build_menus(window) -> None:
    """Fill the menu bar and the modes toolbar of the main window ``window``."""
    bar = window.menuBar()
    f = bar.addMenu("&File")
    add_action(window, f, "&Open dataset...", window.choose_dataset, QKeySequence.StandardKey.Open)
    add_action(window, f, "Open &demo dataset", window.open_demo)
    window.recent_menu = f.addMenu("&Recent datasets")
    f.addSeparator()
    add_action(window, f, "&Export annotations as workbook...", window.export_annotations)
    add_action(window, f, "Export study &copy...", window.pages["Quiz"].export_copy_dialog)
    f.addSeparator()
    add_action(window, f, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    e = bar.addMenu("&Edit")
    undo = window.state.undo.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = window.state.undo.createRedoAction(window, "&Redo")
    redo.setShortcut(QKeySequence.StandardKey.Redo)
    e.addActions([undo, redo])
    m = bar.addMenu("&Mode")
    window.mode_group = QActionGroup(window)
    window.mode_actions = {}
    tb = window.addToolBar("Modes")
    tb.setObjectName("toolbar-modes")
    for i, mode in enumerate(MODES, start=1):
        act = add_action(window, m, mode, lambda _c=False, mode=mode: window.set_mode(mode), f"Ctrl+{i}", checkable=True)
        window.mode_group.addAction(act)
        tb.addAction(act)
        window.mode_actions[mode] = act
    g = bar.addMenu("&Go")
    add_action(window, g, "&Next image", lambda: window.step_image(+1), "PgDown")
    add_action(window, g, "&Previous image", lambda: window.step_image(-1), "PgUp")
    add_action(window, g, "Next &study", lambda: window.step_study(+1), "Ctrl+PgDown")
    add_action(window, g, "Previous s&tudy", lambda: window.step_study(-1), "Ctrl+PgUp")
    v = bar.addMenu("&View")
    for dock in window.docks.values():
        v.addAction(dock.toggleViewAction())
    h = bar.addMenu("&Help")
    add_action(window, h, "&About mammostudio", lambda: QMessageBox.about(
        window, "About mammostudio", "mammostudio: a desktop workbench for mammography research."))
