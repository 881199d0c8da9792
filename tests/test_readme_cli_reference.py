"""The README's command-line reference is the commands' own --help, never a stale copy."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "resources" / "render_cli_reference.py"


def _module():
    spec = importlib.util.spec_from_file_location("render_cli_reference", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(sys.version_info[:2] != (3, 11),
                    reason="argparse lays help out differently by Python version; the README is rendered on 3.11")
def test_readme_reference_matches_every_commands_help():
    mod = _module()
    readme = mod.README.read_text(encoding="utf-8")
    assert mod.render(readme) == readme, "README command-line reference is stale: run resources/render_cli_reference.py"


def test_every_command_has_a_section_in_workflow_order():
    from mammostudio.cli import WORKFLOW_ORDER, build_parser

    text = _module().reference_text()
    names = [line.split("`mammostudio ")[1].rstrip("`") for line in text.splitlines()
             if line.startswith("### `mammostudio ")]
    parser = build_parser()
    commands = set(next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction").choices)
    assert set(names) == commands
    assert names == [n for n in WORKFLOW_ORDER if n in commands] + [n for n in names if n not in WORKFLOW_ORDER]
    assert all(n in WORKFLOW_ORDER for n in names), "add new commands to cli.WORKFLOW_ORDER"
