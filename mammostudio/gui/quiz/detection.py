"""The detection reading screen: mark suspicious places on whole mammograms and rate each.

Mouse and keys (shown on screen):

- click on the image: place a mark; then a digit ``1``..``K`` rates it and commits it
  (``Esc`` drops an unrated mark);
- click on a mark: select it; a digit changes its rating; ``Delete``/``Backspace``
  withdraws the selected mark (or the last one made);
- ``N`` or ``Enter``: the case is done (zero marks is a valid reading);
- ``Space`` pauses and resumes (the images are hidden, the clock stops);
- training mode: the lesion outlines, how each mark scored and each lesion's source
  (simulated or real) appear after the case; ``Enter`` continues.

Every committed mark and every "case done" is written to the study before the screen
moves on (:class:`~mammostudio.core.quiz.detect_session.DetectionSession`). In assessment
mode the widget never receives any truth.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from ...core.quiz.detect_session import DetectionCaseView, DetectionFeedback, DetectionSession
from ...core.quiz.session import StudyError
from .detection_draw import draw_marker, draw_outline, feedback_text, label_font
from .reading import progress_row

__all__ = ["DetectionWidget"]

K = QtCore.Qt.Key
_DIGITS = {getattr(K, f"Key_{d}"): d for d in range(1, 10)}
_KEYS = set(_DIGITS) | {K.Key_N, K.Key_Return, K.Key_Enter, K.Key_Delete, K.Key_Backspace, K.Key_Escape,
                        K.Key_Space}
_PICK_PX = 12  # a click this close (screen pixels) to a mark selects it


class DetectionWidget(QtWidgets.QWidget):
    """Reads a :class:`DetectionSession` to its end; emits ``finished`` when done."""

    finished = QtCore.Signal()
    answered = QtCore.Signal(int)  # cases committed in this session

    def __init__(self, session: DetectionSession, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.levels, self.training = session.config.confidence_levels, session.mode == "training"
        self.setWindowTitle("Detection reading")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.state = "marking"  # marking -> (feedback) -> marking ...; done
        self.case: DetectionCaseView | None = None
        self.pending: tuple[int, float, float] | None = None  # (view index, display row, col)
        self.selected: int | None = None  # mark id
        self.feedback: DetectionFeedback | None = None
        self._clock = QtCore.QElapsedTimer()
        self._build()
        self._load_next()

    # --- layout ------------------------------------------------------------------
    def _build(self) -> None:
        self.progress_label, self.progress_bar, top = progress_row(self.session.total)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground("k")
        self.canvas.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.canvas.setAccessibleName("Case images")
        self.canvas.setMinimumSize(400, 400)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)
        self.prompt = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.prompt.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.help = QtWidgets.QLabel(
            f"Click = mark  ·  1-{self.levels} = rate the mark  ·  click a mark = select  ·  Delete = remove mark  "
            "·  N / Enter = case done  ·  Space = pause", alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.help.setStyleSheet("color: #888;")
        lay = QtWidgets.QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.canvas, 1)
        self.pause_label = QtWidgets.QLabel("Paused - press Space to resume", alignment=QtCore.Qt.AlignmentFlag.AlignCenter)
        self.pause_label.setStyleSheet("font-size: 20pt; color: #ddd; background: #222;")
        self.pause_label.hide()
        lay.addWidget(self.pause_label, 1)
        lay.addWidget(self.prompt)
        if self.training:  # exists only in training mode: assessment widgets never hold feedback
            self.feedback_label = QtWidgets.QLabel(alignment=QtCore.Qt.AlignmentFlag.AlignCenter, wordWrap=True)
            self.feedback_label.setStyleSheet("font-size: 13pt;")
            lay.addWidget(self.feedback_label)
        lay.addWidget(self.help)
        self.boxes: list[pg.ViewBox] = []

    def _show_case(self, case: DetectionCaseView) -> None:
        self.canvas.clear()
        self.boxes = []
        n = len(case.views)
        per_row = n if n <= 2 else 2 if n == 4 else n
        for i, v in enumerate(case.views):
            if i and i % per_row == 0:
                self.canvas.nextRow()
            vb = self.canvas.addViewBox(lockAspect=True, enableMenu=False, invertY=True)
            vb.setMouseEnabled(x=False, y=False)
            item = pg.ImageItem(v.pixels, axisOrder="row-major", levels=(0, 255))
            vb.addItem(item)
            label = pg.TextItem(v.label, color=(220, 220, 120), anchor=(0, 0))
            label.setFont(label_font(12))
            label.setPos(2, 2)
            vb.addItem(label)
            vb.autoRange(padding=0.0)
            vb.overlay = []  # items redrawn with the marks
            self.boxes.append(vb)

    # --- case flow -------------------------------------------------------------------
    def _load_next(self) -> None:
        try:
            case = self.session.next_case()
        except StudyError as exc:
            self.prompt.setText(str(exc))
            self.state = "error"
            return
        self.progress_bar.setValue(self.session.answered)
        self.pending, self.selected, self.feedback = None, None, None
        if case is None:
            self.state, self.case = "done", None
            self.canvas.clear()
            self.progress_label.setText(f"{self.session.answered} / {self.session.total}")
            self.prompt.setText("All cases read. Thank you.")
            self.finished.emit()
            return
        self.case, self.state = case, "marking"
        self._show_case(case)
        self.progress_label.setText(f"Case {case.position + 1} / {case.total}")
        self._clock.start()
        self._before_pause = 0.0
        self._redraw()

    def _prompt_text(self) -> str:
        if self.state == "feedback":
            return "Enter = next case"
        if self.pending is not None:
            return f"Rate this mark: 1 (low suspicion) … {self.levels} (high)    Esc = drop it"
        n = len(self.session.marks())
        return f"{n} mark{'s' if n != 1 else ''} on this case.  Click to mark, N / Enter when done."

    # --- geometry ----------------------------------------------------------------------
    def widget_pos(self, view: int, row: float, col: float) -> QtCore.QPoint:
        """Where display pixel (row, col) of a view is, in the canvas viewport (for tests)."""
        scene = self.boxes[view].mapViewToScene(QtCore.QPointF(col + 0.5, row + 0.5))
        return self.canvas.mapFromScene(scene)

    def _clicked(self, ev) -> None:
        if self.state != "marking" or ev.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        for i, vb in enumerate(self.boxes):
            if not vb.sceneBoundingRect().contains(ev.scenePos()):
                continue
            p = vb.mapSceneToView(ev.scenePos())
            row, col = p.y() - 0.5, p.x() - 0.5
            rows, cols = self.case.views[i].pixels.shape
            if not (-0.5 <= row < rows - 0.5 and -0.5 <= col < cols - 0.5):
                return
            hit = self._mark_near(i, ev.scenePos())
            if hit is not None:
                self.selected, self.pending = hit, None
            else:
                self.pending, self.selected = (i, row, col), None
            ev.accept()
            self._redraw()
            return

    def _mark_near(self, view: int, scene_pos) -> int | None:
        v = self.case.views[view]
        best = None
        for m in self.session.marks():
            if m.image_key != v.image_key:
                continue
            r, c = v.to_display(m.row, m.col)
            q = self.boxes[view].mapViewToScene(QtCore.QPointF(c + 0.5, r + 0.5))
            d = float(np.hypot(q.x() - scene_pos.x(), q.y() - scene_pos.y()))
            if d <= _PICK_PX and (best is None or d < best[0]):
                best = (d, m.mark_id)
        return None if best is None else best[1]

    # --- actions -------------------------------------------------------------------------
    def _rate(self, rating: int) -> None:
        try:
            if self.pending is not None:
                i, row, col = self.pending
                v = self.case.views[i]
                self.selected = self.session.add_mark(v.image_key, *v.to_original(row, col), rating)
                self.pending = None
            elif self.selected is not None:
                self.selected = self.session.set_rating(self.selected, rating)
        except StudyError as exc:
            self.prompt.setText(str(exc))
            return
        self._redraw()

    def _delete(self) -> None:
        marks = self.session.marks()
        target = self.selected if self.selected is not None else (marks[-1].mark_id if marks else None)
        if target is None:
            return
        try:
            self.session.delete_mark(target)
        except StudyError as exc:
            self.prompt.setText(str(exc))
            return
        self.selected = None
        self._redraw()

    def _done(self) -> None:
        self.pending = None
        try:
            fb = self.session.finish_case(rt_ms=self._before_pause + float(self._clock.elapsed()))
        except StudyError as exc:
            self.prompt.setText(str(exc))
            return
        self.progress_bar.setValue(self.session.answered)
        self.answered.emit(self.session.answered)
        if self.training and fb is not None:
            self._show_feedback(fb)
        else:
            self._load_next()

    def _show_feedback(self, fb: DetectionFeedback) -> None:
        self.state, self.feedback = "feedback", fb
        self.feedback_label.setText(feedback_text(fb))
        self._redraw()

    # --- drawing ---------------------------------------------------------------------------
    def _redraw(self) -> None:
        if self.case is None:
            return
        marks = self.session.marks()  # after "case done" still the finished case's marks
        for i, (vb, v) in enumerate(zip(self.boxes, self.case.views)):
            for item in vb.overlay:
                vb.removeItem(item)
            vb.overlay = []
            if self.feedback is not None:
                for les in self.feedback.lesions:
                    for o in les.outlines:
                        if o.image_key == v.image_key:
                            vb.overlay += draw_outline(vb, v, o.box, les)
            for m in marks:
                if m.image_key == v.image_key:
                    r, c = v.to_display(m.row, m.col)
                    vb.overlay += draw_marker(vb, r, c, str(m.rating), self._mark_colour(m.mark_id))
            if self.pending is not None and self.pending[0] == i:
                vb.overlay += draw_marker(vb, self.pending[1], self.pending[2], "?", (255, 220, 0))
        self.prompt.setText(self._prompt_text())

    def _mark_colour(self, mark_id: int) -> tuple[int, int, int]:
        if self.feedback is not None:
            return (60, 220, 90) if self.feedback.lesion_of.get(mark_id) is not None else (240, 70, 70)
        return (255, 160, 0) if mark_id == self.selected else (80, 200, 255)

    # --- keys -------------------------------------------------------------------------------
    def event(self, event: QtCore.QEvent) -> bool:  # noqa: D102 (Qt override)
        # Claim the reading keys before any window shortcut of the host app sees them.
        # Esc is claimed only while a mark waits for its rating (else it leaves the screen).
        if (event.type() == QtCore.QEvent.Type.ShortcutOverride and event.key() in _KEYS
                and (event.key() != K.Key_Escape or self.pending is not None)):
            event.accept()
            return True
        return super().event(event)

    def toggle_pause(self) -> None:
        """Hide the case and stop its clock, or bring it back."""
        if self.state == "marking":
            self.state, self._before_pause = "paused", self._before_pause + float(self._clock.elapsed())
            self.canvas.hide()
            self.pause_label.show()
        elif self.state == "paused":
            self.state = "marking"
            self._clock.start()
            self.pause_label.hide()
            self.canvas.show()
        self.prompt.setText("" if self.state == "paused" else self._prompt_text())

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:  # noqa: N802 (Qt name)
        key = event.key()
        if key == K.Key_Space and self.state in ("marking", "paused"):
            self.toggle_pause()
        elif self.state == "feedback" and key in (K.Key_Return, K.Key_Enter, K.Key_N):
            if self.training:
                self.feedback_label.setText("")
            self._load_next()
        elif self.state != "marking":
            super().keyPressEvent(event)
            return
        elif key in _DIGITS and _DIGITS[key] <= self.levels and (self.pending or self.selected is not None):
            self._rate(_DIGITS[key])
        elif key == K.Key_Escape and self.pending is not None:
            self.pending = None
            self._redraw()
        elif key in (K.Key_Delete, K.Key_Backspace):
            self._delete()
        elif key in (K.Key_N, K.Key_Return, K.Key_Enter):
            self._done()
        else:
            super().keyPressEvent(event)
            return
        event.accept()
