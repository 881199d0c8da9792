"""Small torch helpers shared by the trainers (device choice, CPU threads)."""
from .device import select_device, set_threads_once

__all__ = ["select_device", "set_threads_once"]
