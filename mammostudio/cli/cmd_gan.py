"""``train-gan`` and ``generate``: the paper's DCGAN from the terminal.

``mammostudio train-gan PATCHES OUT`` trains on a patch dataset (or a folder of
PNGs); ``--resume RUN`` continues a stopped or crashed run exactly. The same
command under ``torchrun --nproc_per_node=N`` trains with DDP. Ctrl-C asks the
trainer to stop between steps and save a resumable checkpoint.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import numpy as np

from ._run import describe_error, ensure_writable_folder, fail

__all__ = ["register"]

PRESETS = ("paper", "paper_small_data", "published_code", "tiny")


def register(subparsers) -> None:
    """Add the ``train-gan`` and ``generate`` commands."""
    p = subparsers.add_parser(
        "train-gan", help="train the paper's DCGAN on lesion patches",
        description="Train a DCGAN (spec 2) on the lesion patches of a patch dataset or a folder of PNGs. "
                    "Writes config.json, metrics.csv, sample grids and checkpoints into OUT.")
    p.add_argument("patches", type=Path, nargs="?", help="patch dataset (index.csv) or folder of PNGs")
    p.add_argument("out", type=Path, nargs="?", help="new run folder")
    p.add_argument("--epochs", type=int, default=None, help="epochs in all (default: the preset's: paper 1000, tiny 2; or --config's)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                   help="where to train: auto = CUDA when available (default: the preset's)")
    p.add_argument("--config", type=Path, default=None, help="GANConfig JSON (e.g. a run's config.json)")
    p.add_argument("--preset", choices=PRESETS, default="paper",
                   help="paper (default; no jitter), paper_small_data (paper + the +-5 jitter of its small-data runs), "
                        "published_code (the authors' code), tiny (a smoke test)")
    p.add_argument("--seed", type=int, default=None, help="seed of weights, noise and batches (default: the preset's)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    p.add_argument("--resume", type=Path, default=None, metavar="RUN",
                   help="continue the run in folder RUN from its last checkpoint")
    p.add_argument("--fid", choices=["off", "standard", "authors", "random"], default="off",
                   help="score the generator every --fid-every epochs and keep the best-FID checkpoint: "
                        "standard (TF-ported Inception), authors (torchvision's, the paper's scale) or "
                        "random (labelled 'not FID'); weights come from --fid-weights or the torch hub cache")
    p.add_argument("--fid-every", type=int, default=10, metavar="E", help="epochs between scores (default 10)")
    p.add_argument("--fid-n", type=int, default=2000, metavar="N", help="images per side (default 2000, the paper's)")
    p.add_argument("--fid-weights", type=Path, default=None, metavar="FILE", help="Inception weight file or folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out unusable patch files (each is listed) instead of refusing the folder")
    p.add_argument("--mixed-sizes", action="store_true",
                   help="a plain folder may mix patch sizes (e.g. lesion crops); all are resized to the "
                        "GAN's image size")
    p.set_defaults(func=_train)

    g = subparsers.add_parser(
        "generate", help="write images from a DCGAN checkpoint",
        description="Sample N images from a checkpoint (ours, or a bare released-format generator "
                    "state dict) into OUT as PNGs plus manifest.json (checkpoint, seed, count).")
    g.add_argument("checkpoint", type=Path, help="a run's checkpoint (.pt) or a released generator state dict")
    g.add_argument("out", type=Path, help="folder for the PNGs and manifest.json")
    g.add_argument("--n", type=int, required=True, help="number of images")
    g.add_argument("--seed", type=int, default=0, help="noise seed (default 0; same seed, same images)")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu", help="default cpu")
    g.set_defaults(func=_generate)


def _config(args):
    from trainers.dcgan import GANConfig

    changes = {k: v for k, v in (("epochs", args.epochs), ("device", args.device), ("seed", args.seed),
                                 ("num_threads", args.threads)) if v is not None}
    if args.config is not None:
        from dataclasses import replace

        return replace(GANConfig.from_json(args.config), **changes)
    return getattr(GANConfig, args.preset)(**changes)


def _train(args: argparse.Namespace) -> int:
    """Train or resume through the same job the GUI runs (trainers.jobs.gan), with a bar."""
    from trainers.dcgan import CheckpointError, DivergenceError
    from trainers.dcgan.distributed import init_from_env, shutdown
    from trainers.jobs.control import RunControl
    from trainers.jobs.gan import gan_training_job

    from ._run import run_job

    if args.resume is None and (args.patches is None or args.out is None):
        return fail("train-gan needs PATCHES and OUT (or --resume RUN)")
    try:
        config = _config(args) if args.resume is None else None
    except ValueError as exc:
        return fail(describe_error(exc))
    info = init_from_env(args.device or (config.device if config else "auto"))
    control = RunControl()
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    def on_sigint(signum, frame):  # first Ctrl-C: stop cleanly; second: the default
        control.request_stop()
        signal.signal(signal.SIGINT, previous[0])

    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigint)  # torchrun forwards SIGTERM to its workers
    fid = {} if args.fid == "off" else {"fid_backbone": args.fid, "fid_every": args.fid_every,
                                         "fid_n": args.fid_n, "fid_weights": args.fid_weights}
    try:
        if args.resume is not None:
            changes = {k: v for k, v in (("epochs", args.epochs), ("device", args.device),
                                         ("num_threads", args.threads)) if v is not None}
            job = gan_training_job(None, args.resume, resume=True, changes=changes, control=control,
                                   dist=info, **fid)
        else:
            ensure_writable_folder(args.out)  # fail before loading and training, not after
            patches = _load(args.patches, config.image_size, args.skip_bad, args.mixed_sizes) \
                if args.skip_bad or args.mixed_sizes else args.patches
            job = gan_training_job(patches, args.out, config, control=control, dist=info, **fid)
        result = run_job(job, "train-gan", quiet=args.quiet or not info.is_main)
    except (CheckpointError, DivergenceError, ValueError) as exc:
        return fail(describe_error(exc))
    except FileNotFoundError as exc:  # e.g. the Inception weights for --fid: the message says where
        return fail(describe_error(exc))
    except OSError as exc:
        return fail(describe_error(exc))
    except RuntimeError as exc:
        return fail(describe_error(exc))
    finally:
        signal.signal(signal.SIGINT, previous[0])
        signal.signal(signal.SIGTERM, previous[1])
        shutdown()
    if info.is_main:
        if result["status"] == "stopped":
            print(f"stopped at epoch {result['epoch']}, step {result['step']}; continue with "
                  f"`mammostudio train-gan --resume {result['run_dir']}`", file=sys.stderr)
        for w in result["warnings"][-3:]:
            print(f"warning: {w}", file=sys.stderr)
        print(result["run_dir"])
    return 0


def _load(folder: Path, size: int, skip_bad: bool, mixed_sizes: bool):
    """The lesion stack of ``folder`` with ``--skip-bad`` / ``--mixed-sizes`` (each skipped file listed)."""
    from mammostudio.core.patches import load_patches

    patches, index = load_patches(folder, "lesion", size=size, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
    for bad, reason in index.attrs.get("skipped", []):
        print(f"skipped {bad}: {reason}", file=sys.stderr)
    if len(patches) == 0:
        raise ValueError(f"{folder}: no lesion patches or PNG images found")
    return np.asarray(patches)


def _generate(args: argparse.Namespace) -> int:
    from trainers.dcgan import CheckpointError, generate_images

    try:
        manifest = generate_images(args.checkpoint, args.out, args.n, args.seed, device=args.device)
    except (CheckpointError, ValueError) as exc:
        return fail(describe_error(exc))
    except OSError as exc:
        return fail(describe_error(exc))
    print(manifest)
    return 0
