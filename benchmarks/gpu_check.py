"""The sections of ``benchmarks/gpu_check.sh``: every CUDA path, timed; one ``ROW|what|value|note`` line each.

Sections (``--section``): ``env``; ``gan`` (the paper-preset DCGAN at 128 px,
batch 64: fp32, fp32 + channels_last, bf16 + channels_last; then the projected
paper run and the projected full paper grid); ``clf`` (the classifier step);
``fid`` (Inception features on the GPU against the CPU, FID agreement and
throughput); ``ddp`` (run under ``torchrun``: DistributedDataParallel over
NCCL, one process per GPU). Timings sync the device around each step and skip
warm-up steps. Not meant to be run alone; see gpu_check.sh.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAPER_POSITIVES = 2215  # spec 3.3
SIZES = (100, 250, 500, 750, 1000, 1300)
FOLDS, GAN_EPOCHS, CLF_EPOCHS, IR, AF = 3, 1000, 20, 10, 1.5
DEVICE = "cuda"  # --dry-run-cpu: run the code paths on the CPU to check this script, numbers meaningless


def row(what: str, value: str, note: str = "") -> None:
    print(f"ROW|{what}|{value}|{note}", flush=True)


def _sync():
    import torch

    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _timed_steps(step, warmup: int, n: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(n):
        _sync()
        t0 = time.perf_counter()
        step()
        _sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gan_step_seconds(*, bf16: bool, channels_last: bool, steps: int, warmup: int = 3) -> float:
    """Median seconds of one paper-preset DCGAN training step (GANTrainer's own step) at 128 px, batch 64."""
    from trainers.dcgan import GANConfig, GANTrainer

    cfg = GANConfig.paper(device=DEVICE, bf16=bf16 and DEVICE == "cuda", channels_last=channels_last, epochs=2, tensorboard=False,
                          sample_every=1000, sample_count=8, log_every=10 ** 9)
    patches = np.random.default_rng(0).integers(0, 256, (64 * 8, 128, 128), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = GANTrainer(cfg, patches, Path(tmp) / "run")
        trainer._begin_epoch()

        def step():  # GANTrainer's own step, the one fit() takes
            if trainer.loop.pos >= trainer.steps_per_epoch:
                trainer._begin_epoch()
            trainer.train_next_batch()

        return _timed_steps(step, warmup, steps)


def section_env(_args) -> None:
    import torch

    if DEVICE != "cuda":
        row("torch", torch.__version__, "DRY RUN ON THE CPU: no figure below means anything")
        return
    row("torch", torch.__version__, f"CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        row(f"GPU {i}", p.name, f"{p.total_memory / 2 ** 30:.0f} GiB, {p.multi_processor_count} SMs")
    row("bf16 supported", str(torch.cuda.is_bf16_supported()))


def section_gan(args) -> None:
    variants = {"fp32": (False, False), "fp32 + channels_last": (False, True), "bf16 + channels_last": (True, True)}
    step_s = {}
    for name, (bf16, cl) in variants.items():
        step_s[name] = gan_step_seconds(bf16=bf16, channels_last=cl, steps=args.steps)
        row(f"DCGAN step, paper preset 128 px, {name}", f"{step_s[name] * 1e3:.1f} ms",
            f"{64 / step_s[name]:.0f} images/s")
    best = min(step_s, key=step_s.get)
    project(step_s[best], best, clf_step_seconds(args.steps))


def project(s: float, best: str, clf_s: float) -> None:
    """Rows projecting the paper's GAN run and the full grid from one GAN and one classifier step time."""
    epoch = math.ceil(PAPER_POSITIVES / 64) * s
    row("DCGAN epoch on the paper's 2,215 masses", f"{epoch:.2f} s", f"{best}")
    row("projected paper GAN run (1000 epochs, 2,215 masses)", f"{GAN_EPOCHS * epoch / 60:.1f} min", best)
    grid_gan = sum(FOLDS * GAN_EPOCHS * math.ceil(k / 64) * s for k in SIZES)
    row("projected grid: 18 GANs (k = 100..1300, 3 folds, 1000 epochs)", f"{grid_gan / 3600:.2f} h",
        f"{best}, one GPU, steps only (no FID, no checkpoints)")
    row("classifier step (128 px, batch 64, fp32)", f"{clf_s * 1e3:.1f} ms", f"{64 / clf_s:.0f} images/s")
    grid_clf = 0.0
    for k in SIZES:
        for mode_gen in (0, 0, AF, AF):  # ORG, Aug ORG, GAN, Aug GAN
            n = k + round(mode_gen * k) + IR * k
            grid_clf += FOLDS * CLF_EPOCHS * math.ceil(n / 64) * clf_s
    row("projected grid: 72 classifiers (20 epochs)", f"{grid_clf / 3600:.2f} h", "steps only (no validation)")
    row("projected full paper grid, one GPU", f"{(grid_gan + grid_clf) / 3600:.2f} h",
        "18 GANs + 72 classifiers; divide by the GPUs the SLURM launcher gets")


def clf_step_seconds(steps: int) -> float:
    import torch
    import torch.nn.functional as F

    from trainers.classifier import LesionClassifier

    model = LesionClassifier(128, 9).to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.0, 0.99), weight_decay=5e-4)
    x = torch.rand(64, 1, 128, 128, device=DEVICE)
    y = (torch.rand(64, device=DEVICE) > 0.9).float()

    def step():
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return _timed_steps(step, 3, steps)


def section_fid(args) -> None:
    from trainers.metrics import MissingWeightsError, extract_features, frechet_distance_features, load_backbone

    try:
        cpu = load_backbone("standard")
    except MissingWeightsError:
        cpu = load_backbone("random")
    gpu = load_backbone(cpu.kind, cpu.weights_path, device=DEVICE)
    row("FID backbone", cpu.kind, cpu.label[:70])
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (16, 128, 128), dtype=np.uint8)
    b = np.clip(rng.normal(150, 40, (16, 128, 128)), 0, 255).astype(np.uint8)
    fa_c, fb_c = extract_features(a, cpu, 16), extract_features(b, cpu, 16)
    fa_g, fb_g = extract_features(a, gpu, 16), extract_features(b, gpu, 16)
    rel = np.abs(fa_g - fa_c).max() / np.abs(fa_c).max()
    row("Inception features GPU vs CPU", f"{rel:.1e}", "max abs diff / largest feature (test limit 1e-4)")
    fc, fg = frechet_distance_features(fa_c, fb_c), frechet_distance_features(fa_g, fb_g)
    row("FID GPU vs CPU (16 vs 16 images)", f"{abs(fg - fc) / fc:.1e}", f"relative; FID {fc:.3f} (CPU) {fg:.3f} (GPU)")
    many = rng.integers(0, 256, (args.fid_images, 128, 128), dtype=np.uint8)
    extract_features(many[:100], gpu, 100)
    _sync()
    t0 = time.perf_counter()
    extract_features(many, gpu, 100)
    _sync()
    row("Inception features on the GPU", f"{args.fid_images / (time.perf_counter() - t0):.0f} images/s",
        "128 px uint8 in, resize to 299 included, batch 100")


def section_ddp(args) -> None:
    import torch
    import torch.distributed as dist

    from trainers.dcgan.distributed import init_from_env, shutdown

    info = init_from_env("cuda")
    s = gan_step_seconds(bf16=True, channels_last=True, steps=args.steps)
    backend = dist.get_backend() if dist.is_initialized() else "none"
    times = torch.tensor([s], device="cuda")
    if dist.is_initialized():
        dist.all_reduce(times, op=dist.ReduceOp.MAX)
    if info.rank == 0:
        world = info.world_size
        row(f"DDP step, {world} GPUs ({backend}), bf16 + channels_last",
            f"{times.item() * 1e3:.1f} ms", f"{64 * world / times.item():.0f} images/s in all (batch 64 per GPU)")
    shutdown()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--section", choices=["env", "gan", "fid", "ddp"], required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--fid-images", type=int, default=1000)
    p.add_argument("--dry-run-cpu", action="store_true", help="check the script on a CPU (meaningless numbers)")
    args = p.parse_args(argv)
    import torch

    global DEVICE
    if args.dry_run_cpu:
        DEVICE = "cpu"
    elif not torch.cuda.is_available():
        print(f"gpu_check: no CUDA device (torch {torch.__version__}, CUDA build {torch.version.cuda})",
              file=sys.stderr)
        return 3
    torch.backends.cudnn.benchmark = DEVICE == "cuda"
    globals()[f"section_{args.section}"](args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
