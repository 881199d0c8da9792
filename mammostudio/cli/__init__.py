"""The ``mammostudio`` command.

Each sub-command lives in a ``cmd_<name>.py`` module of this package that
defines ``register(subparsers)``; the module adds its parser and sets
``func=`` to a handler taking the parsed ``argparse.Namespace`` and returning an
exit code. Handlers import heavy packages (torch, Qt) lazily so ``mammostudio
--help`` stays fast.

Errors take one path (:func:`._run.report_error`): a handler may return
``fail(...)`` itself or simply raise; a ``ValueError`` or ``OSError`` becomes
one line naming the file and the problem (exit 2), anything else one line
and a log file (exit 1). ``--debug`` (or ``MAMMOSTUDIO_DEBUG=1``) lets the
traceback through.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from .. import __version__

__all__ = ["build_parser", "main"]

WORKFLOW_ORDER = ("gui", "demo", "demo-data", "scan", "prepare", "extract", "export-patches", "train-gan", "generate", "fid", "tsne",
                  "experiment", "train-inpaint", "simulate", "quiz-create", "quiz-stats", "quiz-report",
                  "quiz-export-copy", "self-test")


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every ``cmd_*`` module's sub-command."""
    parser = argparse.ArgumentParser(
        prog="mammostudio",
        description="Mammography research workbench: browse, prepare, train, evaluate, quiz.",
    )
    parser.add_argument("--version", action="version", version=f"mammostudio {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show Python tracebacks instead of one-line errors (for bug reports)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    # Listed in workflow order (modules register alphabetically); unknown names go last.
    rank = {name: i for i, name in enumerate(WORKFLOW_ORDER)}
    sub._choices_actions.sort(key=lambda a: rank.get(a.dest, len(rank)))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``mammostudio`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        # A bare `mammostudio` opens the desktop app once the GUI command exists.
        try:
            args = parser.parse_args(["gui"])
        except SystemExit:
            parser.print_help()
            return 0
    from ._run import report_error

    debug = bool(getattr(args, "debug", False)) or os.environ.get("MAMMOSTUDIO_DEBUG", "") not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted; files already written are complete, nothing half-written was kept", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # the one error path of every command
        if debug:
            raise
        return report_error(exc, getattr(args, "command", None))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
