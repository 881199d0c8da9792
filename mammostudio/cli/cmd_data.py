"""``mammostudio demo-data`` and ``mammostudio scan``: build the demo data, summarise a dataset."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..core.errors import describe_error
from ._run import fail, run_job
from ..core.layouts import LAYOUTS

__all__ = ["register", "scan_summary", "format_summary"]


def register(subparsers) -> None:
    """Add the ``demo-data`` and ``scan`` sub-commands."""
    p = subparsers.add_parser("demo-data", help="build the synthetic demo dataset (DICOM + workbook + OMI-DB)",
                              description="Build the synthetic demo dataset: DICOM files in a batch/patient/study "
                                          "tree with annotations.xlsx under OUT/workbook, the same studies as an "
                                          "OMI-DB tree under OUT/omidb, and OUT/manifest.json.")
    p.add_argument("out", type=Path, metavar="OUT", help="destination folder (must not hold workbook/ or omidb/)")
    p.add_argument("--patients", type=int, default=16, metavar="N", help="patients, 4 images each (default 16)")
    p.add_argument("--size", type=int, nargs=2, default=(2048, 1664), metavar=("ROWS", "COLS"),
                   help="image size in pixels (default 2048 1664)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_demo_data)

    s = subparsers.add_parser("scan", help="catalog and acquisition-filter summary of a dataset folder",
                              description=f"Read a dataset folder ({LAYOUTS}), "
                                          "apply the acquisition filter and print what was found, including every "
                                          "image whose pixel data cannot be decoded (checked from the header). "
                                          "Headers are cached per dataset in the user cache folder: a re-scan "
                                          "reads only new or changed files.")
    s.add_argument("dataset", type=Path, metavar="DATASET", help="dataset folder")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    group = s.add_mutually_exclusive_group()
    group.add_argument("--filter", type=Path, metavar="FILE", help="acquisition filter JSON (default: the paper's)")
    group.add_argument("--no-filter", action="store_true", help="do not apply the acquisition filter")
    s.add_argument("--verify", action="store_true",
                   help="also decode every image (in parallel) and list the ones that fail")
    s.add_argument("--max-megapixels", type=float, metavar="MP",
                   help="refuse to decode images larger than MP megapixels (rows x columns x frames; "
                        "default 200, or $MAMMOSTUDIO_MAX_MEGAPIXELS)")
    s.add_argument("--workers", type=int, metavar="N", help="processes reading headers and decoding (default: CPUs)")
    s.add_argument("--rebuild", action="store_true",
                   help="forget the cached header index and catalog of this dataset and read every file again")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_scan)


def _demo_data(args: argparse.Namespace) -> int:
    from ..core.demo.build import build_demo_dataset

    try:
        job = build_demo_dataset(args.out, patients=args.patients, size=tuple(args.size), seed=args.seed)
        out = run_job(job, "demo data", quiet=args.quiet)
    except ValueError as exc:
        return fail(describe_error(exc))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    print(f"demo dataset in {out}: {manifest['patients']} patients, {manifest['images']} images, "
          f"{manifest['images_with_lesion']} with a lesion, {manifest['lesions']} lesion boxes")
    print(f"  workbook layout: {out / 'workbook'}")
    print(f"  OMI-DB layout:   {out / 'omidb'}")
    return 0


def scan_summary(catalog, report=None, *, filter_name: str = "") -> dict:
    """Plain-data summary of a catalog and (optionally) a filter report.

    Parameters
    ----------
    catalog : Catalog
    report : FilterReport, optional
        From ``AcquisitionFilter.apply(catalog.images)``.
    filter_name : str
        Shown with the filter counts ("paper defaults", a file name).

    Returns
    -------
    dict
        ``catalog.summary()`` plus 'lesion_status', 'filter' (or None) and
        'problem_list' (path, severity, message each).
    """
    out = catalog.summary()
    status = catalog.lesions["status"].replace("", "unknown")
    out["lesion_status"] = {k: int(v) for k, v in sorted(status.value_counts().items())}
    out["filter"] = None
    if report is not None:
        kept = [bool(k) for k in report.kept]
        with_lesion = catalog.with_lesion().tolist()
        out["filter"] = {
            "name": filter_name,
            "kept": int(sum(kept)),
            "removed": len(kept) - int(sum(kept)),
            "kept_with_lesion": int(sum(k and w for k, w in zip(kept, with_lesion))),
            "kept_without_lesion": int(sum(k and not w for k, w in zip(kept, with_lesion))),
            "criteria": report.summary()["criteria"],
        }
    out["problem_list"] = [{"path": p.path, "severity": p.severity, "message": p.message} for p in catalog.problems]
    return out


def format_summary(summary: dict) -> str:
    """The summary of :func:`scan_summary` as readable text."""
    s = summary
    lines = [f"{s['root']} ({s['format']})",
             f"  patients {s['patients']}, studies {s['studies']}, images {s['images']} "
             f"({s['images_with_lesion']} with a lesion, {s['images_without_lesion']} without)"]
    types = ", ".join(f"{k or 'unknown'} {v}" for k, v in sorted(s["lesion_types"].items())) or "none"
    lines.append(f"  lesion boxes {s['lesions']}: {types}")
    if s["lesions"]:
        lines.append("  by category: " + ", ".join(f"{k} {v}" for k, v in s["lesion_status"].items()))
    f = s["filter"]
    if f is None:
        lines.append("acquisition filter: not applied")
    else:
        lines.append(f"acquisition filter ({f['name']}): kept {f['kept']} of {s['images']} images "
                     f"({f['kept_with_lesion']} with a lesion, {f['kept_without_lesion']} without)")
        for c in f["criteria"]:
            if not c["enabled"]:
                lines.append(f"  {c['name']}: off")
                continue
            miss = f", {c['missing']} without a value" if c["missing"] else ""
            lines.append(f"  {c['name']} ({c['rule']}): removes {c['removed_alone']} alone, "
                         f"{c['removed_in_sequence']} after the criteria above{miss}")
    probs = s["problem_list"]
    lines.append(f"problems: {len(probs)}" + ("" if probs else " (none)"))
    for p in probs:
        lines.append(f"  {p['severity']}: {p['path']}: {p['message']}")
    return "\n".join(lines)


def load_filter(path: Path | None):
    """The acquisition filter: the paper's defaults, or one saved as JSON at ``path``."""
    from ..core.acquisition import AcquisitionFilter

    if path is None:
        return AcquisitionFilter(), "paper defaults"
    if not Path(path).is_file():
        raise ValueError(f"{path}: no such filter file")
    return AcquisitionFilter.from_json(path), str(path)


def _scan(args: argparse.Namespace) -> int:
    import os

    from ..core.catalog_cache import snapshot_path
    from ..core.header_index import drop_index, index_path
    from ..core.readers import DatasetError, open_dataset_job

    if args.max_megapixels is not None:
        if args.max_megapixels <= 0:
            return fail("--max-megapixels must be positive")
        os.environ["MAMMOSTUDIO_MAX_MEGAPIXELS"] = str(args.max_megapixels)  # worker processes inherit it
    flt, name = None, ""
    if not args.no_filter:
        try:
            flt, name = load_filter(args.filter)
        except ValueError as exc:
            return fail(describe_error(exc))
    try:
        job = open_dataset_job(args.dataset, workers=args.workers)
    except DatasetError as exc:
        return fail(describe_error(exc))
    if args.rebuild:  # forget the header index and the catalog snapshot; the open saves new ones
        drop_index(index_path(args.dataset))
        drop_index(snapshot_path(args.dataset))
    catalog = run_job(job, "scan", quiet=args.quiet)
    if args.verify:
        from ..core.verify import verify_job

        catalog.problems.extend(run_job(verify_job(catalog, workers=args.workers), "verify", quiet=args.quiet))
    report = flt.apply(catalog.images) if flt is not None else None
    summary = scan_summary(catalog, report, filter_name=name)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_summary(summary))
    return 0
