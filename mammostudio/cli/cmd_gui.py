"""``mammostudio gui [DATASET]``: the desktop app (also what a bare ``mammostudio`` runs)."""
from __future__ import annotations

from pathlib import Path

from ._run import fail
from ..core.layouts import LAYOUTS


def register(subparsers) -> None:
    """Add the ``gui`` command."""
    p = subparsers.add_parser("gui", help="open the desktop app (the default command)",
                              description="Open the mammostudio desktop app, optionally on a dataset folder.")
    p.add_argument("dataset", nargs="?", help=f"dataset folder to open ({LAYOUTS})")
    p.set_defaults(func=_run)


def _run(args) -> int:
    if args.dataset and not Path(args.dataset).is_dir():
        return fail(f"{args.dataset}: no such folder")
    try:
        from ..gui.app import display_problem, run_app
    except ImportError as exc:
        return fail(f"the desktop app needs PySide6 and pyqtgraph ({exc})")
    problem = display_problem()
    if problem:
        return fail(problem)
    return run_app(args.dataset)
