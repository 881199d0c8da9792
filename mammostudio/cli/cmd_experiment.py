"""``experiment``: the paper's augmentation experiment (ORG / Aug ORG / GAN / Aug GAN).

Resumable: rerun the same command to continue; finished cells are skipped.
Share the grid between processes or GPUs with ``--cell`` patterns, e.g. one
job per fold: ``--cell '*_f0'``, or let ``--launcher local|slurm`` submit every
cell as a job through submitit (GAN cells first, classifier cells after their
GAN); ``--status`` shows where each cell is.
"""
from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ..core.errors import describe_error
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
    p.add_argument("--positives", default=None, metavar="mass|mass-containing|TYPES",
                   help="the positive class: 'mass' (default, the paper's: type mass alone), 'mass-containing' "
                        "(also mass+calcification, focal asymmetry+mass, ...) or a comma list of exact types")
    p.add_argument("--classifier-preset", choices=["paper", "published_code"], default=None,
                   help="paper (default) or published_code (Xavier init, StepLR 0.95 per epoch, "
                        "validation every 10 batches)")
    p.add_argument("--generator", choices=["last", "best-fid"], default=None,
                   help="which G_k the GAN modes sample: the last epoch's (default) or the best-FID one "
                        "(FID every --fid-every epochs; needs the standard FID weights)")
    p.add_argument("--fid-every", type=int, default=None, help="with --generator best-fid (default 10)")
    p.add_argument("--launcher", choices=["inline", "local", "slurm"], default="inline",
                   help="inline (default: this process), local (submitit subprocesses) or slurm (submitit jobs)")
    p.add_argument("--gan-resources", default=None, metavar="K=V,...",
                   help="submitit parameters of GAN cells, e.g. timeout_min=1440,slurm_partition=gpu,"
                        "slurm_gpus_per_node=1,cpus_per_task=8")
    p.add_argument("--clf-resources", default=None, metavar="K=V,...", help="the same for classifier cells")
    p.add_argument("--parallel", type=int, default=1, help="local launcher: jobs at once (default 1)")
    p.add_argument("--threads", type=int, default=0, help="torch threads per launched job (0: torch's default)")
    p.add_argument("--status", action="store_true",
                   help="print each cell's state (done / running, with host / todo) and job id, then exit")
    p.add_argument("--cell", action="append", default=None, metavar="PATTERN",
                   help="run only cells whose id matches (glob; repeatable), e.g. 'clf_k100_*' or '*_f1'")
    p.add_argument("--list-cells", action="store_true", help="print the cell ids and their state, then exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)


def _config(args):
    from trainers.classifier import ClassifierConfig
    from trainers.experiment import ExperimentConfig
    from trainers.experiment.config import parse_positives

    cfg = ExperimentConfig.from_json(args.config) if args.config else getattr(ExperimentConfig, args.preset)()
    changes = {k: v for k, v in (("sizes", tuple(args.sizes) if args.sizes else None),
                                 ("folds", args.folds), ("seed", args.seed), ("generator", args.generator),
                                 ("fid_every", args.fid_every)) if v is not None}
    if args.positives is not None:
        changes.update(parse_positives(args.positives))
    if args.classifier_preset is not None:
        # The preset's training rules on the preset's image size and widths.
        preset = getattr(ClassifierConfig, args.classifier_preset)()
        changes["classifier"] = cfg.classifier.replace(init=preset.init, lr_step_gamma=preset.lr_step_gamma,
                                                       val_every=preset.val_every)
    if args.device is not None:
        changes["gan"] = replace(changes.get("gan", cfg.gan), device=args.device)
        changes["classifier"] = replace(changes.get("classifier", cfg.classifier), device=args.device)
    if args.gan_epochs is not None:
        changes["gan"] = replace(changes.get("gan", cfg.gan), epochs=args.gan_epochs)
    return replace(cfg, **changes)


def _run(args: argparse.Namespace) -> int:
    from trainers.experiment import grid_cells, run_experiment
    from trainers.experiment.cells import read_result

    try:
        cfg = _config(args)
    except ValueError as exc:
        return fail(describe_error(exc))
    if args.list_cells:
        for cell in grid_cells(cfg):
            state = "done" if read_result(args.out / "cells" / cell.id) else "todo"
            print(f"{cell.id}\t{state}")
        return 0
    if args.status:
        from trainers.experiment.launch import experiment_status

        rows = experiment_status(args.out, cfg)
        for row in rows:
            where = f"\t{row['host']}" if row["host"] else ""
            print(f"{row['cell']}\t{row['state']}\t{row['job'] or '-'}{where}")
        counts = {s: sum(r["state"] == s for r in rows) for s in ("done", "running", "todo")}
        print(", ".join(f"{v} {k}" for k, v in counts.items()))
        return 0
    if not args.patches.is_dir():
        return fail(f"{args.patches}: no such patch folder")
    try:
        if args.launcher != "inline":
            return _launch(args, cfg)
        summary = run_job(run_experiment(args.patches, args.out, cfg, cells=args.cell), "experiment",
                          quiet=args.quiet)
    except (ValueError, FileNotFoundError) as exc:
        return fail(describe_error(exc))
    print(Path(summary["report"]["report.md"]).read_text(encoding="utf-8"))
    print(json.dumps({k: v for k, v in summary.items() if k != "report"}, indent=1))
    return 0


def _launch(args: argparse.Namespace, cfg) -> int:
    from trainers.experiment.launch import launch_experiment, parse_resources

    resources = {"gan": parse_resources(args.gan_resources), "clf": parse_resources(args.clf_resources)}
    summary = run_job(launch_experiment(args.patches, args.out, cfg, cells=args.cell, launcher=args.launcher,
                                        resources=resources, parallel=args.parallel, threads=args.threads),
                      f"experiment ({args.launcher} jobs)", quiet=args.quiet)
    if args.launcher == "slurm":
        print(f"submitted {len(summary['submitted'])} cells to SLURM ({len(summary['skipped'])} done or running); "
              f"report job {summary['report']}. Follow with --status; rerun the same command to resume.")
    else:
        report = args.out / "report.md"
        if report.is_file():
            print(report.read_text(encoding="utf-8"))
    print(json.dumps({k: v for k, v in summary.items() if k != "report"}, indent=1))
    return 1 if summary["failed"] else 0
