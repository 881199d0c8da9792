"""Overlay items and texts of the detection reading screen: marks, revealed outlines, feedback."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["draw_marker", "draw_outline", "feedback_text", "label_font"]


def label_font(points: int = 13) -> QtGui.QFont:
    """Bold overlay text, readable over the image at any zoom."""
    font = QtGui.QFont()
    font.setPointSize(points)
    font.setBold(True)
    return font


def draw_marker(vb, row: float, col: float, text: str, colour) -> list:
    """A ring at display (row, col) with its rating beside it; returns the items added to ``vb``."""
    ring = pg.ScatterPlotItem([col + 0.5], [row + 0.5], symbol="o", size=18, pen=pg.mkPen(colour, width=2.5),
                              brush=None)
    label = pg.TextItem(text, color=colour, anchor=(-0.4, 1.1))
    label.setFont(label_font(14))
    label.setPos(col + 0.5, row + 0.5)
    vb.addItem(ring)
    vb.addItem(label)
    return [ring, label]


def draw_outline(vb, v, box, les) -> list:
    """A revealed lesion: its box (dashed; green found, orange missed) and its source; returns the items."""
    r0, c0 = v.to_display(box[0] - 0.5, box[1] - 0.5)
    r1, c1 = v.to_display(box[2] + 0.5, box[3] + 0.5)
    colour = (60, 220, 90) if les.found else (255, 140, 0)
    rect = QtWidgets.QGraphicsRectItem(c0 + 0.5, r0 + 0.5, c1 - c0, r1 - r0)
    rect.setPen(pg.mkPen(colour, width=2, style=QtCore.Qt.PenStyle.DashLine))
    label = pg.TextItem(les.source, color=colour, anchor=(0, 0))  # below the box, clear of the marks
    label.setFont(label_font(13))
    label.setPos(c0 + 0.5, r1 + 0.5)
    vb.addItem(rect)
    vb.addItem(label)
    return [rect, label]


def feedback_text(fb) -> str:
    """Training feedback in words: each lesion found or missed with its source, and the false marks."""
    nl = sum(1 for v in fb.lesion_of.values() if v is None)
    false = f"{nl} false mark{'s' if nl != 1 else ''}."
    if not fb.lesions:
        return "No lesion on this case. " + (false if nl else "Correct: no marks.")
    parts = [f"lesion {les.lesion_no} ({les.lesion_type or 'lesion'}, {les.source}): "
             f"{'found' if les.found else 'missed'}" for les in fb.lesions]
    return "; ".join(parts) + (f".  {false}" if nl else ".")
