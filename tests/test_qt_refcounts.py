"""The Qt binding keeps Python's reference counts: long sessions must not die in 'deallocating None'.

PySide6 6.12.0 on Python 3.11 returned None / True / False from void calls and
signal emits without a reference, so each call took one away; after some
thousands the interpreter aborted. pyproject caps PySide6 below that release;
this test fails if a binding with such a leak is installed.
"""
from __future__ import annotations

import gc
import sys

import pytest

pytest.importorskip("pytestqt")

pytestmark = pytest.mark.skipif(sys.version_info >= (3, 12),
                                reason="None, True and False are immortal from Python 3.12 on")


def _counts():
    gc.collect()
    return [sys.getrefcount(x) for x in (None, True, False)]


def test_signal_emits_and_void_calls_keep_singleton_reference_counts(qtbot):
    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QApplication, QLabel

    class Source(QObject):
        changed = Signal(object)

    got = []
    src = Source()
    src.changed.connect(got.append)
    label = QLabel()
    qtbot.addWidget(label)
    calls = [lambda: src.changed.emit(None), lambda: label.setText("x"), lambda: label.parent(),
             lambda: label.property("missing"), QApplication.processEvents]
    for call in calls:
        call()  # first call: lazily created wrappers are not leaks
        before = _counts()
        for _ in range(200):
            call()
        got.clear()
        after = _counts()
        assert all(b - a > -50 for a, b in zip(before, after)), (
            f"{call}: reference counts of None/True/False fell by {[a - b for a, b in zip(before, after)]} "
            "in 200 calls: this Qt binding leaks singleton references (see pyproject's PySide6 cap)")
