"""``simulate``: insert lesions into normal mammograms and write a simulated dataset."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..core.errors import describe_error
from ._run import fail, run_job
from ..core.layouts import LAYOUTS

__all__ = ["register"]


def _range(text: str) -> tuple[float, float]:
    parts = [float(v) for v in text.replace(":", ",").split(",") if v.strip()]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected a number or LOW,HIGH, got {text!r}")
    return parts[0], parts[1]


def register(subparsers) -> None:
    """Add the ``simulate`` and ``train-inpaint`` commands."""
    p = subparsers.add_parser(
        "simulate", help="insert lesions into normal images and write a simulated dataset",
        description="Insert N lesions into each of M normal images of DATASET (images without a lesion box) and "
                    "write OUT in the workbook layout: derived DICOMs (new UIDs, DERIVED\\SECONDARY, "
                    "pseudonymous), annotations.xlsx with the boxes flagged Simulated, label masks and one "
                    "provenance JSON per lesion. Lesions come from --patches (real lesion patches of a patch "
                    "dataset), --generated (a `mammostudio generate` folder), --checkpoint (a DCGAN, generated "
                    "on the spot) and/or --demo (parametric masses and calcification clusters; the default). "
                    "Re-running into the same OUT resumes; the same seed gives the same files.")
    p.add_argument("dataset", type=Path, help=f"dataset folder with normal images ({LAYOUTS})")
    p.add_argument("out", type=Path, help="output folder (new, or an interrupted run to resume)")
    p.add_argument("--images", type=int, default=4, help="M: normal images that receive lesions (default 4)")
    p.add_argument("--lesions", type=int, default=1, help="N: lesions per image (default 1)")
    p.add_argument("--controls", type=int, default=0,
                   help="further normal images written the same way without a lesion (default 0)")
    p.add_argument("--demo", nargs="*", metavar="KIND", default=None,
                   help="parametric lesions: round oval lobulated spiculated calcification (no KIND: all)")
    p.add_argument("--patches", type=Path, help="patch dataset whose lesion patches are inserted")
    p.add_argument("--lesion-type", default=None, help="with --patches: only this lesion type (e.g. mass)")
    p.add_argument("--patches-dataset", type=Path, default=None,
                   help="with --patches: the dataset they were extracted from, when not DATASET (for each "
                        "patch's pixel spacing; a pseudonymous patch index holds relative paths)")
    p.add_argument("--generated", type=Path, help="folder written by `mammostudio generate`")
    p.add_argument("--checkpoint", type=Path, help="DCGAN checkpoint: generate --n-generated lesions from it")
    p.add_argument("--n-generated", type=int, default=16, help="with --checkpoint: how many (default 16)")
    p.add_argument("--generated-size-mm", type=float, default=15.0,
                   help="physical width of a generated patch in mm (default 15)")
    p.add_argument("--inpaint", type=Path, metavar="CHECKPOINT",
                   help="in-painting generator (mammostudio train-inpaint): lesions drawn into the tissue "
                        "at their place, each --inpaint-size-mm across")
    p.add_argument("--inpaint-size-mm", type=float, default=15.0, help="in-painted window width in mm (15)")
    p.add_argument("--method", choices=["additive", "poisson", "paste"], default="additive",
                   help="blending (default additive: see the README's seam scores)")
    p.add_argument("--contrast", type=_range, default=(1.0, 1.0), help="contrast factor or LOW,HIGH (default 1)")
    p.add_argument("--scale", type=_range, default=(1.0, 1.0),
                   help="size factor on top of the physical size, or LOW,HIGH (default 1)")
    p.add_argument("--size-mm", type=float, default=None, help="diameter of parametric lesions (default random)")
    p.add_argument("--margin-mm", type=float, default=5.0, help="distance from skin line and other boxes (5)")
    p.add_argument("--mask-threshold", type=int, default=0, help="breast mask threshold (0; ~20 for film)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--keep-identifiers", action="store_true",
                   help="write the source's patient ids into the derived DICOMs, folders and provenance "
                        "(default: the source dataset's pseudonyms; see README, Privacy)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_simulate)
    t = subparsers.add_parser(
        "train-inpaint", help="train the context-conditioned (in-painting) lesion generator",
        description="Train a small encoder-decoder that fills an elliptical hole in a lesion patch from its "
                    "surroundings (conditional infilling), on the lesion patches of PATCHES (best extracted "
                    "with --lesion-mode centred). OUT gets config.json and checkpoints/last.pt, for "
                    "`mammostudio simulate --inpaint`.")
    t.add_argument("patches", type=Path, help="patch dataset (mammostudio extract)")
    t.add_argument("out", type=Path, help="run folder")
    t.add_argument("--preset", choices=["default", "tiny"], default="default",
                   help="default: 64 px, 30 epochs; tiny: 16 px, 2 epochs (tests)")
    t.add_argument("--epochs", type=int, default=None, help="override the preset's epochs")
    t.add_argument("--size", type=int, default=None, help="override the image size (multiple of 8)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=_train_inpaint)


def _train_inpaint(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from trainers.inpaint import InpaintConfig
    from trainers.jobs.simulate import inpaint_training_job

    from ..core.patches.dataset import PatchDatasetError

    try:
        config = InpaintConfig.tiny() if args.preset == "tiny" else InpaintConfig()
        config = replace(config, seed=args.seed, num_threads=args.threads,
                         **({"epochs": args.epochs} if args.epochs else {}),
                         **({"image_size": args.size} if args.size else {}))
        path = run_job(inpaint_training_job(args.patches, args.out, config), "train-inpaint", quiet=args.quiet)
    except (ValueError, PatchDatasetError, OSError) as exc:
        return fail(describe_error(exc))
    print(f"in-painting generator written to {path}")
    return 0


def _pool(args) -> list:
    from ..core.simulate.sources import array_items, generated_items, parametric_items, patch_items

    pool = []
    if args.patches:
        roots = [r for r in (args.patches_dataset, args.dataset) if r is not None]
        items = patch_items(args.patches, dataset_roots=roots, lesion_type=args.lesion_type)
        assumed = sum(bool(i.source.get("spacing_assumed")) for i in items)
        if assumed:
            print(f"warning: {assumed} of {len(items)} lesion patches: source image not found under "
                  f"{', '.join(map(str, roots))}; their pixel spacing is taken as 0.1 mm "
                  "(give --patches-dataset)")
        pool += items
    if args.generated:
        pool += generated_items(args.generated, size_mm=args.generated_size_mm)
    if args.checkpoint:
        from trainers.jobs.simulate import generate_lesions

        res = generate_lesions(args.checkpoint, args.n_generated, seed=args.seed)
        pool += array_items(res["images"], checkpoint_sha256=res["checkpoint_sha256"], seed=res["seed"],
                            checkpoint=res["checkpoint"], size_mm=args.generated_size_mm)
    inpainters = {}
    if args.inpaint:
        from trainers.jobs.simulate import make_inpainter

        item, fill = make_inpainter(args.inpaint, size_mm=args.inpaint_size_mm)
        inpainters[item.source["checkpoint_sha256"]] = fill
        pool.append(item)
    if args.demo is not None or not pool:
        pool += parametric_items(*([args.demo] if args.demo else []))
    return pool, inpainters


def _simulate(args: argparse.Namespace) -> int:
    from ..core.patches.dataset import PatchDatasetError
    from ..core.readers import DatasetError, open_dataset
    from ..core.simulate.dataset import SimulateParams, simulate_dataset

    try:
        params = SimulateParams(images=args.images, lesions_per_image=args.lesions, controls=args.controls,
                                method=args.method, contrast=args.contrast, scale=args.scale, size_mm=args.size_mm,
                                margin_mm=args.margin_mm, mask_threshold=args.mask_threshold, seed=args.seed)
        catalog = open_dataset(args.dataset)
        pool, inpainters = _pool(args)
    except (ValueError, DatasetError, PatchDatasetError, OSError) as exc:
        return fail(describe_error(exc))
    try:
        summary = run_job(simulate_dataset(catalog, args.out, pool, params, inpainters=inpainters,
                                           keep_identifiers=args.keep_identifiers), "simulate",
                          quiet=args.quiet)
    except (ValueError, OSError) as exc:
        return fail(describe_error(exc))
    for line in summary["problems"][:20]:
        print(line)
    print(summary["privacy"])
    print(f"{summary['lesions']} lesions in {summary['images'] - summary['controls']} images plus "
          f"{summary['controls']} controls ({summary['skipped']} done before) in {summary['seconds']:.1f} s; "
          f"written to {summary['out']}")
    return 0
