"""Running the grid's cells as jobs through submitit: SLURM on a cluster, subprocesses locally.

Every cell becomes one job that runs :func:`~trainers.experiment.grid.run_experiment`
for that cell alone, in the shared output folder, so the results are the
in-process run's (same seeds, same data, same code path; set the same torch
thread count for bit-equal numbers). GAN cells go first; a classifier cell of a
GAN mode waits for its (k, fold) GAN:

* ``launcher='slurm'``: everything is submitted at once as job arrays, each
  classifier array with ``--dependency=afterok:<its GAN jobs>``, then a small
  report job after all of them (``afterany``). The call returns after
  submitting; ``experiment_status`` (CLI ``--status``) follows the cells.
* ``launcher='local'``: submitit's local executor (subprocesses on this
  machine), at most ``parallel`` at a time, a classifier cell submitted once
  its GAN has a result; the call waits and writes the report.

Resources per cell kind are submitit parameters (``timeout_min``,
``cpus_per_task``, ``mem_gb``, ``slurm_partition``, ``slurm_gpus_per_node``,
...). Job ids go to ``OUT/jobs/submitted.json``; submitit's logs to
``OUT/jobs/``. Rerunning the same command resumes: finished cells and cells
with a live heartbeat are not submitted again.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from mammostudio.core.atomic import write_text
from mammostudio.core.progress import Job, Progress, drive

from .cells import Cell, grid_cells, read_result
from .config import ExperimentConfig
from .locks import claim_state

__all__ = ["LAUNCHERS", "DEFAULT_RESOURCES", "parse_resources", "launch_experiment", "experiment_status",
           "run_cells_job"]

LAUNCHERS = ("local", "slurm")
DEFAULT_RESOURCES = {
    "gan": {"timeout_min": 24 * 60, "cpus_per_task": 8, "mem_gb": 32, "slurm_gpus_per_node": 1},
    "clf": {"timeout_min": 2 * 60, "cpus_per_task": 4, "mem_gb": 16, "slurm_gpus_per_node": 1},
}
SUBMITTED = "submitted.json"


def parse_resources(spec: str | None) -> dict:
    """``'timeout_min=600,slurm_partition=gpu'`` -> ``{'timeout_min': 600, 'slurm_partition': 'gpu'}``."""
    out: dict = {}
    for part in filter(None, (spec or "").split(",")):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"resources {spec!r}: expected KEY=VALUE[,KEY=VALUE...], got {part!r}")
        value = value.strip()
        try:
            out[key.strip()] = int(value)
        except ValueError:
            try:
                out[key.strip()] = float(value)
            except ValueError:
                out[key.strip()] = value
    return out


def run_cells_job(patches: str, out: str, config: dict, cell_ids: list[str], threads: int = 0,
                  report: bool = False) -> dict:
    """What one submitted job runs: the given cells (and only them), then optionally the report."""
    import torch

    from .grid import run_experiment
    from .report import write_report

    if threads > 0:
        torch.set_num_threads(threads)
    cfg = ExperimentConfig.from_dict(config)
    summary = {"ran": [], "skipped": [], "busy": [], "too_small": []}
    if cell_ids:
        summary = drive(run_experiment(patches, out, cfg, cells=cell_ids, with_gan=False, report=False))
    if report:
        from .data import load_experiment_data

        counts = load_experiment_data(patches, size=cfg.image_size, lesion_types=cfg.lesion_types,
                                      match=cfg.positive_match).counts()
        write_report(Path(out), cfg, counts, seconds=0.0)
    return {k: v for k, v in summary.items() if k != "report"}


def _executor(folder: Path, launcher: str, resources: dict, name: str):
    import submitit

    ex = submitit.AutoExecutor(folder=folder, cluster=launcher)
    params = {k: v for k, v in resources.items() if launcher == "slurm" or not k.startswith("slurm_")}
    ex.update_parameters(name=name, **params)
    return ex


def _record(out: Path, jobs: dict) -> None:
    path = out / "jobs" / SUBMITTED
    known = json.loads(path.read_text()) if path.is_file() else {}
    known.update(jobs)
    write_text(path, json.dumps(known, indent=1) + "\n")


def experiment_status(out: str | os.PathLike, config: ExperimentConfig) -> list[dict]:
    """One row per cell: ``cell``, ``state`` (done / running / todo), ``job`` id, running ``host``."""
    out = Path(out)
    path = out / "jobs" / SUBMITTED
    jobs = json.loads(path.read_text()) if path.is_file() else {}
    rows = []
    for cell in grid_cells(config):
        folder = out / "cells" / cell.id
        live = claim_state(folder)
        state = "done" if read_result(folder) else "running" if live else "todo"
        rows.append({"cell": cell.id, "state": state, "job": jobs.get(cell.id, {}).get("job_id"),
                     "host": live.get("host") if live else None})
    return rows


def launch_experiment(patches: str | os.PathLike, out: str | os.PathLike, config: ExperimentConfig, *,
                      cells: list[str] | None = None, launcher: str = "local", resources: dict | None = None,
                      parallel: int = 1, threads: int = 0, poll_s: float = 1.0) -> Job[dict]:
    """Submit the selected, unfinished cells as jobs (see the module docstring).

    Parameters
    ----------
    launcher : {'local', 'slurm'}
    resources : dict, optional
        ``{'gan': {...}, 'clf': {...}}`` submitit parameters merged over
        :data:`DEFAULT_RESOURCES`.
    parallel : int
        Local launcher: jobs running at once.
    threads : int
        torch threads per job (0: torch's default in the job).

    Returns
    -------
    dict
        ``submitted`` {cell id: job id}, ``skipped`` (done or running elsewhere),
        ``failed`` {cell id: error} (local), ``report`` job id (slurm).
    """
    from .grid import check_config, select_cells

    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {LAUNCHERS}, got {launcher!r}")
    if parallel < 1:
        raise ValueError(f"parallel must be >= 1, got {parallel}")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    check_config(out, config)
    res = {kind: {**DEFAULT_RESOURCES[kind], **(resources or {}).get(kind, {})} for kind in ("gan", "clf")}
    chosen = select_cells(grid_cells(config), cells)
    root = out / "cells"
    skipped = [c.id for c in chosen if read_result(root / c.id) or claim_state(root / c.id)]
    todo = [c for c in chosen if c.id not in skipped]
    args = (str(Path(patches).resolve()), str(out), config.to_dict())
    folder = out / "jobs"
    if launcher == "slurm":
        return (yield from _submit_slurm(todo, args, folder, res, threads, skipped))
    return (yield from _run_local(todo, args, folder, res, parallel, threads, skipped, poll_s))


def _needs(cell: Cell) -> Cell | None:
    return Cell("gan", cell.k, cell.fold) if cell.kind == "clf" and "GAN" in cell.mode else None


def _submit_slurm(todo, args, folder, res, threads, skipped) -> Job[dict]:
    gan_ex = _executor(folder, "slurm", res["gan"], "mammostudio-gan")
    gans = [c for c in todo if c.kind == "gan"]
    with gan_ex.batch():
        gan_jobs = [gan_ex.submit(run_cells_job, *args, [c.id], threads or res["gan"].get("cpus_per_task", 0))
                    for c in gans]
    ids = {c.id: j.job_id for c, j in zip(gans, gan_jobs)}
    yield Progress(len(ids), len(todo), f"submitted {len(ids)} GAN cells")
    groups: dict[str | None, list[Cell]] = {}
    for c in (c for c in todo if c.kind == "clf"):
        need = _needs(c)
        groups.setdefault(ids.get(need.id) if need else None, []).append(c)
    for dep, group in groups.items():
        ex = _executor(folder, "slurm", {**res["clf"], **({"slurm_dependency": f"afterok:{dep}"} if dep else {})},
                       "mammostudio-clf")
        with ex.batch():
            jobs = [ex.submit(run_cells_job, *args, [c.id], threads or res["clf"].get("cpus_per_task", 0))
                    for c in group]
        ids.update({c.id: j.job_id for c, j in zip(group, jobs)})
        yield Progress(len(ids), len(todo), f"submitted {len(ids)} of {len(todo)} cells")
    report_ex = _executor(folder, "slurm", {"timeout_min": 30, "cpus_per_task": 2, "mem_gb": 16,
                                            **({"slurm_dependency": "afterany:" + ":".join(ids.values())}
                                               if ids else {})}, "mammostudio-report")
    report = report_ex.submit(run_cells_job, *args, [], 0, True).job_id
    _record(Path(args[1]), {cid: {"job_id": jid, "launcher": "slurm"} for cid, jid in ids.items()})
    return {"submitted": ids, "skipped": skipped, "failed": {}, "report": report}


def _run_local(todo, args, folder, res, parallel, threads, skipped, poll_s) -> Job[dict]:
    root = Path(args[1]) / "cells"
    waiting, running, ids, failed = list(todo), {}, {}, {}
    done_ids = set()
    total = len(todo)
    while waiting or running:
        for cid, job in list(running.items()):
            if job.done():
                del running[cid]
                try:
                    job.result()
                    done_ids.add(cid)
                except Exception as exc:  # the job's own error, already in its log under OUT/jobs
                    failed[cid] = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
                yield Progress(len(done_ids) + len(failed), total, f"{cid}: {'failed' if cid in failed else 'done'}",
                               {"cell": cid})
        for c in list(waiting):
            if len(running) >= parallel:
                break
            need = _needs(c)
            if need is not None and need.id in failed:
                waiting.remove(c)
                failed[c.id] = f"its GAN cell {need.id} failed"
                continue
            if need is not None and read_result(root / need.id) is None and (
                    need in todo or claim_state(root / need.id) is not None):
                continue  # wait for G_k: ours, or running in another process
            waiting.remove(c)
            ex = _executor(folder, "local", res[c.kind], f"mammostudio-{c.kind}")
            running[c.id] = ex.submit(run_cells_job, *args, [c.id], threads)
            ids[c.id] = running[c.id].job_id
            _record(Path(args[1]), {c.id: {"job_id": ids[c.id], "launcher": "local"}})
            yield Progress(len(done_ids) + len(failed), total, f"{c.id}: submitted as local job {ids[c.id]}",
                           {"cell": c.id})
        if running or waiting:
            time.sleep(poll_s)
    run_cells_job(*args, [], 0, True)  # the report, in this process: it only reads result files
    return {"submitted": ids, "skipped": skipped, "failed": failed, "report": None}
