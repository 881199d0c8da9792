"""The run folders of a workspace: a status file per run, and reading runs back.

Every GUI/CLI run started through :mod:`trainers.jobs` keeps ``status.json``
(kind, status, device, wall seconds over all its sessions, pid while running,
error) next to the trainer's own files. Runs made without it (``mammostudio
train-gan``) are still listed: their status is read from their checkpoint and
metrics. A status left at 'running' by a process that is gone reads 'crashed'.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from mammostudio.core.atomic import write_text

__all__ = ["STATUS_FILE", "ACTIVE", "read_status", "write_status", "list_runs", "read_run", "FID_KEYS"]

STATUS_FILE = "status.json"
FID_KEYS = ("fid", "fid_authors", "fid_random")
ACTIVE: set[str] = set()  # run folders this process is training right now


def read_status(run_dir: str | os.PathLike) -> dict:
    """The run's ``status.json`` as a dict ({} when absent or unreadable)."""
    try:
        data = json.loads((Path(run_dir) / STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_status(run_dir: str | os.PathLike, **fields) -> dict:
    """Merge ``fields`` into ``status.json`` (atomically) and return the new content."""
    data = {**read_status(run_dir), **fields, "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_text(Path(run_dir) / STATUS_FILE, json.dumps(data, indent=1) + "\n")
    return data


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, TypeError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _status_of(run: Path, st: dict, epochs: int, epochs_total: int | None) -> str:
    status = st.get("status")
    if status == "running":
        if str(run.resolve()) in ACTIVE:
            return "running"
        if st.get("pid") not in (None, os.getpid()) and _alive(st.get("pid")):
            return "running (other process)"
        return "crashed"
    if status:
        return str(status)
    if not (run / "checkpoints" / "last.pt").is_file():
        return "empty"
    return "finished" if epochs_total and epochs >= epochs_total else "incomplete"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _gan_metrics(run: Path) -> list[dict]:
    from trainers.dcgan.run_folder import RunFolder

    try:
        return RunFolder(run).read_metrics()
    except (OSError, ValueError):
        return []


def _best_fid(run: Path, rows: list[dict]) -> tuple[float | None, str]:
    ref = _read_json(run / "fid_reference.json")
    keys = [ref["key"]] if ref.get("key") else [k for k in FID_KEYS if any(k in r for r in rows)]
    values = [r[keys[0]] for r in rows if keys and keys[0] in r]
    return (min(values) if values else None), str(ref.get("label", keys[0] if keys else ""))


def read_run(run_dir: str | os.PathLike) -> dict:
    """Everything the GUI shows of one run, as plain values.

    Returns
    -------
    dict
        ``path``, ``name``, ``kind`` ('gan' or 'classifier'), ``status``,
        ``epochs``, ``epochs_total``, ``best_fid``, ``fid_label``, ``device``,
        ``seconds``, ``config`` (dict), ``metrics`` (GAN epoch rows),
        ``history`` / ``result`` (classifier), ``samples`` (grid PNG paths),
        ``checkpoints`` (paths), ``error``.
    """
    run = Path(run_dir)
    st, config = read_status(run), _read_json(run / "config.json")
    kind = st.get("kind") or ("classifier" if (run / "result.json").is_file() or "ndf" in config and "nz" not in config
                              else "gan")
    metrics, result, history = [], {}, []
    if kind == "gan":
        metrics = _gan_metrics(run)
        epochs = int(metrics[-1]["epoch"]) if metrics else 0
    else:
        result = _read_json(run / "result.json")
        history = result.get("history") or st.get("history") or []
        epochs = len(history)
    total = config.get("epochs")
    best, label = _best_fid(run, metrics)
    return {"path": str(run), "name": run.name, "kind": kind, "status": _status_of(run, st, epochs, total),
            "epochs": epochs, "epochs_total": total, "best_fid": best, "fid_label": label,
            "device": st.get("device", config.get("device", "")), "seconds": float(st.get("seconds", 0.0)),
            "config": config, "metrics": metrics, "history": history, "result": result,
            "samples": [str(p) for p in sorted((run / "samples").glob("epoch_*.png"))],
            "checkpoints": [str(p) for p in sorted((run / "checkpoints").glob("*.pt"))],
            "error": st.get("error", ""), "dataset": st.get("dataset", "")}


def list_runs(workspace: str | os.PathLike) -> list[dict]:
    """:func:`read_run` of every run folder directly under ``workspace`` (newest first)."""
    root = Path(workspace)
    if not root.is_dir():
        return []
    runs = [p for p in root.iterdir() if p.is_dir() and ((p / "config.json").is_file() or (p / STATUS_FILE).is_file())]
    runs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [read_run(p) for p in runs]
