"""Training speed of our DCGAN trainer against a plain pytorch/examples-style loop.

Same machine, same run, same architecture, same batch, alternating single steps (so a
busy shared machine slows both alike). Prints training images/s of each, the
ratio ours / reference, the FLOPs of one training step (torch.utils.flop_counter),
the achieved FLOP/s of each loop and the ratio to this machine's measured
float32 matmul FLOP/s.

    python benchmarks/gan_step.py                      # released architecture, batch 64, CPU
    python benchmarks/gan_step.py --size 64 --ngf 16 --ndf 16 --steps 4   # quicker
    python benchmarks/gan_step.py --device cuda --bf16 --steps 50        # a GPU

On a GPU it also projects the paper's full run (1000 epochs x 4536 patches).

Measured 2026-11-25 on the shared 2-core AMD EPYC (AVX2) CPU box, torch 2.13.0,
2 threads, load average ~2: ``python benchmarks/gan_step.py --steps 4 --rounds 2``
-> reference 6.34 s/step (10.1 img/s), ours 5.22 s/step (12.3 img/s), 1.215x
(median of 8 paired step ratios 1.211x); 720.0 GFLOP per reference step, 650.3
GFLOP per step of ours; matmul 181 GFLOP/s; achieved / matmul 0.63 (reference),
0.69 (ours). Under heavier load (average ~8) single runs ranged 0.9x-2x: use
the alternating-step mode above, not whole-epoch timings, on a busy machine.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainers.dcgan import Discriminator, GANConfig, GANTrainer, Generator  # noqa: E402
from trainers.dcgan.models import init_weights  # noqa: E402


# ---------------------------------------------------------------------------
# The reference: a training loop written the way pytorch/examples dcgan/main.py is
# (Dataset + DataLoader with per-sample transforms, BCELoss, .item() every step).
# ---------------------------------------------------------------------------
class FlipDataset(torch.utils.data.Dataset):
    def __init__(self, patches: np.ndarray) -> None:
        self.patches = patches

    def __len__(self) -> int:
        return len(self.patches)

    def __getitem__(self, i):
        x = torch.from_numpy(self.patches[i]).float().div(127.5).sub(1).unsqueeze(0)
        if torch.rand(1).item() < 0.5:
            x = x.flip(2)
        if torch.rand(1).item() < 0.5:
            x = x.flip(1)
        return x


class ReferenceLoop:
    def __init__(self, cfg: GANConfig, patches: np.ndarray, device: torch.device) -> None:
        self.cfg, self.device = cfg, device
        self.netG = Generator(cfg.image_size, cfg.nz, cfg.ngf).to(device)
        self.netD = Discriminator(cfg.image_size, cfg.ndf).to(device)
        init_weights(self.netG)
        init_weights(self.netD)
        self.criterion = nn.BCELoss()
        self.optimizerD = torch.optim.Adam(self.netD.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
        self.optimizerG = torch.optim.Adam(self.netG.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
        self.dataloader = torch.utils.data.DataLoader(FlipDataset(patches), batch_size=cfg.batch_size,
                                                      shuffle=True, num_workers=0)

    def step(self, data: torch.Tensor, real_label: float = 0.85, fake_label: float = 0.0) -> None:
        netD, netG, criterion, device = self.netD, self.netG, self.criterion, self.device
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        netD.zero_grad()
        real_cpu = data.to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype, device=device)
        output = netD(real_cpu).view(-1)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = torch.randn(batch_size, self.cfg.nz, 1, 1, device=device)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach()).view(-1)
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        self.optimizerD.step()
        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake).view(-1)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        self.optimizerG.step()
        return errD.item(), errG.item(), D_x, D_G_z1, D_G_z2

    def epoch_seconds(self) -> float:
        t0 = time.perf_counter()
        for data in self.dataloader:
            self.step(data)
        _sync(self.device)
        return time.perf_counter() - t0


# ---------------------------------------------------------------------------
# Side by side: one reference step, then one of ours (GANTrainer's own batch
# assembly and step), alternating, so a shared machine's changing load hits both.
# ---------------------------------------------------------------------------
def interleaved_step_times(cfg: GANConfig, patches: np.ndarray, device: torch.device,
                           n: int) -> tuple[list[float], list[float]]:
    ref = ReferenceLoop(cfg, patches, device)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = GANTrainer(cfg, patches, Path(tmp) / "run")
        trainer._begin_epoch()
        ref_batches = iter(ref.dataloader)

        def ref_step():
            nonlocal ref_batches
            try:
                data = next(ref_batches)
            except StopIteration:
                ref_batches = iter(ref.dataloader)
                data = next(ref_batches)
            ref.step(data)

        def our_step():  # GANTrainer's own step, the one fit() takes
            if trainer.loop.pos >= trainer.steps_per_epoch:
                trainer._begin_epoch()
            trainer.train_next_batch()

        def timed(fn) -> float:
            _sync(device)
            t0 = time.perf_counter()
            fn()
            _sync(device)
            return time.perf_counter() - t0

        timed(ref_step), timed(our_step)  # warm-up
        ref_times, our_times = [], []
        for i in range(n):
            pair = (ref_step, our_step) if i % 2 == 0 else (our_step, ref_step)
            t = {fn: timed(fn) for fn in pair}
            ref_times.append(t[ref_step])
            our_times.append(t[our_step])
            print(f"step {i + 1}: reference {t[ref_step]:.3f} s, ours {t[our_step]:.3f} s", flush=True)
    return ref_times, our_times


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_flops(cfg: GANConfig, device: torch.device) -> tuple[int, int]:
    """FLOPs of one reference step, and of one of our steps (which skips D's weight grads in G's step)."""
    patches = np.random.default_rng(0).integers(0, 256, (cfg.batch_size, cfg.image_size, cfg.image_size),
                                                 dtype=np.uint8)
    ref = ReferenceLoop(cfg, patches, device)
    data = next(iter(ref.dataloader))
    with FlopCounterMode(display=False) as counter:
        ref.step(data)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = GANTrainer(cfg, patches, Path(tmp) / "run")
        trainer._begin_epoch()
        batch = trainer._batch(trainer._batch_indices(0))
        with FlopCounterMode(display=False) as ours:
            trainer._train_step(batch)
    return counter.get_total_flops(), ours.get_total_flops()


def matmul_flops_per_s(device: torch.device, n: int = 2048, reps: int = 5) -> float:
    """Best-of-``reps`` float32 matmul FLOP/s of this machine (2 n^3 per product)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    torch.mm(a, b)
    _sync(device)
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--nz", type=int, default=200)
    p.add_argument("--ngf", type=int, default=45)
    p.add_argument("--ndf", type=int, default=45)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=3, help="timed steps of each loop per round (after a warm-up step)")
    p.add_argument("--rounds", type=int, default=2, help="rounds (steps x rounds alternating pairs in all)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    p.add_argument("--bf16", action="store_true", help="bf16 autocast for ours (CUDA)")
    p.add_argument("--no-channels-last", action="store_true", help="ours without channels_last")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device if args.device != "cuda" else "cuda:0")
    cfg = GANConfig.paper(image_size=args.size, nz=args.nz, ngf=args.ngf, ndf=args.ndf,
                          batch_size=args.batch, epochs=2, device=args.device, tensorboard=False,
                          sample_every=1000, sample_count=8, log_every=10 ** 9, num_threads=args.threads,
                          bf16=args.bf16, channels_last=not args.no_channels_last)
    patches = np.random.default_rng(0).integers(0, 256, (args.batch * args.steps, args.size, args.size),
                                                dtype=np.uint8)
    print(f"# {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"size {args.size}, nz {args.nz}, ngf {args.ngf}, ndf {args.ndf}, batch {args.batch}, "
          f"{args.steps * args.rounds} alternating timed step pairs", flush=True)
    ref_times, our_times = interleaved_step_times(cfg, patches, device, args.steps * args.rounds)
    images = args.batch
    steps = 1
    ref_s, our_s = statistics.median(ref_times), statistics.median(our_times)
    round_ratios = [a / b for a, b in zip(ref_times, our_times)]  # paired: same moment
    ref_flops, our_flops = step_flops(cfg, device)
    peak = matmul_flops_per_s(device)
    res = {
        "device": str(device), "threads": torch.get_num_threads(), "size": args.size, "batch": args.batch,
        "reference_images_per_s": images / ref_s, "ours_images_per_s": images / our_s,
        "speedup": ref_s / our_s, "speedup_paired_median": statistics.median(round_ratios),
        "reference_step_s": ref_s / steps, "ours_step_s": our_s / steps,
        "flops_per_step_reference": ref_flops, "flops_per_step_ours": our_flops,
        "matmul_flops_per_s": peak,
        "reference_flops_per_s": ref_flops * steps / ref_s,
        "ours_achieved_flops_per_s": our_flops * steps / our_s,
        "ours_model_flops_per_s": ref_flops * steps / our_s,
    }
    print(f"reference loop : {res['reference_images_per_s']:8.2f} img/s  ({res['reference_step_s']:.3f} s/step)")
    print(f"ours           : {res['ours_images_per_s']:8.2f} img/s  ({res['ours_step_s']:.3f} s/step)")
    print(f"ratio ours / reference: {res['speedup']:.3f}x (ratio of median step times; median of "
          f"{len(round_ratios)} paired step ratios {res['speedup_paired_median']:.3f}x)")
    print(f"FLOP per step: reference {ref_flops / 1e9:.1f} G, ours {our_flops / 1e9:.1f} G "
          f"(ours skips D's weight gradients in the G step)")
    print(f"matmul peak (float32, measured): {peak / 1e9:.1f} GFLOP/s")
    print(f"achieved: reference {res['reference_flops_per_s'] / 1e9:.1f} GFLOP/s "
          f"({res['reference_flops_per_s'] / peak:.1%} of matmul), ours {res['ours_achieved_flops_per_s'] / 1e9:.1f} "
          f"GFLOP/s executed ({res['ours_achieved_flops_per_s'] / peak:.1%} of matmul), "
          f"{res['ours_model_flops_per_s'] / 1e9:.1f} GFLOP/s in reference-step units")
    print(f"ratio achieved / matmul: ours {res['ours_achieved_flops_per_s'] / peak:.3f}, "
          f"reference {res['reference_flops_per_s'] / peak:.3f}")
    full_run_steps = 1000 * -(-4536 // 64)
    if device.type == "cuda" and args.size == 128 and args.batch == 64:
        res["projected_full_run_minutes"] = full_run_steps * res["ours_step_s"] / 60
        print(f"projected paper run (1000 epochs x 4536 patches, {full_run_steps} steps): "
              f"{res['projected_full_run_minutes']:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
