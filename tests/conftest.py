"""Shared fixtures: the real mini-MIAS folder, tiny synthetic data, torch threads."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
MIAS_DIR = REPO.parent / "shared" / "data" / "mias"


@pytest.fixture(scope="session")
def mias_dir() -> Path:
    """The real mini-MIAS subset beside the checkout (skips when absent)."""
    if not (MIAS_DIR / "Info.txt").is_file():
        pytest.skip(f"mini-MIAS data not found at {MIAS_DIR}")
    return MIAS_DIR


@pytest.fixture()
def mias_copy(mias_dir, tmp_path) -> Path:
    """A writable mini-MIAS folder: the real Info.txt plus mdb001 and mdb002 (one box
    each) and mdb005 (two boxes)."""
    dest = tmp_path / "mias"
    dest.mkdir()
    shutil.copy(mias_dir / "Info.txt", dest)
    for name in ("mdb001", "mdb002", "mdb005"):
        shutil.copy(mias_dir / f"{name}.pgm", dest)
    return dest


@pytest.fixture(autouse=True, scope="session")
def _private_user_data(tmp_path_factory):
    """Pseudonym mappings of read-only datasets and error logs go to a temporary user data folder."""
    old = os.environ.get("MAMMOSTUDIO_DATA_DIR")
    os.environ["MAMMOSTUDIO_DATA_DIR"] = str(tmp_path_factory.mktemp("user-data"))
    yield
    if old is None:
        os.environ.pop("MAMMOSTUDIO_DATA_DIR", None)
    else:
        os.environ["MAMMOSTUDIO_DATA_DIR"] = old


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Header indexes and catalog snapshots of test datasets go to a temporary cache folder."""
    old = os.environ.get("MAMMOSTUDIO_CACHE_DIR")
    os.environ["MAMMOSTUDIO_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if old is None:
        os.environ.pop("MAMMOSTUDIO_CACHE_DIR", None)
    else:
        os.environ["MAMMOSTUDIO_CACHE_DIR"] = old


@pytest.fixture(autouse=True, scope="session")
def _torch_threads():
    """Keep torch to one thread so the 2-core CI machine is not oversubscribed."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    torch.set_num_threads(1)
    yield


@pytest.fixture()
def window(qtbot, tmp_path):
    """The main window at 1300 x 900, shown, with its settings in a temporary file."""
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    make_app()
    w = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(w)
    w.resize(1300, 900)
    w.show()
    return w
