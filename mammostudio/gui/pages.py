"""Small pieces of the main window: the welcome view, an eliding label, a current-page stack."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QPushButton, QScrollArea, QStackedWidget,
                               QVBoxLayout, QWidget)

__all__ = ["WelcomePage", "ElidedLabel", "CurrentPageStack", "scrolling"]


class WelcomePage(QWidget):
    """"Open dataset..." and "Open demo dataset" plus the recent datasets.

    Signals
    -------
    openRequested()
        The user wants a folder dialog.
    demoRequested()
        Build (first time) and open the demo dataset.
    recentRequested(str)
        Open this recent dataset folder.
    """

    openRequested = Signal()
    demoRequested = Signal()
    recentRequested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        title = QLabel("<h1>mammostudio</h1><p>Mammography research workbench: browse, prepare, "
                       "train, evaluate and run reader studies.</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_button = QPushButton("Open dataset...")
        self.demo_button = QPushButton("Open demo dataset")
        self.demo_button.setToolTip("Synthetic mammograms with lesion boxes; built on first use")
        for b in (self.open_button, self.demo_button):
            b.setMinimumHeight(40)
            b.setMinimumWidth(220)
        self.open_button.clicked.connect(self.openRequested)
        self.demo_button.clicked.connect(self.demoRequested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.recent = QListWidget()
        self.recent.setMinimumWidth(320)
        self.recent.setMaximumHeight(180)
        self.recent_label = QLabel("Recent datasets (double-click to open):")
        self.recent.itemActivated.connect(lambda item: self.recentRequested.emit(item.text()))
        self.status = ElidedLabel("")  # a long progress path must not widen the window
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.recent_label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.recent, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def set_recent(self, paths: list[str]) -> None:
        """Show the recent dataset folders, newest first."""
        self.recent.clear()
        self.recent.addItems(paths)
        self.recent.setVisible(bool(paths))
        self.recent_label.setVisible(bool(paths))


class ElidedLabel(QLabel):
    """A one-line label that elides its text instead of widening the window.

    A long path or progress message in the status bar (or a pane title) must
    not set the main window's minimum width; the full text stays in the tooltip.
    """

    def __init__(self, text: str = "", parent=None, *, mode=Qt.TextElideMode.ElideMiddle, min_width: int = 40) -> None:
        super().__init__(text, parent)
        self._mode, self._min = mode, min_width

    def minimumSizeHint(self) -> QSize:  # noqa: D102 - Qt API
        return QSize(self._min, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: D102 - Qt API
        super().setText(text)
        self.setToolTip(text if len(text) > 40 else "")

    def paintEvent(self, event) -> None:  # noqa: D102 - Qt API
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), self._mode, rect.width())
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), text)


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area: a tall panel scrolls instead of making the window taller."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class CurrentPageStack(QStackedWidget):
    """The main window's pages: as small as the *current* page allows, and never wider.

    Qt's own stack takes the largest minimum size of all pages, so a wide page in
    another mode would keep the window wide in every mode. Each page also sits
    in a frameless scroll area: a page that grows past the screen (a long
    unbroken path in a label) scrolls instead of pushing the window off a
    1366 x 768 laptop screen. ``currentWidget`` / ``setCurrentWidget`` speak of
    the pages themselves, not their scroll areas.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def addWidget(self, page: QWidget) -> int:  # noqa: D102 - Qt API
        return super().addWidget(scrolling(page))

    def _area(self, page: QWidget) -> QWidget:
        for i in range(self.count()):
            area = super().widget(i)
            if area is page or (isinstance(area, QScrollArea) and area.widget() is page):
                return area
        raise ValueError(f"{page!r} is not a page of this stack")

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: D102 - Qt API
        super().setCurrentWidget(self._area(page))

    def currentWidget(self) -> QWidget | None:  # noqa: D102 - Qt API
        area = super().currentWidget()
        return area.widget() if isinstance(area, QScrollArea) else area

    def page_fits(self) -> bool:
        """Whether the current page is shown whole (no scroll bar needed)."""
        page, area = self.currentWidget(), super().currentWidget()
        if page is None:
            return True
        need = page.minimumSizeHint().expandedTo(page.minimumSize())
        return need.width() <= area.viewport().width() and need.height() <= area.viewport().height()

    def minimumSizeHint(self) -> QSize:  # noqa: D102 - Qt API
        area = super().currentWidget()
        return area.minimumSizeHint() if area is not None else QSize(0, 0)

    def sizeHint(self) -> QSize:  # noqa: D102 - Qt API
        page = self.currentWidget()
        return page.sizeHint() if page is not None else QSize(0, 0)
