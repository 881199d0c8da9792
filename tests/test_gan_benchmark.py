"""The speed benchmark runs end to end at a toy size and reports consistent numbers."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from trainers.dcgan import Discriminator

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "gan_step.py"


def test_benchmark_counts_fewer_flops_for_ours_and_reports_both_ratios(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("gan_step", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "r.json"
    assert bench.main(["--size", "16", "--nz", "8", "--ngf", "4", "--ndf", "4", "--batch", "8",
                       "--steps", "1", "--rounds", "1", "--json", str(out)]) == 0
    res = json.loads(out.read_text())
    # ours skips exactly D's weight gradients in the G step (as many FLOPs as D's forward
    # pass over the batch), nothing else
    with FlopCounterMode(display=False) as counter:
        Discriminator(16, 4)(torch.zeros(8, 1, 16, 16))
    assert res["flops_per_step_reference"] - res["flops_per_step_ours"] == counter.get_total_flops()
    assert res["speedup"] > 0 and res["matmul_flops_per_s"] > 0
    text = capsys.readouterr().out
    assert "ratio ours / reference" in text and "ratio achieved / matmul" in text
