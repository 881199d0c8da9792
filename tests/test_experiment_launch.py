"""Sharing the grid: heartbeat locks across processes and hosts, and cells as submitit jobs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _experiment_data import write_patch_folder
from mammostudio.core.progress import drive
from trainers.experiment import ExperimentConfig, grid_cells, run_experiment, select_cells
from trainers.experiment.launch import experiment_status, launch_experiment, parse_resources
from trainers.experiment.locks import CLAIM, CellBusy, CellLock, claim_state

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def patch_folder(tmp_path_factory):
    return write_patch_folder(tmp_path_factory.mktemp("patches"))


@pytest.fixture()
def unrelated_live_pid():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def _cfg(**changes):
    return ExperimentConfig.tiny(sizes=(4,), folds=2, **changes)


def test_an_unrelated_live_pid_in_a_cell_lock_does_not_stop_the_cell(patch_folder, tmp_path, unrelated_live_pid):
    out = tmp_path / "exp"
    folder = out / "cells" / "clf_k4_org_f0"
    folder.mkdir(parents=True)
    (folder / ".lock").write_text(str(unrelated_live_pid))  # the old pid-only lock format
    summary = drive(run_experiment(patch_folder, out, _cfg(), cells=["clf_k4_org_f0"]))
    assert summary["ran"] == ["clf_k4_org_f0"] and not summary["busy"]


def test_a_claim_whose_heartbeat_stopped_is_taken_over_whatever_its_pid(tmp_path, unrelated_live_pid):
    folder = tmp_path / "cell"
    folder.mkdir()
    claim = folder / CLAIM
    claim.write_text(json.dumps({"token": "x", "host": "node17", "pid": unrelated_live_pid}))
    assert claim_state(folder)["host"] == "node17"  # fresh: busy
    with pytest.raises(CellBusy, match="node17"):
        CellLock(folder).__enter__()
    old = claim.stat().st_mtime - 1000
    os.utime(claim, (old, old))  # its owner stopped beating long ago (crashed, or another host died)
    with CellLock(folder) as lock:
        assert json.loads(claim.read_text())["token"] == lock.token
    assert not claim.exists()


def test_the_heartbeat_keeps_a_long_cell_claimed_past_the_stale_age(tmp_path):
    folder = tmp_path / "cell"
    with CellLock(folder, heartbeat_s=0.05, stale_s=0.5):
        first = (folder / CLAIM).stat().st_mtime
        for _ in range(200):  # up to ~10 s on a loaded machine
            if (folder / CLAIM).stat().st_mtime != first:
                break
            time.sleep(0.05)
        assert (folder / CLAIM).stat().st_mtime > first  # beating
        with pytest.raises(CellBusy):
            CellLock(folder, heartbeat_s=0.05, stale_s=0.5).__enter__()
    assert claim_state(folder, stale_s=0.5) is None  # released on exit


RACER = r"""
import json, sys, time
from pathlib import Path
from mammostudio.core.progress import drive
from trainers.experiment import ExperimentConfig, run_experiment
import torch
torch.set_num_threads(1)
patches, out, go = sys.argv[1:4]
while not Path(go).exists():
    time.sleep(0.01)
s = drive(run_experiment(patches, out, ExperimentConfig.tiny(sizes=(4,), folds=2), cells=["clf_k4_org_f0"],
                         report=False))
print(json.dumps({k: s[k] for k in ("ran", "busy", "skipped")}))
"""


@pytest.mark.slow
def test_two_processes_racing_for_one_cell_run_it_once(patch_folder, tmp_path):
    out, go = tmp_path / "exp", tmp_path / "go"
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(patch_folder), str(out), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    time.sleep(1.0)
    go.touch()
    outcomes = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr[-2000:]
        outcomes.append(json.loads(stdout.strip().splitlines()[-1]))
    ran = [o for o in outcomes if o["ran"] == ["clf_k4_org_f0"]]
    assert len(ran) == 1, outcomes
    other = next(o for o in outcomes if o is not ran[0])
    assert other["busy"] == ["clf_k4_org_f0"] or other["skipped"] == ["clf_k4_org_f0"]


def test_paper_grid_lists_18_gans_and_72_classifier_cells(tmp_path, capsys):
    from mammostudio.cli import main

    assert main(["experiment", str(tmp_path / "none"), str(tmp_path / "exp"), "--list-cells"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    ids = [line.split("\t")[0] for line in lines]
    assert len(ids) == 90 and sum(i.startswith("gan_") for i in ids) == 18
    assert ids == [c.id for c in grid_cells(ExperimentConfig.paper())]
    assert all(line.endswith("\ttodo") for line in lines)


def test_launcher_cells_are_selected_without_pulling_in_their_gan():
    cells = grid_cells(_cfg())
    assert [c.id for c in select_cells(cells, ["clf_k4_gan_f1"], with_gan=False)] == ["clf_k4_gan_f1"]


def test_resources_parse_into_submitit_parameters():
    assert parse_resources("timeout_min=600,slurm_partition=gpu,mem_gb=7.5") == {
        "timeout_min": 600, "slurm_partition": "gpu", "mem_gb": 7.5}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_resources("gpus")


def _table(out: Path) -> pd.DataFrame:
    t = pd.read_csv(out / "results.csv").drop(columns=["seconds"])
    return t.sort_values(["k", "mode", "fold"]).reset_index(drop=True)


@pytest.mark.slow
def test_local_launcher_through_submitit_gives_the_in_process_results(patch_folder, tmp_path):
    import torch

    from trainers.dcgan import GANConfig

    # Two modes and 5-epoch GANs keep it to 2 + 4 jobs; the full tiny preset was checked by hand (README).
    cfg = _cfg(modes=("ORG", "GAN"), gan=GANConfig.tiny(epochs=5, sample_every=10))
    inline = tmp_path / "inline"
    drive(run_experiment(patch_folder, inline, cfg))
    jobs = tmp_path / "jobs"
    summary = drive(launch_experiment(patch_folder, jobs, cfg, launcher="local", parallel=2,
                                      threads=torch.get_num_threads(), poll_s=0.2))
    assert not summary["failed"] and len(summary["submitted"]) == 6
    # GAN cells were submitted before the classifier cells that need them.
    order = list(summary["submitted"])
    assert order.index("gan_k4_f0") < order.index("clf_k4_gan_f0")
    pd.testing.assert_frame_equal(_table(inline), _table(jobs))
    for fold in (0, 1):
        np.testing.assert_array_equal(np.load(inline / "cells" / f"gan_k4_f{fold}" / "generated.npy"),
                                      np.load(jobs / "cells" / f"gan_k4_f{fold}" / "generated.npy"))
    assert {r["state"] for r in experiment_status(jobs, cfg)} == {"done"}
    assert (jobs / "report.md").is_file() and (jobs / "jobs" / "submitted.json").is_file()
    again = drive(launch_experiment(patch_folder, jobs, cfg, launcher="local"))  # resume: nothing left
    assert again["submitted"] == {} and len(again["skipped"]) == 6
