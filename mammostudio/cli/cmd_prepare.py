"""``mammostudio prepare``: normalised images, breast masks and lesion ground truth (spec 1.5)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ._run import describe_error, fail, run_job
from ..core.layouts import LAYOUTS

__all__ = ["register"]


def register(subparsers) -> None:
    """Add the ``prepare`` sub-command."""
    p = subparsers.add_parser(
        "prepare", help="write normalised PNGs, breast masks (_msk) and lesion ground truth (_gt)",
        description="Preprocess a dataset as in the paper: stretch each image to 0..255 (<stem>.png), the breast "
                    "mask pixel > 0 (<stem>_msk.png) and the lesion boxes including both ends (<stem>_gt.png), "
                    "in a folder tree under OUT that mirrors DATASET. Images already prepared are skipped, so an "
                    "interrupted run resumes. Only images passing the acquisition filter are prepared.")
    p.add_argument("dataset", type=Path, metavar="DATASET", help=f"dataset folder ({LAYOUTS})")
    p.add_argument("out", type=Path, metavar="OUT", help="output folder")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--filter", type=Path, metavar="FILE", help="acquisition filter JSON (default: the paper's)")
    group.add_argument("--no-filter", action="store_true", help="prepare every image, ignoring acquisition tags")
    p.add_argument("--mask-threshold", type=int, default=0, metavar="T",
                   help="breast = normalised pixel > T (default 0, the paper; try 20 for digitised film)")
    p.add_argument("--no-normalised", action="store_true", help="write only the _msk and _gt PNGs")
    p.add_argument("--overwrite", action="store_true", help="redo images that were already prepared")
    p.add_argument("--keep-identifiers", action="store_true",
                   help="keep patient-id folder names and absolute paths in OUT (default: pseudonyms)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_prepare)


def _prepare(args: argparse.Namespace) -> int:
    from ..core.acquisition import AcquisitionFilter
    from ..core.preprocess import REPORT_NAME, prepare_dataset
    from ..core.readers import DatasetError, open_dataset

    if args.mask_threshold < 0 or args.mask_threshold > 254:
        return fail(f"--mask-threshold must be in 0..254, got {args.mask_threshold}")
    if args.out.exists() and not args.out.is_dir():
        return fail(f"{args.out}: exists and is not a folder")
    try:
        catalog = open_dataset(args.dataset)
    except DatasetError as exc:
        return fail(describe_error(exc))
    for problem in catalog.problems:
        print(f"  {problem}")
    if not args.no_filter:
        try:
            filt = AcquisitionFilter.from_json(args.filter) if args.filter else AcquisitionFilter()
        except (OSError, ValueError) as exc:
            msg = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            return fail(msg if str(args.filter) in msg else f"{args.filter}: cannot read the acquisition filter ({msg})")
        report = filt.apply(catalog.images)
        kept = catalog.images.loc[report.kept.to_numpy(), "image_id"]
        print(f"acquisition filter kept {len(kept)} of {catalog.n_images} images")
        if len(kept) == 0 and catalog.n_images:
            return fail("the acquisition filter removed every image (archives without acquisition tags, such as "
                        "mini-MIAS, need --no-filter)")
        catalog = catalog.subset(kept)
    try:
        result = run_job(prepare_dataset(catalog, args.out, write_normalised=not args.no_normalised,
                                         mask_threshold=args.mask_threshold, overwrite=args.overwrite,
                                         keep_identifiers=args.keep_identifiers),
                         "prepare", quiet=args.quiet)
    except OSError as exc:
        return fail(describe_error(exc))
    print(f"prepared {result['written']} images, skipped {result['skipped']} already done, "
          f"{result['failed']} failed -> {args.out} (report: {args.out / REPORT_NAME})")
    for problem in result["problems"]:
        print(f"  {problem['severity']}: {problem['path']}: {problem['message']}")
    print(result["notice"])
    return 1 if result["failed"] and not result["written"] and not result["skipped"] else 0
