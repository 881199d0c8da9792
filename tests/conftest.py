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


@pytest.fixture()
def mias_viewer(qtbot, mias_copy):
    """A shown 900 x 800 viewer over :func:`mias_copy` (no image selected yet)."""
    from mammostudio.core.readers import open_dataset
    from mammostudio.gui.app import make_app

    make_app()
    from mammostudio.gui.state import AppState
    from mammostudio.gui.viewer import ViewerWidget

    state = AppState()
    state.set_dataset(open_dataset(mias_copy))
    w = ViewerWidget(state)
    w.resize(900, 800)
    qtbot.addWidget(w)
    w.show()
    return w


def _env_folder(name: str, folder):
    """Point the environment variable ``name`` at ``folder`` for the session, then put it back."""
    old = os.environ.get(name)
    os.environ[name] = str(folder)
    yield
    if old is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = old


@pytest.fixture(autouse=True, scope="session")
def _private_user_data(tmp_path_factory):
    """Pseudonym mappings of read-only datasets and error logs go to a temporary user data folder."""
    yield from _env_folder("MAMMOSTUDIO_DATA_DIR", tmp_path_factory.mktemp("user-data"))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Header indexes and catalog snapshots of test datasets go to a temporary cache folder."""
    yield from _env_folder("MAMMOSTUDIO_CACHE_DIR", tmp_path_factory.mktemp("cache"))


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
def make_window(qtbot, tmp_path):
    """Makes the main window at ``size`` (cols, rows), shown, with its settings in a temporary file."""
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    def make(size: tuple[int, int] = (1300, 900)):
        make_app()
        w = MainWindow(settings_path=tmp_path / "settings.ini")
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        return w

    return make


@pytest.fixture()
def window(make_window):
    """The main window at 1300 x 900 (see :func:`make_window`)."""
    return make_window()
