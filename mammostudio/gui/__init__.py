"""Qt widgets of the desktop app. Reaches trainers only through ``mammostudio.gui.jobs``."""
