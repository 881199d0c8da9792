"""Physical size on screen: a one-time calibration of the screen against a card or a ruler.

A case shown "at 50 mm" must measure 50 mm on every reader's monitor, so the
magnification does not depend on the screen. ``QScreen.physicalDotsPerInch``
comes from the monitor's EDID and is often wrong (projectors, TVs, scaled
desktops, VMs), so the reader calibrates once: they hold a credit card
(ISO/IEC 7810 ID-1, 85.60 mm wide) or a ruler against the screen and drag the
drawn outline until it matches. The result (logical pixels per mm) is kept in
the app's settings file.
"""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

__all__ = ["CARD_MM", "DEFAULT_DISPLAY_MM", "px_per_mm", "set_px_per_mm", "display_mm_setting",
           "set_display_mm", "CalibrationDialog"]

CARD_MM = (85.60, 53.98)  # ID-1 card (credit card, most ID cards): width, height
DEFAULT_DISPLAY_MM = 50.0  # side of a case on screen until the study or the reader says otherwise


def _settings() -> QtCore.QSettings:
    from ..mainwindow import settings_file  # lazily: the main window module imports the quiz

    return QtCore.QSettings(str(settings_file()), QtCore.QSettings.Format.IniFormat)


def px_per_mm(screen: QtGui.QScreen | None = None) -> tuple[float, str]:
    """Logical pixels per millimetre and where the value came from ('calibrated' or 'reported by the screen')."""
    value = _settings().value("display/px_per_mm")
    try:
        if value is not None and float(value) > 0:
            return float(value), "calibrated"
    except (TypeError, ValueError):
        pass
    screen = screen or QtGui.QGuiApplication.primaryScreen()
    dpi = screen.physicalDotsPerInch() if screen is not None else 96.0
    # logical pixels: the OS's scale factor divides the device pixels
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    return max(dpi / ratio, 10.0) / 25.4, "reported by the screen (not calibrated)"


def set_px_per_mm(value: float) -> None:
    """Store a calibration (logical pixels per mm)."""
    if not 0.5 < value < 100:
        raise ValueError(f"pixels per mm must be in (0.5, 100), got {value}")
    s = _settings()
    s.setValue("display/px_per_mm", float(value))
    s.sync()


def display_mm_setting() -> float:
    """This workstation's side of a quiz case on screen, in mm."""
    try:
        return float(_settings().value("quiz/display_mm", DEFAULT_DISPLAY_MM))
    except (TypeError, ValueError):
        return DEFAULT_DISPLAY_MM


def set_display_mm(mm: float) -> None:
    """Store the side of a quiz case on screen (mm)."""
    s = _settings()
    s.setValue("quiz/display_mm", float(mm))
    s.sync()


class _Card(QtWidgets.QWidget):
    """Draws a card outline ``width_px`` wide (ID-1 proportions) and a 50 mm ruler under it."""

    def __init__(self, width_px: float, parent=None) -> None:
        super().__init__(parent)
        self.width_px = width_px
        self.setMinimumSize(560, 330)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        w = self.width_px
        h = w * CARD_MM[1] / CARD_MM[0]
        p.setPen(QtGui.QPen(QtGui.QColor(30, 30, 30), 2))
        p.setBrush(QtGui.QColor(200, 220, 245))
        p.drawRoundedRect(QtCore.QRectF(10, 10, w, h), 3.18 * w / CARD_MM[0], 3.18 * w / CARD_MM[0])
        p.drawText(QtCore.QRectF(10, 10, w, h), QtCore.Qt.AlignmentFlag.AlignCenter, "credit card")
        mm = w / CARD_MM[0]
        y = 10 + h + 30
        p.drawLine(QtCore.QPointF(10, y), QtCore.QPointF(10 + 50 * mm, y))
        for i in range(0, 51):
            tick = 12 if i % 10 == 0 else (8 if i % 5 == 0 else 4)
            p.drawLine(QtCore.QPointF(10 + i * mm, y), QtCore.QPointF(10 + i * mm, y - tick))
            if i % 10 == 0:
                p.drawText(QtCore.QPointF(10 + i * mm - 4, y + 16), str(i))
        p.drawText(QtCore.QPointF(10 + 50 * mm + 8, y + 4), "mm")
        p.end()


class CalibrationDialog(QtWidgets.QDialog):
    """Match the outline to a real card (or the ruler to a real ruler); OK stores pixels per mm."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate the screen")
        start, source = px_per_mm(self.screen() if parent is not None else None)
        self.card = _Card(start * CARD_MM[0])
        self.card_width = QtWidgets.QDoubleSpinBox(minimum=50.0, maximum=2000.0, decimals=1, suffix=" px",
                                              value=start * CARD_MM[0])
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, minimum=150, maximum=1000,
                                        value=int(round(start * CARD_MM[0])))
        self.card_width.valueChanged.connect(self._set)
        self.slider.valueChanged.connect(lambda v: self.card_width.setValue(float(v)))
        self.result_label = QtWidgets.QLabel()
        help_ = QtWidgets.QLabel(
            "Hold a credit card (or any ID-1 card, 85.6 mm wide) against the screen and drag the slider until the "
            "outline has exactly its width, or match the 50 mm ruler to a real ruler. Done once per screen; "
            f"now: {start:.2f} px/mm, {source}.", wordWrap=True)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.slider, 1)
        row.addWidget(self.card_width)
        lay = QtWidgets.QVBoxLayout(self)
        lay.addWidget(help_)
        lay.addWidget(self.card, 1)
        lay.addLayout(row)
        lay.addWidget(self.result_label)
        lay.addWidget(buttons)
        self._set(self.card_width.value())

    @property
    def value(self) -> float:
        """Logical pixels per mm for the current outline."""
        return self.card_width.value() / CARD_MM[0]

    def _set(self, width_px: float) -> None:
        self.card.width_px = width_px
        self.card.update()
        self.slider.blockSignals(True)
        self.slider.setValue(int(round(width_px)))
        self.slider.blockSignals(False)
        self.result_label.setText(f"{self.value:.3f} px per mm  ({self.value * 25.4:.0f} px per inch)")

    def accept(self) -> None:  # noqa: D102 - Qt API
        set_px_per_mm(self.value)
        super().accept()
