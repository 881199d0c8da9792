"""``mammostudio demo``: make sure the built-in demo data exists, then show it.

Builds (once) or locates the demo dataset, then opens the desktop app on it;
``--no-gui`` prints its scan summary instead. Without ``--patients`` / ``--size``
the most recently used build is reused (the app's 'Open demo dataset' does the
same); each configuration is built into its own folder, so box edits survive.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import describe_error
from ._run import fail, run_job

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``demo`` sub-command."""
    p = subparsers.add_parser("demo", help="build (once) and show the built-in demo dataset",
                              description="Build the synthetic demo dataset on first use (in the user data "
                                          "folder) and show it.")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="where to keep the demo data (default: the user data folder)")
    p.add_argument("--patients", type=int, default=None, metavar="N",
                   help="patients in the demo data (default 16; each size has its own folder, edits are kept)")
    p.add_argument("--size", type=int, nargs=2, default=None, metavar=("ROWS", "COLS"),
                   help="image size (default 2048 1664)")
    p.add_argument("--no-gui", action="store_true", help="print the dataset summary instead of opening the app")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from ..core.acquisition import AcquisitionFilter
    from ..core.demo.build import DemoConfig, ensure_demo_dataset
    from ..core.readers import open_dataset
    from .cmd_data import format_summary, scan_summary

    if not args.no_gui:
        from ..gui.app import display_problem

        problem = display_problem()  # before the build: it takes a while
        if problem:
            return fail(problem)
    try:
        config = None
        if args.patients is not None or args.size is not None:
            default = DemoConfig()
            rows, cols = args.size or (default.rows, default.cols)
            config = DemoConfig(patients=args.patients or default.patients, rows=rows, cols=cols)
        folder = run_job(ensure_demo_dataset(args.data, config=config), "demo data")
    except ValueError as exc:
        return fail(describe_error(exc))
    if not args.no_gui:
        try:
            from ..gui.app import run_app
        except ImportError as exc:
            return fail(f"the desktop app needs PySide6 and pyqtgraph ({exc}); use --no-gui for the summary")
        print(f"demo data: {folder}")
        return run_app(str(folder))
    catalog = open_dataset(folder)
    print(f"demo data: {folder}")
    print(format_summary(scan_summary(catalog, AcquisitionFilter().apply(catalog.images),
                                      filter_name="paper defaults")))
    return 0
