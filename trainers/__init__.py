"""Models, training loops, metrics and experiments (torch; no Qt)."""
