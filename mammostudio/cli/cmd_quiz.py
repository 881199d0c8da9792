"""``quiz-create``, ``quiz-stats``, ``quiz-report``, ``quiz-export-copy``: reader studies from the terminal.

Reading itself happens in the desktop app (Quiz mode); these commands build a
study database and analyse it. ``quiz-stats``, ``quiz-report`` and
``quiz-export-copy`` open the study read-only: they never create, convert or
checkpoint a file.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import describe_error
from ._run import fail
from ..core.layouts import LAYOUTS

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the quiz commands."""
    p = subparsers.add_parser(
        "quiz-create", help="build a reader study (SQLite database): real vs generated, or lesion detection",
        description="Draw real lesion patches and generated images into a reader study database, or "
                    "(--task detection) whole mammograms with simulated, real or no lesions from a dataset. "
                    "Training and assessment pools are disjoint; each reader gets a seeded order.")
    p.add_argument("out", type=Path, help="new study file (e.g. study.sqlite)")
    p.add_argument("--real", type=Path, default=None, help="patch dataset (index.csv) or folder of real PNG patches")
    p.add_argument("--generated", type=Path, action="append", default=None,
                   help="folder written by `mammostudio generate` (repeat for several generators)")
    p.add_argument("--dataset", type=Path, action="append", default=None,
                   help=f"detection: dataset folder ({LAYOUTS}, or `mammostudio simulate` output); "
                        "repeat to draw from several (e.g. a simulated dataset and its archive's real lesions)")
    p.add_argument("--case-unit", choices=["image", "study"], default="image",
                   help="detection: a case is one view, or all views of a study (default image)")
    p.add_argument("--fraction-normal", type=float, default=0.5, help="detection: share of cases without a lesion")
    p.add_argument("--radius-mm", type=float, default=None,
                   help="detection: a mark within this many mm of a lesion centre is a hit (default: inside its outline)")
    p.add_argument("--name", action="append", default=None,
                   help="label for each --generated folder, in the same order (default: checkpoint name)")
    p.add_argument("--training-patches", type=Path, action="append", default=None,
                   help="the generator's training patches, per --generated folder (memorisation screen)")
    p.add_argument("--cases", type=int, default=100, help="assessment cases (default 100)")
    p.add_argument("--training-cases", type=int, default=20, help="training cases with feedback (default 20)")
    p.add_argument("--fraction-generated", type=float, default=0.5, help="share of generated cases (default 0.5)")
    p.add_argument("--task", choices=["single", "2afc", "detection"], default="single",
                   help="single: real or generated? (default); 2afc: which of two is real?; "
                        "detection: mark lesions on whole mammograms (needs --dataset)")
    p.add_argument("--confidence-levels", type=int, default=5, help="0 = no confidence rating; else 2..9")
    p.add_argument("--time-limit", type=float, default=None, help="seconds per case (default: none)")
    p.add_argument("--size", type=int, default=None,
                   help="display size in pixels (patches, default 128); detection: longest side (default 1024)")
    p.add_argument("--memorisation-threshold", type=float, default=0.03, help="RMS distance on a 0..1 scale")
    p.add_argument("--keep-memorised", action="store_true", help="keep flagged near-copies in the study")
    p.add_argument("--margin", type=float, default=0.1, help="equivalence margin around 50%% accuracy")
    p.add_argument("--seed", type=int, default=0, help="seed of the case draw and reader orders (default 0)")
    p.set_defaults(func=_create)

    s = subparsers.add_parser("quiz-stats", help="print a reader study's results and verdict",
                              description="Print accuracy, sensitivity/specificity, d', ROC AUC, agreement and a "
                                          "plain-language verdict for the answers stored in a study database.")
    s.add_argument("db", type=Path, help="study database (from quiz-create)")
    s.add_argument("--mode", choices=["assessment", "training"], default="assessment",
                   help="which answers to analyse (default assessment)")
    s.add_argument("--margin", type=float, default=None, help="override the study's equivalence margin")
    s.set_defaults(func=_stats)

    r = subparsers.add_parser("quiz-report", help="export a reader study: Excel report (+ CSV, iMRMC, MRMCaov)",
                              description="Write a study's results as an Excel report and, on request, the tidy "
                                          "CSV and the iMRMC / MRMCaov inputs (no patient identifiers).")
    r.add_argument("db", type=Path, help="study database (from quiz-create)")
    r.add_argument("xlsx", type=Path, help="Excel report to write")
    r.add_argument("--csv", type=Path, default=None, help="also write the tidy responses CSV")
    r.add_argument("--imrmc", type=Path, default=None, help="also write the Java iMRMC input (.imrmc)")
    r.add_argument("--imrmc-r", type=Path, default=None, help="also write the R iMRMC data frame (CSV)")
    r.add_argument("--mrmcaov", type=Path, default=None, help="also write the MRMCaov long table (CSV)")
    r.add_argument("--by-generator", action="store_true",
                   help="iMRMC/MRMCaov: one modality per generator (real cases shared) instead of one pooled")
    r.add_argument("--rjafroc", type=Path, default=None,
                   help="detection: also write RJafroc's JAFROC workbook (TRUTH, NL, LL sheets)")
    r.add_argument("--margin", type=float, default=None, help="override the study's equivalence margin")
    r.set_defaults(func=_report)

    c = subparsers.add_parser(
        "quiz-export-copy", help="write one self-contained copy of a study (safe to move while the app is open)",
        description="Copy a study with SQLite's backup API: the copy holds every committed answer, including "
                    "those still in the -wal file, in one file with no -wal beside it.")
    c.add_argument("db", type=Path)
    c.add_argument("out", type=Path, help="the copy to write (must not exist)")
    c.set_defaults(func=_copy)


def _create_detection(args: argparse.Namespace) -> int:
    from ..core.images import ImageReadError
    from ..core.quiz import QuizStore, StudyConfig, StudyError
    from ..core.quiz.detect import design_detection
    from ..core.readers import DatasetError, open_dataset

    if args.dataset is None:
        return fail("--task detection needs --dataset FOLDER")
    if args.out.exists():
        return fail(f"{args.out}: already exists; choose a new study file")
    try:
        cfg = StudyConfig(
            task="detection", n_assessment=args.cases, n_training=args.training_cases,
            confidence_levels=args.confidence_levels, time_limit_s=args.time_limit,
            image_size=args.size or 1024, case_unit=args.case_unit, fraction_normal=args.fraction_normal,
            acceptance_radius_mm=args.radius_mm, seed=args.seed)
        store = QuizStore.create(args.out, design_detection([open_dataset(d) for d in args.dataset], cfg))
    except (ValueError, OSError, DatasetError, ImageReadError, StudyError) as exc:
        return fail(describe_error(exc))
    for line in store.log:
        print(line)
    print(f"wrote {args.out}: {store.n_cases('assessment')} assessment + {store.n_cases('training')} training cases")
    store.close()
    return 0


def _create(args: argparse.Namespace) -> int:
    from ..core.patches import PatchDatasetError
    from ..core.quiz import QuizStore, StudyConfig, StudyError, design_study
    from ..core.quiz.design import NotEnoughImages
    from ..core.quiz.sources import load_generated_set, load_real_set

    if args.task == "detection":
        return _create_detection(args)
    if args.real is None or not args.generated:
        return fail("give --real and at least one --generated folder (or --task detection --dataset)")
    args.size = args.size or 128

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
        return fail(describe_error(exc))
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
        store = QuizStore.open(db, readonly=True)
    except StudyError as exc:
        fail(describe_error(exc))
        return None
    _warn(store)  # e.g. answers still in the -wal file
    return store


def _warn(store) -> None:
    import sys

    for w in store.warnings:
        print(f"warning: {w}", file=sys.stderr)


def _detection_stats(store, mode: str) -> int:
    import pandas as pd

    from ..core.quiz.detect_report import summarise_detection

    res = summarise_detection(store, mode)
    _warn(store)
    cols = [c for c in ("reader", "cases", "normal", "abnormal", "lesions", "LL", "NL", "LLF", "NLF", "wAFROC",
                        "wAFROC_se", "wAFROC_lo", "wAFROC_hi", "AFROC") if c in res.per_reader]
    with pd.option_context("display.width", 180, "display.max_columns", 20, "display.precision", 3):
        print(res.per_reader[cols].to_string(index=False) if len(res.per_reader) else f"no finished {mode} cases")
        print("\ndetection rate by lesion source:\n" + res.by_source.to_string(index=False))
    p = res.source_test["p_fisher"]
    if p == p:
        print(f"\nsimulated vs real detection (pooled readings, Fisher's exact test): p = {p:.3g}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..core.quiz import summarise

    store = _open(args.db)
    if store is None:
        return 2
    if store.config.task == "detection":
        try:
            return _detection_stats(store, args.mode)
        finally:
            store.close()
    margin = store.config.equivalence_margin if args.margin is None else args.margin
    res = summarise(store.responses(), margin=margin, mode=args.mode)
    _warn(store)
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
    if store is None:
        return 2
    if store.config.task == "detection":
        return _detection_report(args, store)
    if args.rjafroc is not None:
        store.close()
        return fail("--rjafroc needs a detection study")
    by_gen = args.by_generator
    return _write_reports(store, [
        (args.xlsx, lambda p: export.write_excel(store, p, margin=args.margin)),
        (args.csv, lambda p: export.write_csv(store, p)),
        (args.imrmc, lambda p: export.write_imrmc(store, p, by_generator=by_gen)),
        (args.imrmc_r, lambda p: export.write_imrmc_r(store, p, by_generator=by_gen)),
        (args.mrmcaov, lambda p: export.write_mrmcaov(store, p, by_generator=by_gen)),
    ])


def _detection_report(args: argparse.Namespace, store) -> int:
    from ..core.quiz import export_detection as ed

    code = _write_reports(store, [
        (args.xlsx, lambda p: ed.write_detection_excel(store, p)),
        (args.csv, lambda p: ed.write_detection_csv(store, p)),
        (args.rjafroc, lambda p: ed.write_rjafroc(store, p)),
    ])
    if code == 0:
        for flag in ("imrmc", "imrmc_r", "mrmcaov"):
            if getattr(args, flag) is not None:
                print(f"--{flag.replace('_', '-')}: not written (ROC exports; use --rjafroc for a detection study)")
    return code


def _write_reports(store, writes) -> int:
    """Call each ``write(path)`` of ``[(path or None, write), ...]`` in order, saying every file written.

    The first file (the workbook) is followed by the store's warnings; the
    first error ends it as one line; the store is closed in every case.
    """
    try:
        for k, (path, write) in enumerate(writes):
            if path is None:
                continue
            write(path)
            print(f"wrote {path}")
            if k == 0:
                _warn(store)
    except (ValueError, OSError) as exc:
        return fail(describe_error(exc))
    finally:
        store.close()
    return 0


def _copy(args: argparse.Namespace) -> int:
    from ..core.quiz import StudyError

    store = _open(args.db)
    if store is None:
        return 2
    try:
        store.export_copy(args.out)
    except StudyError as exc:
        return fail(describe_error(exc))
    finally:
        store.close()
    print(f"wrote {args.out}")
    return 0
