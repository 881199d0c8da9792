"""The per-user folders are computed in one place, with environment overrides."""
from __future__ import annotations

from pathlib import Path

import platformdirs

from mammostudio.core import paths


def test_overrides_win_and_parts_are_joined(monkeypatch, tmp_path):
    for env, fn in (("MAMMOSTUDIO_CONFIG_DIR", paths.user_config_dir),
                    ("MAMMOSTUDIO_DATA_DIR", paths.user_data_dir),
                    ("MAMMOSTUDIO_CACHE_DIR", paths.user_cache_dir)):
        monkeypatch.setenv(env, str(tmp_path / env))
        assert fn("a", "b.json") == tmp_path / env / "a" / "b.json"


def test_defaults_follow_the_platform_without_a_vendor_level(monkeypatch):
    for env in ("MAMMOSTUDIO_CONFIG_DIR", "MAMMOSTUDIO_DATA_DIR", "MAMMOSTUDIO_CACHE_DIR"):
        monkeypatch.delenv(env, raising=False)
    assert paths.user_data_dir() == Path(platformdirs.user_data_dir("mammostudio", appauthor=False))
    assert paths.user_config_dir() == Path(platformdirs.user_config_dir("mammostudio", appauthor=False))
    assert paths.user_cache_dir("x") == Path(platformdirs.user_cache_dir("mammostudio", appauthor=False)) / "x"


def test_no_other_module_computes_a_user_folder():
    import mammostudio
    import trainers

    offenders = []
    for pkg in (mammostudio, trainers):
        for path in Path(pkg.__file__).parent.rglob("*.py"):
            if path.name != "paths.py" and "platformdirs" in path.read_text(encoding="utf-8"):
                offenders.append(str(path))
    assert not offenders, f"compute user folders through mammostudio.core.paths: {offenders}"
