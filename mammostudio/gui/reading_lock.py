"""The main window's locked reading mode: no menus, no mode switch, no modifier shortcuts.

A reader in an assessment must not leave it by accident (Ctrl+1 used to switch
to Browse, or count as an answer) nor see anything but the case. The lock is a
state of :class:`~mammostudio.gui.state.AppState` (``lock_reading`` /
``unlock_reading`` / ``readingLockChanged``); this module applies it to a
main window.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMainWindow, QToolBar

__all__ = ["ReadingLock", "MODIFIERS"]

MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
             | Qt.KeyboardModifier.MetaModifier)


class ReadingLock(QObject):
    """Applies and lifts the lock on ``window`` when its state says so."""

    def __init__(self, window: QMainWindow, state) -> None:
        super().__init__(window)
        self.window, self.locked = window, False
        self._restore: list = []
        state.readingLockChanged.connect(self.apply)

    def apply(self, locked: bool) -> None:
        """Hide the menu bar and toolbars, disable every action; undo it on unlock."""
        if locked == self.locked:
            return
        self.locked = locked
        app = QApplication.instance()
        if locked:
            bars = [self.window.menuBar(), *self.window.findChildren(QToolBar)]
            actions = self.window.findChildren(QAction)
            self._restore = ([(b, b.isVisible()) for b in bars], [(a, a.isEnabled()) for a in actions])
            for bar in bars:
                bar.setVisible(False)
            for action in actions:
                action.setEnabled(False)
            app.installEventFilter(self)
        else:
            app.removeEventFilter(self)
            bars, actions = self._restore or ([], [])
            for bar, visible in bars:
                bar.setVisible(visible)
            for action, enabled in actions:
                action.setEnabled(enabled)
            self._restore = []

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt API
        # Swallow every key with Ctrl/Alt/Meta while locked: no shortcut fires and no
        # reading widget takes Ctrl+1 for the answer '1'.
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease) \
                and event.modifiers() & MODIFIERS:
            event.accept()
            return True
        return False
