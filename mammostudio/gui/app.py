"""Start the Qt application and the main window."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

__all__ = ["make_app", "run_app", "wait_until", "display_problem", "missing_xcb_packages", "XCB_PACKAGES"]

# Debian/Ubuntu package of each library Qt 6's xcb platform plugin loads (ldd of
# PySide6's libqxcb.so; the list in Qt's "Qt for X11 Requirements").
XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xkb.so.1": "libxcb-xkb1", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0", "libxcb-randr.so.0": "libxcb-randr0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-render.so.0": "libxcb-render0", "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1", "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
}
_WAY_OUT = ("run `mammostudio demo --no-gui` (or the other commands) for results without a window, "
            "connect with `ssh -X`, or set QT_QPA_PLATFORM=offscreen to render without a screen")


def missing_xcb_packages(ldd_output: str) -> list[str]:
    """Debian/Ubuntu packages of the libraries ``ldd`` reports as 'not found'."""
    names = re.findall(r"^\s*(\S+)\s*=>\s*not found", ldd_output, flags=re.M)
    return [XCB_PACKAGES.get(n, n) for n in names]


def _xcb_ldd() -> str:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return ""
    plugin = os.path.join(os.path.dirname(spec.origin), "Qt", "plugins", "platforms", "libqxcb.so")
    try:
        return subprocess.run(["ldd", plugin], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def display_problem(env=None, *, probe: bool = True) -> str | None:
    """Why the app cannot open a window here, in one line with the way out; None when it can.

    Cheap, and meant to run before any slow work (the demo build): no display
    variable on Linux is reported at once; with one, a child process starts
    Qt's platform plugin (Qt aborts the whole process when it cannot, so not
    in this one) and, if that fails, ``ldd`` names the missing xcb libraries.
    """
    env = dict(os.environ if env is None else env)
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform.split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb") or \
            not sys.platform.startswith("linux"):
        return None
    if not platform and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return f"no display to open the app on (DISPLAY and WAYLAND_DISPLAY are unset): {_WAY_OUT}"
    if not probe:
        return None
    code = "from PySide6.QtGui import QGuiApplication; QGuiApplication(['probe'])"
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None  # slow, not broken: let the app try
    except OSError:
        return None
    if done.returncode == 0:
        return None
    err = done.stderr
    if "could not connect to display" in err.lower():
        return f"no X server answers on DISPLAY={env.get('DISPLAY', '')}: {_WAY_OUT}"
    missing = missing_xcb_packages(_xcb_ldd())
    if missing:
        return (f"Qt's xcb platform plugin cannot load: install the system packages "
                f"{' '.join(missing)} (e.g. `sudo apt-get install {' '.join(missing)}`), or {_WAY_OUT}")
    last = next((ln.strip() for ln in reversed(err.splitlines()) if ln.strip()), "Qt could not start")
    return f"the app cannot open a window ({last}): {_WAY_OUT}"


GUI_SWITCH_INTERVAL = 0.001  # seconds (sys.setswitchinterval) while the GUI runs


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
    # Workers (opening, filtering, thumbnails) run Python beside the event loop. The
    # interpreter hands its lock to a waiting thread every switch interval (5 ms by
    # default); the GUI thread needs it back many times per event, so 5 ms waits add
    # up to visible freezes while workers run. 1 ms keeps the window responsive.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
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
