"""Start the Qt application and the main window."""
from __future__ import annotations

import sys
import time

__all__ = ["make_app", "run_app", "wait_until"]


def make_app(argv: list[str] | None = None):
    """The QApplication (created once), with pyqtgraph set to row-major images."""
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    # Arrays are (rows, cols) everywhere; say so to pyqtgraph once, here.
    pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("mammostudio")
    app.setOrganizationName("mammostudio")
    sys.excepthook = _show_in_app
    return app


def _show_in_app(exc_type, exc, tb) -> None:
    """An exception escaping a slot: keep the app running and tell the user in the window."""
    import traceback

    from PySide6.QtWidgets import QApplication

    sys.__excepthook__(exc_type, exc, tb)
    text = f"{exc_type.__name__}: {exc}"
    for widget in QApplication.topLevelWidgets():
        if hasattr(widget, "show_error") and widget.isVisible():
            widget.show_error(f"unexpected error (the app keeps running): {text}")
            widget.last_traceback = "".join(traceback.format_exception(exc_type, exc, tb))
            return


def run_app(dataset: str | None = None, *, demo: bool = False) -> int:
    """Open the main window (on ``dataset``, or on the demo data) and run the event loop."""
    app = make_app()
    from .mainwindow import MainWindow

    window = MainWindow()
    window.show()
    if dataset:
        window.open_dataset(dataset)
    elif demo:
        window.open_demo()
    return app.exec()


def wait_until(app, predicate, timeout_s: float) -> bool:
    """Process events until ``predicate()`` is true or ``timeout_s`` passed (scripts, self-test).

    Returns
    -------
    bool
        Whether the predicate became true in time.
    """
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    return False
