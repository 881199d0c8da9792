"""Regenerate the README's command-line reference from the commands' own --help.

Usage::

    python resources/render_cli_reference.py          # rewrite README.md in place
    python resources/render_cli_reference.py --check  # exit 1 when README.md is stale

The reference is everything in README.md from the top-level usage block to the
end of the file: the top-level help, then one ``### `mammostudio COMMAND` ``
section per command in the order ``mammostudio --help`` lists them. Help is
rendered 90 columns wide so the text does not depend on the terminal.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START = "```text\nusage: mammostudio [-h]"
WIDTH = "90"


def reference_text() -> str:
    """The reference section's text (top-level help + one block per command)."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse reads the width when a formatter is made
    try:
        from mammostudio.cli import build_parser

        parser = build_parser()
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parts = ["```text\n" + parser.format_help().rstrip() + "\n```\n"]
        for action in sub._choices_actions:
            help_text = sub.choices[action.dest].format_help().rstrip()
            parts.append(f"\n### `mammostudio {action.dest}`\n\n```text\n{help_text}\n```\n")
        return "".join(parts)
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def render(readme: str) -> str:
    """``readme`` with its reference section regenerated."""
    at = readme.find(START)
    if at < 0:
        raise ValueError(f"{README}: no top-level usage block ({START!r}) to replace")
    return readme[:at] + reference_text()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check; exit 1 when README.md is stale")
    args = ap.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    fresh = render(current)
    if args.check:
        if fresh != current:
            print(f"{README}: the command-line reference is stale; run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        from mammostudio.core.atomic import write_text

        write_text(README, fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
