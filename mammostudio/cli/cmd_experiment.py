"""``experiment``: the paper's augmentation experiment (ORG / Aug ORG / GAN / Aug GAN).

Resumable: rerun the same command to continue; finished cells are skipped.
Share the grid between processes or GPUs with ``--cell`` patterns, e.g. one
job per fold: ``--cell '*_f0'``.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ._run import fail, run_job

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``experiment`` command."""
    p = subparsers.add_parser(
        "experiment", help="run the paper's augmentation experiment (spec 3.3)",
        description="Train one DCGAN per k and fold on P_k, then the lesion classifier in four modes "
                    "(ORG, Aug ORG, GAN, Aug GAN) with patient-grouped k-fold cross-validation. "
                    "Writes per-cell results, results.xlsx/csv, figure9_f1.png and report.md into OUT.")
    p.add_argument("patches", type=Path, help="patch dataset from `mammostudio extract`")
    p.add_argument("out", type=Path, help="output folder (rerun with the same settings to resume)")
    p.add_argument("--preset", choices=["paper", "tiny"], default="paper",
                   help="paper: the paper's grid (GPU); tiny: minutes on a CPU (16-pixel images)")
    p.add_argument("--config", type=Path, default=None, help="ExperimentConfig JSON (e.g. an earlier config.json)")
    p.add_argument("--sizes", type=int, nargs="+", default=None, metavar="K", help="positive subset sizes k")
    p.add_argument("--folds", type=int, default=None, help="cross-validation folds (default: the preset's)")
    p.add_argument("--seed", type=int, default=None, help="seed of folds, subsets and training (default: the preset's)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                   help="where to train: auto = CUDA when available (default: the preset's)")
    p.add_argument("--gan-epochs", type=int, default=None, help="DCGAN epochs per cell (default: the preset's)")
    p.add_argument("--cell", action="append", default=None, metavar="PATTERN",
                   help="run only cells whose id matches (glob; repeatable), e.g. 'clf_k100_*' or '*_f1'")
    p.add_argument("--list-cells", action="store_true", help="print the cell ids and their state, then exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _config(args):
    from trainers.experiment import ExperimentConfig

    cfg = ExperimentConfig.from_json(args.config) if args.config else getattr(ExperimentConfig, args.preset)()
    changes = {k: v for k, v in (("sizes", tuple(args.sizes) if args.sizes else None),
                                 ("folds", args.folds), ("seed", args.seed)) if v is not None}
    if args.device is not None:
        changes["gan"] = replace(changes.get("gan", cfg.gan), device=args.device)
        changes["classifier"] = replace(cfg.classifier, device=args.device)
    if args.gan_epochs is not None:
        changes["gan"] = replace(changes.get("gan", cfg.gan), epochs=args.gan_epochs)
    return replace(cfg, **changes)


def _run(args: argparse.Namespace) -> int:
    from trainers.experiment import grid_cells, run_experiment
    from trainers.experiment.cells import read_result

    try:
        cfg = _config(args)
    except ValueError as exc:
        return fail(str(exc))
    if args.list_cells:
        for cell in grid_cells(cfg):
            state = "done" if read_result(args.out / "cells" / cell.id) else "todo"
            print(f"{cell.id}\t{state}")
        return 0
    if not args.patches.is_dir():
        return fail(f"{args.patches}: no such patch folder")
    try:
        summary = run_job(run_experiment(args.patches, args.out, cfg, cells=args.cell), "experiment",
                          quiet=args.quiet)
    except (ValueError, FileNotFoundError) as exc:
        return fail(str(exc))
    print(Path(summary["report"]["report.md"]).read_text(encoding="utf-8"))
    print(json.dumps({k: v for k, v in summary.items() if k != "report"}, indent=1))
    return 0
