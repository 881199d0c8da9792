"""Where mammostudio keeps its own files: one function per folder kind.

Every per-user folder (settings, data such as the demo archive, training runs
and annotation sidecars of read-only datasets, caches such as catalog indexes)
is computed here and nowhere else, so the platform rules and the environment
overrides hold everywhere alike. ``appauthor=False`` keeps Windows paths free of
a vendor level (``%LOCALAPPDATA%\\mammostudio``).

=========================  ===============================  ======================
function                   override                         default (Linux)
=========================  ===============================  ======================
:func:`user_config_dir`    ``MAMMOSTUDIO_CONFIG_DIR``       ~/.config/mammostudio
:func:`user_data_dir`      ``MAMMOSTUDIO_DATA_DIR``         ~/.local/share/mammostudio
:func:`user_cache_dir`     ``MAMMOSTUDIO_CACHE_DIR``        ~/.cache/mammostudio
=========================  ===============================  ======================
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["user_config_dir", "user_data_dir", "user_cache_dir"]

APP = "mammostudio"


def _folder(env: str, kind: str, parts: tuple[str, ...]) -> Path:
    override = os.environ.get(env)
    if override:
        base = Path(override)
    else:
        import platformdirs

        base = Path(getattr(platformdirs, f"user_{kind}_dir")(APP, appauthor=False))
    return base.joinpath(*parts)


def user_config_dir(*parts: str) -> Path:
    """The settings folder (``MAMMOSTUDIO_CONFIG_DIR`` overrides), joined with ``parts``."""
    return _folder("MAMMOSTUDIO_CONFIG_DIR", "config", parts)


def user_data_dir(*parts: str) -> Path:
    """The data folder (``MAMMOSTUDIO_DATA_DIR`` overrides), joined with ``parts``.

    Holds the demo archive (``demo``), training runs (``runs``), patch datasets
    made from the GUI (``patches``) and sidecars of read-only datasets
    (``annotations``).
    """
    return _folder("MAMMOSTUDIO_DATA_DIR", "data", parts)


def user_cache_dir(*parts: str) -> Path:
    """The cache folder (``MAMMOSTUDIO_CACHE_DIR`` overrides), joined with ``parts``.

    Everything here can be deleted at any time and is rebuilt on demand.
    """
    return _folder("MAMMOSTUDIO_CACHE_DIR", "cache", parts)
