"""``quiz-create``, ``quiz-stats``, ``quiz-report``: reader studies from the terminal.

Reading itself happens in the desktop app (Quiz mode); these commands build a
study database and analyse it.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ._run import fail

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the quiz commands."""
    p = subparsers.add_parser(
        "quiz-create", help="build a real-vs-generated reader study (SQLite database)",
        description="Draw real lesion patches and generated images into a reader study database. "
                    "Training and assessment pools are disjoint; each reader gets a seeded order.")
    p.add_argument("out", type=Path, help="new study file (e.g. study.sqlite)")
    p.add_argument("--real", type=Path, required=True, help="patch dataset (index.csv) or folder of real PNG patches")
    p.add_argument("--generated", type=Path, action="append", required=True,
                   help="folder written by `mammostudio generate` (repeat for several generators)")
    p.add_argument("--name", action="append", default=None,
                   help="label for each --generated folder, in the same order (default: checkpoint name)")
    p.add_argument("--training-patches", type=Path, action="append", default=None,
                   help="the generator's training patches, per --generated folder (memorisation screen)")
    p.add_argument("--cases", type=int, default=100, help="assessment cases (default 100)")
    p.add_argument("--training-cases", type=int, default=20, help="training cases with feedback (default 20)")
    p.add_argument("--fraction-generated", type=float, default=0.5)
    p.add_argument("--task", choices=["single", "2afc"], default="single")
    p.add_argument("--confidence-levels", type=int, default=5, help="0 = no confidence rating; else 2..9")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per case (default: none)")
    p.add_argument("--size", type=int, default=128, help="display size in pixels (all images)")
    p.add_argument("--memorisation-threshold", type=float, default=0.03, help="RMS distance on a 0..1 scale")
    p.add_argument("--keep-memorised", action="store_true", help="keep flagged near-copies in the study")
    p.add_argument("--margin", type=float, default=0.1, help="equivalence margin around 50%% accuracy")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_create)

    s = subparsers.add_parser("quiz-stats", help="print a reader study's results and verdict")
    s.add_argument("db", type=Path)
    s.add_argument("--mode", choices=["assessment", "training"], default="assessment")
    s.add_argument("--margin", type=float, default=None, help="override the study's equivalence margin")
    s.set_defaults(func=_stats)

    r = subparsers.add_parser("quiz-report", help="export a reader study: Excel report (+ CSV, iMRMC, MRMCaov)")
    r.add_argument("db", type=Path)
    r.add_argument("xlsx", type=Path, help="Excel report to write")
    r.add_argument("--csv", type=Path, default=None, help="also write the tidy responses CSV")
    r.add_argument("--imrmc", type=Path, default=None, help="also write the Java iMRMC input (.imrmc)")
    r.add_argument("--imrmc-r", type=Path, default=None, help="also write the R iMRMC data frame (CSV)")
    r.add_argument("--mrmcaov", type=Path, default=None, help="also write the MRMCaov long table (CSV)")
    r.add_argument("--by-generator", action="store_true",
                   help="iMRMC/MRMCaov: one modality per generator (real cases shared) instead of one pooled")
    r.add_argument("--margin", type=float, default=None)
    r.set_defaults(func=_report)


def _create(args: argparse.Namespace) -> int:
    from ..core.patches import PatchDatasetError
    from ..core.quiz import QuizStore, StudyConfig, StudyError, design_study
    from ..core.quiz.design import NotEnoughImages
    from ..core.quiz.sources import load_generated_set, load_real_set

    names = args.name or [None] * len(args.generated)
    trains = args.training_patches or [None] * len(args.generated)
    if len(names) != len(args.generated) or len(trains) != len(args.generated):
        return fail("give --name and --training-patches once per --generated folder (or not at all)")
    if args.out.exists():
        return fail(f"{args.out}: already exists; choose a new study file")
    try:
        cfg = StudyConfig(
            n_assessment=args.cases, n_training=args.training_cases, fraction_generated=args.fraction_generated,
            task=args.task, confidence_levels=args.confidence_levels, time_limit_s=args.time_limit,
            image_size=args.size, memorisation_threshold=args.memorisation_threshold,
            exclude_memorised=not args.keep_memorised, equivalence_margin=args.margin, seed=args.seed)
        real = load_real_set(args.real, size=args.size)
        gens = [load_generated_set(g, size=args.size, name=n, training_folder=t)
                for g, n, t in zip(args.generated, names, trains)]
        design = design_study(real, gens, cfg)
        store = QuizStore.create(args.out, design)
    except NotEnoughImages as exc:
        return fail(f"{exc}. {_suggest(exc, args)}")
    except (ValueError, OSError, PatchDatasetError, StudyError) as exc:
        return fail(str(exc))
    for line in store.log:
        print(line)
    print(f"wrote {args.out}: {store.n_cases('assessment')} assessment + {store.n_cases('training')} training cases")
    store.close()
    return 0


def _suggest(exc, args: argparse.Namespace) -> str:
    """A smaller study that fits the eligible images, as the flags to type."""
    from ..core.quiz.planning import largest_study

    fits = largest_study(exc.eligible, args.cases, args.training_cases, task=args.task,
                         fraction_generated=args.fraction_generated, n_generators=len(args.generated),
                         generated=exc.source != "real")
    if fits is None:
        return "Too few images for any study: add real patches the generator did not train on"
    cases, training = fits
    more = ("real lesion patches the generator did not train on (e.g. another dataset's patches as --real)"
            if exc.source == "real" else f"more generated images (mammostudio generate --n)")
    return f"Try --cases {cases} --training-cases {training}, or give {more}"


def _open(db: Path):
    from ..core.quiz import QuizStore, StudyError

    try:
        return QuizStore.open(db)
    except StudyError as exc:
        raise SystemExit(fail(str(exc)))


def _stats(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..core.quiz import summarise

    store = _open(args.db)
    margin = store.config.equivalence_margin if args.margin is None else args.margin
    res = summarise(store.responses(), margin=margin, mode=args.mode)
    cols = [c for c in ("reader", "n", "accuracy", "acc_lo", "acc_hi", "p_vs_chance", "sensitivity",
                        "specificity", "dprime", "criterion", "auc", "auc_lo", "auc_hi") if c in res.per_reader]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 3):
        print(res.per_reader[cols].to_string(index=False))
        if len(res.per_generator):
            print("\nper generator:\n" + res.per_generator.to_string(index=False))
    if res.kappa["n_cases"]:
        print(f"\nFleiss' kappa {res.kappa['kappa']:.3f} over {res.kappa['n_cases']} cases x "
              f"{res.kappa['n_readers']} readers")
    print("\n" + res.verdict)
    store.close()
    return 0


def _report(args: argparse.Namespace) -> int:
    from ..core.quiz import export

    store = _open(args.db)
    try:
        export.write_excel(store, args.xlsx, margin=args.margin)
        print(f"wrote {args.xlsx}")
        if args.csv is not None:
            export.write_csv(store, args.csv)
            print(f"wrote {args.csv}")
        for path, writer in ((args.imrmc, export.write_imrmc), (args.imrmc_r, export.write_imrmc_r),
                             (args.mrmcaov, export.write_mrmcaov)):
            if path is not None:
                writer(store, path, by_generator=args.by_generator)
                print(f"wrote {path}")
    except (ValueError, OSError) as exc:
        return fail(str(exc))
    finally:
        store.close()
    return 0
