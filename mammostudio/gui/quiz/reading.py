"""The reading screen: one case at a time, keyboard first, nothing that hints at the truth.

Keys (shown on screen):

- single image: ``R`` or ``1`` = real, ``G`` or ``2`` = generated;
  2AFC: ``Left``/``1``/``A`` or ``Right``/``2``/``L`` picks the generated image;
- then a digit ``1``..``K`` for the confidence (``Backspace`` changes the choice);
- ``Space`` pauses and resumes (the images are hidden, the clock stops);
- ``+``/``-`` or the mouse wheel zoom (smoothly, 1x..8x of the physical size),
  dragging pans, ``[``/``]`` narrower/wider window, ``Up``/``Down`` level,
  ``0`` resets the display;
- keys with Ctrl, Alt or Meta are ignored (Ctrl+1 is not the answer "1"; the
  main window's lock also keeps them from switching modes).

Every case is shown ``display_mm`` millimetres wide on screen (the screen's
calibration turns mm into pixels), so magnification does not depend on the
monitor.
- training mode: ``Enter`` continues after the feedback.

Each answer goes to :meth:`ReadingSession.record` (committed to the database)
before the next case is fetched. In assessment mode the widget never receives
any truth: the session returns no feedback, and every text, name and tooltip
here is the same for every case.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from ...core.quiz.session import Feedback, ReadingSession, StudyError
from ..reading_lock import MODIFIERS
from .patch_view import PatchView

__all__ = ["ReadingWidget"]

K = QtCore.Qt.Key
_CHOICE_KEYS = {
    "single": {K.Key_R: "real", K.Key_1: "real", K.Key_G: "generated", K.Key_2: "generated"},
    "2afc": {K.Key_Left: "left", K.Key_1: "left", K.Key_A: "left",
             K.Key_Right: "right", K.Key_2: "right", K.Key_L: "right"},
}
_DIGITS = {getattr(K, f"Key_{d}"): d for d in range(1, 10)}
_READING_KEYS = (set(_CHOICE_KEYS["single"]) | set(_CHOICE_KEYS["2afc"]) | set(_DIGITS)
                 | {K.Key_0, K.Key_Space, K.Key_Return, K.Key_Enter, K.Key_N, K.Key_Backspace, K.Key_Up, K.Key_Down,
                    K.Key_Plus, K.Key_Equal, K.Key_Minus, K.Key_BracketLeft, K.Key_BracketRight})



def progress_row(total: int) -> tuple[QtWidgets.QLabel, QtWidgets.QProgressBar, QtWidgets.QHBoxLayout]:
    """The reading screens' top row: a case-count label and a thin bar over ``total`` cases."""
    label = QtWidgets.QLabel()
    bar = QtWidgets.QProgressBar(textVisible=False, maximum=total)
    bar.setMaximumHeight(8)
    row = QtWidgets.QHBoxLayout()
    row.addWidget(label)
    row.addWidget(bar, 1)
    return label, bar, row


class ReadingWidget(QtWidgets.QWidget):
    """Reads a :class:`ReadingSession` to its end; emits ``finished`` when done."""

    finished = QtCore.Signal()
    answered = QtCore.Signal(int)  # number of answers committed in this session

    def __init__(self, session: ReadingSession, parent: QtWidgets.QWidget | None = None, *,
                 display_mm: float = 50.0, px_per_mm: float | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.display_mm, self.px_per_mm = float(display_mm), px_per_mm
        cfg = session.config
        self.task, self.levels, self.training = cfg.task, cfg.confidence_levels, session.mode == "training"
        self.setWindowTitle("Reader study")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.state = "choice"  # choice -> confidence -> (feedback) -> choice ...; paused; done
        self.choice: str | None = None
        self._paused_from: str | None = None
        self._clock = QtCore.QElapsedTimer()
        self._elapsed_before_pause = 0.0
        self._remaining = -1
        self._limit = QtCore.QTimer(self, singleShot=True)
        self._limit.timeout.connect(self._time_up)
        self._build()
        self._load_next()

    # --- layout ------------------------------------------------------------------
    def _build(self) -> None:
        self.progress_label, self.progress_bar, top = progress_row(self.session.total)
        self.clock_label = QtWidgets.QLabel()
        top.addWidget(self.clock_label)
        names = ("Left image", "Right image") if self.task == "2afc" else ("Case image",)
        self.views = [PatchView(self, accessible_name=n, display_mm=self.display_mm, px_per_mm=self.px_per_mm)
                      for n in names]
        images = QtWidgets.QHBoxLayout()
        for v in self.views:
            images.addWidget(v, 1)
        self.pause_label = QtWidgets.QLabel("Paused - press Space to resume", alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.pause_label.setStyleSheet("font-size: 20pt; color: #ddd; background: #222;")
        self.pause_label.hide()
        self.prompt = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.prompt.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.help = QtWidgets.QLabel(
            f"{self.display_mm:g} mm on screen  ·  Space pause  ·  +/- or wheel zoom, drag to pan  ·  [ ] window  ·  "
            "Up/Down level  ·  0 reset  ·  Esc leave",
            alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.help.setStyleSheet("color: #888;")
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(images, 1)
        lay.addWidget(self.pause_label, 1)
        lay.addWidget(self.prompt)
        if self.training:
            # Exists only in training mode: assessment widgets never hold feedback.
            self.feedback_label = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
            self.feedback_label.setStyleSheet("font-size: 14pt;")
            lay.addWidget(self.feedback_label)
        lay.addWidget(self.help)
        self._tick = QtCore.QTimer(self, interval=250)
        self._tick.timeout.connect(self._update_clock)

    def _prompt_text(self) -> str:
        if self.state == "choice":
            if self.task == "2afc":
                return "Which one is generated?   ← / 1 = left     → / 2 = right"
            return "R / 1 = real        G / 2 = generated"
        if self.state == "confidence":
            picked = {"real": "real", "generated": "generated", "left": "left", "right": "right"}[self.choice]
            return (f"You chose {picked}.  Confidence: 1 (guess) … {self.levels} (certain)"
                    "    Backspace = change")
        if self.state == "feedback":
            return "Enter = next case"
        if self.state == "done":
            return "All cases read. Thank you."
        return ""

    # --- case flow -----------------------------------------------------------------
    def _load_next(self) -> None:
        view = self.session.next_case()
        done = self.session.answered
        self.progress_bar.setValue(done)
        if view is None:
            self.state = "done"
            for v in self.views:
                v.set_image(None)
            self._limit.stop()
            self._tick.stop()
            self.progress_label.setText(f"{done} / {self.session.total}")
            self.prompt.setText(self._prompt_text())
            self.finished.emit()
            return
        for v, img in zip(self.views, view.images):
            v.set_image(img)
        self.progress_label.setText(f"Case {view.position + 1} / {view.total}")
        self.state, self.choice = "choice", None
        self._elapsed_before_pause = 0.0
        self._clock.start()
        if self.config_limit_ms:
            self._limit.start(self.config_limit_ms)
            self._tick.start()
        self._update_clock()
        self.prompt.setText(self._prompt_text())

    @property
    def config_limit_ms(self) -> int:
        """Time limit per case in ms (0 = none)."""
        t = self.session.config.time_limit_s
        return int(t * 1000) if t else 0

    def _rt_ms(self) -> float:
        return self._elapsed_before_pause + float(self._clock.elapsed())

    def _update_clock(self) -> None:
        if self.config_limit_ms and self.state in ("choice", "confidence"):
            left = max(0.0, (self.config_limit_ms - self._rt_ms()) / 1000.0)
            self.clock_label.setText(f"{left:4.0f} s")
        else:
            self.clock_label.setText("")

    def _commit(self, answer: str | None, confidence: int | None, *, timed_out: bool = False) -> None:
        self._limit.stop()
        self._tick.stop()
        try:
            fb = self.session.record(answer, confidence, rt_ms=self._rt_ms(), timed_out=timed_out)
        except StudyError as exc:  # e.g. locked by another program: nothing saved, say so
            self.prompt.setText(str(exc))
            return
        self.progress_bar.setValue(self.session.answered)
        self.answered.emit(self.session.answered)
        if self.training and fb is not None:
            self._show_feedback(fb)
        else:
            self._load_next()

    def _time_up(self) -> None:
        if self.state in ("choice", "confidence"):
            self._commit(None, None, timed_out=True)

    def _show_feedback(self, fb: Feedback) -> None:
        self.state = "feedback"
        if fb.correct is None:
            head = "Time is up."
        else:
            head = "Correct." if fb.correct else "Not correct."
        if self.task == "2afc":
            body = f"The generated image ({fb.source}) was on the {fb.truth}."
            real = "The real one"
        else:
            body = f"This image was generated ({fb.source})." if fb.truth == "generated" else "This image was real."
            real = "Lesion"
        if self.task == "2afc" or fb.truth == "real":
            details = "; ".join(x for x in (fb.lesion_type, f"biopsy: {fb.status}" if fb.status else "") if x)
            if details:
                body += f" {real}: {details}."
        self.feedback_label.setText(f"{head} {body}")
        self.feedback_label.setStyleSheet("font-size: 14pt; color: %s;" % ("#2a7" if fb.correct else "#c44"))
        self.prompt.setText(self._prompt_text())

    # --- pause ---------------------------------------------------------------------
    def toggle_pause(self) -> None:
        """Hide the case and stop its clock, or bring it back."""
        if self.state == "done":
            return
        if self.state != "paused":
            self._paused_from, self.state = self.state, "paused"
            self._elapsed_before_pause += float(self._clock.elapsed())
            self._remaining = self._limit.remainingTime() if self._limit.isActive() else -1
            self._limit.stop()
            self._tick.stop()
            for v in self.views:
                v.hide()
            self.pause_label.show()
            self.prompt.setText("")
        else:
            self.state = self._paused_from or "choice"
            self._clock.start()
            if self._remaining >= 0:
                self._limit.start(self._remaining)
                self._tick.start()
            self.pause_label.hide()
            for v in self.views:
                v.show()
            self.prompt.setText(self._prompt_text())

    # --- keys ------------------------------------------------------------------------
    def event(self, event: QtCore.QEvent) -> bool:  # noqa: D102 (Qt override)
        # Claim the reading keys before any window shortcut of the host app sees them
        # (e.g. a viewer toolbar's "1" or "A"): the reader's answer must reach us.
        if event.type() == QtCore.QEvent.Type.ShortcutOverride and event.key() in _READING_KEYS \
                and not event.modifiers() & MODIFIERS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt name)
        key = event.key()
        if event.modifiers() & MODIFIERS:  # Ctrl+1 is a shortcut, never an answer
            event.ignore()
            return
        if key == K.Key_Space:
            self.toggle_pause()
        elif self.state in ("paused", "done"):
            pass
        elif self._display_key(key, event.text()):
            pass
        elif self.state == "feedback" and key in (K.Key_Return, K.Key_Enter, K.Key_N):
            self.feedback_label.setText("")
            self._load_next()
        elif self.state == "choice" and key in _CHOICE_KEYS[self.task]:
            self.choice = _CHOICE_KEYS[self.task][key]
            if self.levels:
                self.state = "confidence"
                self.prompt.setText(self._prompt_text())
            else:
                self._commit(self.choice, None)
        elif self.state == "confidence" and key in _DIGITS and _DIGITS[key] <= self.levels:
            self._commit(self.choice, _DIGITS[key])
        elif self.state == "confidence" and key == K.Key_Backspace:
            self.state, self.choice = "choice", None
            self.prompt.setText(self._prompt_text())
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _display_key(self, key: int, text: str) -> bool:
        if text in ("+", "="):
            for v in self.views:
                v.set_zoom(v.zoom * 1.25)
        elif text == "-":
            for v in self.views:
                v.set_zoom(v.zoom / 1.25)
        elif text == "[":
            for v in self.views:
                v.adjust_window(-24)
        elif text == "]":
            for v in self.views:
                v.adjust_window(24)
        elif key == K.Key_Up:
            for v in self.views:
                v.adjust_level(-8)
        elif key == K.Key_Down:
            for v in self.views:
                v.adjust_level(8)
        elif key == K.Key_0:
            for v in self.views:
                v.reset_display()
        else:
            return False
        return True
