"""Small pages of the main window: the welcome view and the pages of later releases."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

__all__ = ["WelcomePage"]


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
        self.recent.setMinimumWidth(560)
        self.recent.setMaximumHeight(180)
        self.recent_label = QLabel("Recent datasets (double-click to open):")
        self.recent.itemActivated.connect(lambda item: self.recentRequested.emit(item.text()))
        self.status = QLabel("")
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)
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
