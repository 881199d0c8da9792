"""DistributedDataParallel training on the CPU: 2 processes, gloo backend."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mammostudio.core.images import write_png

pytestmark = pytest.mark.slow


def _patches() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 256, (24, 16, 16), dtype=np.uint8)


def _worker(rank: int, world: int, store: str, root: str) -> None:
    """In each process: run A straight for 2 epochs; run B 1 epoch, then resume B to 2."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=world)
    try:
        from trainers.dcgan import GANConfig, GANTrainer

        results = {}
        for tag, epochs, resume in (("a", 2, False), ("b", 1, False), ("b", 2, True)):
            run_dir = os.path.join(root, tag)
            if resume:
                trainer = GANTrainer.resume(run_dir, epochs=epochs)
            else:
                trainer = GANTrainer(GANConfig.tiny(epochs=epochs), _patches(), run_dir)
            assert trainer.dist.world_size == world and trainer.dist.rank == rank
            trainer.fit()
            dist.barrier()
            results[tag] = {"G": trainer.G.state_dict(), "D": trainer.D.state_dict(), "step": trainer.step}
        torch.save(results, os.path.join(root, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def _equal(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


def test_two_gloo_processes_keep_identical_weights_and_resume_exactly(tmp_path):
    from trainers.dcgan import GANConfig, GANTrainer
    from trainers.dcgan.checkpoint import load_state

    init = GANTrainer(GANConfig.tiny(), _patches(), tmp_path / "init")
    mp.spawn(_worker, args=(2, str(tmp_path / "store"), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2))
    # gradients are averaged, so both processes hold the same networks
    assert _equal(r0["a"]["G"], r1["a"]["G"]) and _equal(r0["a"]["D"], r1["a"]["D"])
    assert not torch.equal(r0["a"]["G"]["model.0.weight"], init.G.state_dict()["model.0.weight"])
    assert r0["a"]["step"] == 2 * 3  # global batch 8 over 24 patches: 3 steps per epoch, 4 images each
    state = load_state(tmp_path / "a" / "checkpoints" / "last.pt")
    assert state["world_size"] == 2 and len(state["rng"]["processes"]) == 2
    assert len((tmp_path / "a" / "metrics.csv").read_text().strip().splitlines()) == 3
    # 1 epoch + resume + 1 epoch == 2 epochs straight, on every process
    for r in (r0, r1):
        assert _equal(r["b"]["G"], r0["a"]["G"]) and _equal(r["b"]["D"], r0["a"]["D"])


def test_train_gan_command_runs_under_torchrun(tmp_path):
    pngs = tmp_path / "pngs"
    for i, img in enumerate(_patches()[:16]):
        write_png(pngs / f"p{i}.png", img)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "mammostudio", "train-gan", str(pngs), str(tmp_path / "run"), "--preset", "tiny",
           "--epochs", "1", "--device", "cpu", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    from trainers.dcgan.checkpoint import load_state

    state = load_state(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["world_size"] == 2 and state["epoch"] == 1
