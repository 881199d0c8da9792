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

PRESETS = ("paper", "published_code", "tiny")


def register(subparsers) -> None:
    """Add the ``train-gan`` and ``generate`` commands."""
    p = subparsers.add_parser(
        "train-gan", help="train the paper's DCGAN on lesion patches",
        description="Train a DCGAN (spec 2) on the lesion patches of a patch dataset or a folder of PNGs. "
                    "Writes config.json, metrics.csv, sample grids and checkpoints into OUT.")
    p.add_argument("patches", type=Path, nargs="?", help="patch dataset (index.csv) or folder of PNGs")
    p.add_argument("out", type=Path, nargs="?", help="new run folder")
    p.add_argument("--epochs", type=int, default=None, help="epochs in all (default: the config's, 1000)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    p.add_argument("--config", type=Path, default=None, help="GANConfig JSON (e.g. a run's config.json)")
    p.add_argument("--preset", choices=PRESETS, default="paper",
                   help="paper (default), published_code (the authors' code), tiny (a smoke test)")
    p.add_argument("--seed", type=int, default=None)
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
    g.add_argument("checkpoint", type=Path)
    g.add_argument("out", type=Path)
    g.add_argument("--n", type=int, required=True, help="number of images")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    g.set_defaults(func=_generate)


def _config(args):
    from trainers.dcgan import GANConfig

    changes = {k: v for k, v in (("epochs", args.epochs), ("device", args.device), ("seed", args.seed),
                                 ("num_threads", args.threads)) if v is not None}
    if args.config is not None:
        from dataclasses import replace

        return replace(GANConfig.from_json(args.config), **changes)
    return getattr(GANConfig, args.preset)(**changes)


class _Bar:
    """A tqdm bar fed by trainer callbacks (rank 0 only)."""

    def __init__(self, quiet: bool) -> None:
        from tqdm import tqdm

        from trainers.dcgan import Callback

        bar = tqdm(unit="step", disable=quiet, file=sys.stderr, dynamic_ncols=True)

        class Hooks(Callback):
            def on_train_start(self, trainer):
                bar.total = trainer.config.epochs * trainer.steps_per_epoch
                bar.n = trainer.step
                bar.refresh()

            def on_step_end(self, trainer, step, metrics):
                bar.n = step
                bar.set_postfix_str(f"ep {trainer.epoch + 1} D {metrics['loss_d']:.3f} "
                                    f"G {metrics['loss_g']:.3f}", refresh=True)

            def on_epoch_end(self, trainer, epoch, metrics):
                bar.n = trainer.step
                bar.set_postfix_str(f"ep {epoch} D {metrics['loss_d']:.3f} G {metrics['loss_g']:.3f} "
                                    f"{metrics['images_per_s']:.0f} img/s", refresh=True)

        self.bar, self.hooks = bar, Hooks()


def _train(args: argparse.Namespace) -> int:
    from mammostudio.core.progress import StopToken
    from trainers.dcgan import CheckpointError, DivergenceError, GANTrainer
    from trainers.dcgan.distributed import init_from_env, shutdown

    if args.resume is None and (args.patches is None or args.out is None):
        return fail("train-gan needs PATCHES and OUT (or --resume RUN)")
    try:
        config = _config(args) if args.resume is None else None
    except ValueError as exc:
        return fail(str(exc))
    info = init_from_env(args.device or (config.device if config else "auto"))
    progress = _Bar(args.quiet or not info.is_main)
    stop = StopToken()
    previous = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    def on_sigint(signum, frame):  # first Ctrl-C: stop cleanly; second: the default
        stop.request()
        signal.signal(signal.SIGINT, previous[0])

    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigint)  # torchrun forwards SIGTERM to its workers
    try:
        if args.resume is not None:
            changes = {k: v for k, v in (("epochs", args.epochs), ("device", args.device),
                                         ("num_threads", args.threads)) if v is not None}
            hooks = [progress.hooks] + _fid_callbacks(args, lambda: np.load(Path(args.resume) / "patches.npy"))
            trainer = GANTrainer.resume(args.resume, hooks, dist=info, **changes)
        else:
            ensure_writable_folder(args.out)
            patches = _load(args.patches, config.image_size, args.skip_bad, args.mixed_sizes)
            if isinstance(patches, int):
                return patches
            hooks = [progress.hooks] + _fid_callbacks(args, lambda: patches, cache_dir=args.patches)
            trainer = GANTrainer(config, patches, args.out, hooks, dist=info)
        result = trainer.fit(stop)
    except (CheckpointError, DivergenceError, ValueError) as exc:
        return fail(str(exc))
    except FileNotFoundError as exc:  # e.g. the Inception weights for --fid: the message says where
        return fail(str(exc))
    except OSError as exc:
        return fail(describe_error(exc))
    except RuntimeError as exc:
        return fail(describe_error(exc))
    finally:
        progress.bar.close()
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


def _fid_callbacks(args: argparse.Namespace, real, *, cache_dir=None) -> list:
    """The FID/KID callback asked for with ``--fid`` (none when off).

    Raises the metrics package's missing-weights error (a FileNotFoundError
    naming the file to put where) before any training starts.
    """
    if args.fid == "off":
        return []
    from trainers.metrics import FIDCallback

    return [FIDCallback(np.asarray(real()), every=args.fid_every, n=args.fid_n, backbone=args.fid,
                        weights=args.fid_weights, cache_dir=cache_dir)]


def _load(folder: Path, size: int, skip_bad: bool = False, mixed_sizes: bool = False):
    from mammostudio.core.patches import PatchDatasetError, load_patches

    try:
        patches, index = load_patches(folder, "lesion", size=size, skip_bad=skip_bad, mixed_sizes=mixed_sizes)
    except (PatchDatasetError, ValueError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(describe_error(exc))
    for bad, reason in index.attrs.get("skipped", []):
        print(f"skipped {bad}: {reason}", file=sys.stderr)
    if len(patches) == 0:
        return fail(f"{folder}: no lesion patches or PNG images found")
    return patches


def _generate(args: argparse.Namespace) -> int:
    from trainers.dcgan import CheckpointError, generate_images

    try:
        manifest = generate_images(args.checkpoint, args.out, args.n, args.seed, device=args.device)
    except (CheckpointError, ValueError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(describe_error(exc))
    print(manifest)
    return 0
