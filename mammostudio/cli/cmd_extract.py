"""``extract``: the paper's patch extraction (Algorithm 1) into a patch dataset; ``export-patches``: its PNGs."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._run import describe_error, ensure_writable_folder, fail, run_job
from ..core.layouts import LAYOUTS

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``extract`` command."""
    p = subparsers.add_parser(
        "extract", help="extract lesion and normal-tissue patches into a patch dataset",
        description="Apply the acquisition filter (default: the paper's), then cut lesion patches and up to "
                    "10 normal-tissue patches per image (paper Algorithm 1) into OUT: patches/*.npz (one "
                    "NumPy archive per image holding its patches), index.csv, params.json. Re-running into "
                    "the same OUT resumes; export-patches writes one PNG per patch.")
    p.add_argument("dataset", type=Path, help=f"dataset folder ({LAYOUTS})")
    p.add_argument("out", type=Path, help="output folder (new, or an interrupted run to resume)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--lesion-mode", choices=["crop", "centred"], default="crop",
                   help="'crop': the paper's box crop (variable size); 'centred': a native square "
                        "centred on the lesion (default crop)")
    p.add_argument("--exhaustive", action="store_true",
                   help="sample among all valid positions instead of the paper's 5 x 100 random candidates")
    p.add_argument("--patch-size", type=int, default=128, help="tissue / centred lesion patch side (default 128)")
    p.add_argument("--per-image", type=int, default=10, help="tissue patches per image (default 10)")
    p.add_argument("--min-unique", type=int, default=30,
                   help="drop tissue patches with fewer distinct values (default 30; 0 = keep all)")
    p.add_argument("--crop-inclusive", action="store_true",
                   help="'crop' mode: keep the box's last row and column (the paper's slice drops them)")
    p.add_argument("--mask-threshold", type=int, default=0,
                   help="breast = normalised pixel > this (default 0, the paper; ~20 for film such as mini-MIAS)")
    p.add_argument("--no-filter", action="store_true", help="skip the acquisition filter")
    p.add_argument("--keep-identifiers", action="store_true",
                   help="write the original patient/study ids and absolute source paths into index.csv "
                        "(default: pseudonyms and paths relative to DATASET; see README, Privacy)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_extract)

    e = subparsers.add_parser(
        "export-patches", help="write a patch dataset as one PNG per patch",
        description="Write every patch of DATASET (an extract output) as OUT/lesion/<patch_id>.png and "
                    "OUT/tissue/<patch_id>.png, with index.csv (its file column naming the PNGs) and "
                    "params.json: a patch dataset other tools and mammostudio read alike.")
    e.add_argument("dataset", type=Path, help="patch dataset folder (extract output)")
    e.add_argument("out", type=Path, help="new or empty folder for the PNGs")
    e.add_argument("--kind", choices=["lesion", "tissue", "all"], default="all",
                   help="which patches (default all)")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(func=_export)


def _filter(catalog):
    """Apply the paper's acquisition filter; return (catalog, message)."""
    from ..core.acquisition import AcquisitionFilter

    report = AcquisitionFilter().apply(catalog.images)
    kept = list(catalog.images.loc[report.kept.to_numpy(dtype=bool), "image_id"])
    removed = {k: v for k, v in report.removed_in_sequence.items() if v}
    detail = f" (removed by: {removed})" if removed else ""
    msg = f"acquisition filter kept {len(kept)} of {catalog.n_images} images{detail}"
    return catalog.subset(kept), msg


def _extract(args: argparse.Namespace) -> int:
    from ..core.patches import ExtractParams, FatalWriteError, extract_patches
    from ..core.readers import DatasetError, open_dataset

    try:
        params = ExtractParams(patch_size=args.patch_size, n_tissue=args.per_image, min_unique=args.min_unique,
                               exhaustive=args.exhaustive, lesion_mode=args.lesion_mode,
                               crop_inclusive=args.crop_inclusive, mask_threshold=args.mask_threshold)
    except ValueError as exc:
        return fail(describe_error(exc))
    ensure_writable_folder(args.out)  # fail now, not after reading the whole archive
    try:
        catalog = open_dataset(args.dataset)
    except (DatasetError, OSError) as exc:
        return fail(describe_error(exc))
    for problem in catalog.problems[:10]:
        print(problem)
    if not args.no_filter:
        catalog, msg = _filter(catalog)
        print(msg)
        if catalog.n_images == 0:
            return fail("the acquisition filter kept no image; use --no-filter for datasets without "
                        "acquisition tags (e.g. mini-MIAS)")
    try:
        job = extract_patches(catalog, args.out, params, workers=args.workers, seed=args.seed,
                              keep_identifiers=args.keep_identifiers)
        summary = run_job(job, "extract", quiet=args.quiet)
    except ValueError as exc:
        return fail(describe_error(exc))
    except FatalWriteError as exc:  # its message says what is indexed
        return fail(describe_error(exc))
    for line in summary["problems"][:20]:
        print(line)
    if len(summary["problems"]) > 20:
        print(f"... and {len(summary['problems']) - 20} more problems")
    print(f"{summary['lesion_patches']} lesion and {summary['tissue_patches']} tissue patches from "
          f"{summary['done']} of {summary['images']} images ({summary['skipped']} already done before) in "
          f"{summary['seconds']:.1f} s; {summary['low_variety_dropped']} low-variety tissue patches dropped; "
          f"written to {summary['out']}")
    print(summary["identifiers"])
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..core.images import ImageReadError
    from ..core.patches import PatchDatasetError, export_pngs

    kinds = ("lesion", "tissue") if args.kind == "all" else (args.kind,)
    try:
        summary = run_job(export_pngs(args.dataset, args.out, kinds=kinds), "export", quiet=args.quiet)
    except (PatchDatasetError, ImageReadError, OSError) as exc:
        return fail(describe_error(exc))
    print(f"{summary['patches']} patches written as PNG to {summary['out']}")
    return 0
