"""First run: a missing display is explained before any slow work; the demo keeps box edits."""
from __future__ import annotations

import json

import pytest

from mammostudio.gui.app import display_problem, missing_xcb_packages


def test_no_display_is_one_line_with_the_way_out():
    msg = display_problem({"PATH": "/usr/bin"}, probe=False)
    assert msg is not None and "\n" not in msg
    assert "--no-gui" in msg and "QT_QPA_PLATFORM=offscreen" in msg


def test_offscreen_platform_needs_no_display():
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None


def test_unreachable_x_server_is_named(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    msg = display_problem({"DISPLAY": ":93", "PATH": "/usr/bin"})  # no X server there
    assert msg is not None and "--no-gui" in msg and "\n" not in msg
    # Where the xcb libraries are installed the missing server is named, else the packages.
    assert "DISPLAY=:93" in msg or "apt-get install" in msg


def test_missing_xcb_libraries_become_debian_package_names():
    ldd = ("\tlibQt6XcbQpa.so.6 => /x/libQt6XcbQpa.so.6 (0x1)\n"
           "\tlibxcb-icccm.so.4 => not found\n\tlibxcb-keysyms.so.1 => not found\n"
           "\tlibxcb-cursor.so.0 => /lib/libxcb-cursor.so.0 (0x2)\n")
    assert missing_xcb_packages(ldd) == ["libxcb-icccm4", "libxcb-keysyms1"]


def test_demo_command_without_a_display_fails_before_building(tmp_path, monkeypatch, capsys):
    from mammostudio.cli import main

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["demo", "--data", str(tmp_path / "demo"), "--patients", "1", "--size", "128", "104"]) == 2
    assert "--no-gui" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


def test_rerunning_the_demo_with_other_sizes_keeps_the_sidecar(qtbot, tmp_path, capsys):
    pytest.importorskip("pytestqt")
    import mammostudio.core.demo.build as build
    from mammostudio.cli import main
    from mammostudio.core.annotations import SIDECAR_NAME
    from mammostudio.gui.app import make_app
    from mammostudio.gui.mainwindow import MainWindow

    demo = tmp_path / "demo"
    argv = ["demo", "--no-gui", "--data", str(demo), "--patients", "1", "--size"]
    assert main([*argv, "128", "104"]) == 0
    make_app()
    window = MainWindow(settings_path=tmp_path / "settings.ini")
    qtbot.addWidget(window)
    window.show()
    # The app's 'Open demo dataset' reuses the build the command made.
    window.open_demo(lambda: build.ensure_demo_dataset(demo))
    qtbot.waitUntil(lambda: window.state.catalog is not None, timeout=60000)
    first = window.state.catalog.root
    assert first.parent.name == "1-patients-128x104-seed0"
    image = str(window.state.catalog.images["image_id"].iloc[0])
    uid = window.state.add_box(image, (10, 10, 40, 40), lesion_type="calcification")
    sidecar = first / SIDECAR_NAME
    assert uid in sidecar.read_text()
    # Another size: a new folder; the first build and its edits stay.
    assert main([*argv, "160", "128"]) == 0
    assert "1-patients-160x128-seed0" in capsys.readouterr().out
    assert uid in json.dumps(json.loads(sidecar.read_text()))
    # Back to the first size (CLI or app): the edit is still on the image.
    assert main([*argv, "128", "104"]) == 0
    with qtbot.waitSignal(window.state.catalogChanged, timeout=60000):
        window.open_demo(lambda: build.ensure_demo_dataset(demo))
    assert window.state.catalog.root == first
    assert uid in set(window.state.catalog.lesions["lesion_uid"])
