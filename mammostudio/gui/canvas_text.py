"""The text a radiology viewer paints over the image, in screen space: corner text,
the laterality marker and the orientation letters (see ``ImageCanvas.set_annotation_text``)."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont

__all__ = ["paint_annotation_text"]


def _text(painter, box: QRectF, text: str, align, colour=None) -> None:
    """Text with a dark shadow: legible on bright tissue and on black air."""
    painter.setPen(QColor(0, 0, 0))
    painter.drawText(box.translated(1, 1), int(align), text)
    painter.setPen(colour or QColor(235, 235, 235))
    painter.drawText(box, int(align), text)


def paint_annotation_text(canvas, painter) -> None:
    """Paint ``canvas``'s corner text, marker and orientation letters (viewport pixels).

    Window / level and zoom are read live from the canvas, so they are never stale.
    """
    painter.save()
    painter.resetTransform()
    w, h = canvas.viewport().width(), canvas.viewport().height()
    font = QFont(canvas.font())
    font.setPointSizeF(max(8.0, font.pointSizeF() * 0.95))
    painter.setFont(font)
    line = painter.fontMetrics().height()
    corners = {k: list(v) for k, v in canvas.corners.items()}
    if canvas.display is not None:
        corners.setdefault("bl", []).extend([f"W {canvas.window_width:.0f}  L {canvas.window_center:.0f}",
                                             f"Zoom {canvas.zoom_percent():.0f}%"])
    left, right, top, bottom = canvas.shown_orientation()
    marker_left = left == "A" or "A" not in (left, right)  # the marker sits on the nipple (air) side
    y0 = {"tl": 4, "tr": 4}
    if canvas.marker:
        big = QFont(font)
        big.setPointSizeF(font.pointSizeF() * 1.8)
        big.setBold(True)
        painter.setFont(big)
        bh = painter.fontMetrics().height()
        _text(painter, QRectF(6, 2, w - 12, bh), canvas.marker,
              Qt.AlignmentFlag.AlignLeft if marker_left else Qt.AlignmentFlag.AlignRight)
        y0["tl" if marker_left else "tr"] += bh
        painter.setFont(font)
    for key, lines in corners.items():
        align = Qt.AlignmentFlag.AlignLeft if key[1] == "l" else Qt.AlignmentFlag.AlignRight
        top_y = y0.get(key, 0) if key[0] == "t" else h - 4 - line * len(lines)
        for i, text in enumerate(lines):
            _text(painter, QRectF(6, top_y + i * line, w - 12, line), text, align)
    a = Qt.AlignmentFlag
    for text, box, align in ((left, QRectF(4, h / 2 - line, 30, 2 * line), a.AlignLeft),
                             (right, QRectF(w - 34, h / 2 - line, 30, 2 * line), a.AlignRight),
                             (top, QRectF(w / 2 - 15, 2, 30, line), a.AlignHCenter),
                             (bottom, QRectF(w / 2 - 15, h - line - 2, 30, line), a.AlignHCenter)):
        if text:
            _text(painter, box, text, align | a.AlignVCenter, colour=QColor(255, 220, 120))
    painter.restore()
