"""Running the experiment grid: resumable, selectable, shareable between processes.

:func:`run_experiment` is a generator job (see ``mammostudio.core.progress``):
it loads the patches, makes the folds, runs every selected cell that has no
result yet, and finally writes the report. Several processes (or a cluster
job array, or one process per GPU) can share one output folder, each with a
``cells`` selection, or all with the same one: locks keep them off each
other's cells.
"""
from __future__ import annotations

import fnmatch
import json
import os
import time
from pathlib import Path

from mammostudio.core.atomic import write_text
from mammostudio.core.progress import Job, Progress, StopToken

from .cells import Cell, CellBusy, grid_cells, read_result, run_cell
from .config import ExperimentConfig
from .data import load_experiment_data
from .report import write_report
from .splits import make_folds

__all__ = ["run_experiment", "select_cells", "check_config"]


def select_cells(cells: list[Cell], patterns: list[str] | None, *, with_gan: bool = True) -> list[Cell]:
    """Cells whose id matches any glob pattern (all when ``patterns`` is empty).

    A selected classifier cell of a GAN mode pulls in its (k, fold) GAN cell
    (unless ``with_gan`` is False: a launcher that runs that GAN as its own job).
    """
    if not patterns:
        return list(cells)
    chosen = {c for c in cells if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)}
    if not chosen:
        raise ValueError(f"--cell {patterns}: matches no cell; ids look like {cells[0].id}, {cells[-1].id}")
    if with_gan:
        chosen |= {Cell("gan", c.k, c.fold) for c in chosen if c.kind == "clf" and "GAN" in c.mode}
    return [c for c in cells if c in chosen]


def check_config(out: Path, config: ExperimentConfig) -> None:
    """Refuse to mix results of two different configurations in one folder."""
    path = out / "config.json"
    if path.is_file():
        old = ExperimentConfig.from_json(path)
        if not _records_positive_class(path):
            # Written before the positive class was a setting: its defaults now mean
            # "masses only", which may not be what those cells were trained on.
            raise ValueError(f"{path}: this experiment was made by an older mammostudio that did not record "
                             "which lesion types were positives; choose a new output folder")
        if old != config:
            raise ValueError(f"{path}: this folder holds an experiment with other settings; "
                             "choose a new output folder (or rerun with the same settings to resume)")
    else:
        config.to_json(path)


def run_experiment(patches: str | os.PathLike, out: str | os.PathLike, config: ExperimentConfig, *,
                   cells: list[str] | None = None, stop: StopToken | None = None, with_gan: bool = True,
                   report: bool = True) -> Job[dict]:
    """Run (or resume) the augmentation experiment and write its report.

    Parameters
    ----------
    patches : path-like
        A patch dataset (``mammostudio extract`` output) or a folder with
        ``lesion/`` and ``tissue/`` PNGs.
    out : path-like
        Output folder: ``config.json``, ``cells/<cell id>/``, the report files.
    config : ExperimentConfig
    cells : list of str, optional
        Glob patterns of cell ids to run (default: all).
    stop : StopToken, optional
        Checked between batches; the running cell is abandoned (no result).
    with_gan : bool
        Pull in the GAN cell a selected GAN-mode classifier cell needs.
    report : bool
        Write the report at the end (a launcher's cell jobs leave it to the last job).

    Yields
    ------
    Progress
        ``data`` carries ``cell`` and, when a cell finishes, its ``result``.

    Returns
    -------
    dict
        ``ran``, ``skipped``, ``busy`` cell ids and ``report`` (paths).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_config(out, config)
    t0 = time.perf_counter()
    data = load_experiment_data(patches, size=config.image_size, lesion_types=config.lesion_types,
                                match=config.positive_match)
    folds = make_folds(data.pos_patients, data.neg_patients, folds=config.folds,
                       val_fraction=config.val_fraction, tissue_pool=config.tissue_pool, seed=config.seed)
    write_text(out / "data.json", json.dumps({**data.counts(), "source": data.source, "folds": [
        {"fold": f.fold, "train_pos": len(f.train_pos), "val_pos": len(f.val_pos), "test_pos": len(f.test_pos),
         "train_neg": len(f.train_neg), "val_neg": len(f.val_neg), "test_neg": len(f.test_neg)}
        for f in folds]}, indent=1) + "\n")
    todo = select_cells(grid_cells(config), cells, with_gan=with_gan)
    ran, skipped, busy, too_small = [], [], [], []
    root = out / "cells"
    for i, cell in enumerate(todo):
        if stop is not None and stop.requested:
            break
        split = folds[cell.fold]
        need_neg = config.ir * cell.k
        if cell.k > len(split.train_pos) or need_neg > len(split.train_neg):
            too_small.append(cell.id)
            yield Progress(i + 1, len(todo), f"{cell.id}: skipped, fold {cell.fold} has {len(split.train_pos)} "
                           f"training positives / {len(split.train_neg)} negatives", {"cell": cell.id})
            continue
        if read_result(root / cell.id) is not None:
            skipped.append(cell.id)
            yield Progress(i + 1, len(todo), f"{cell.id}: already done", {"cell": cell.id})
            continue
        try:
            job = run_cell(cell, root, config, data, split, stop=stop)
            while True:
                try:
                    item = next(job)
                except StopIteration as done:
                    result = done.value
                    break
                yield Progress(i, len(todo), f"{cell.id}: {item.message}", {"cell": cell.id, **item.data})
        except CellBusy as exc:
            busy.append(cell.id)
            yield Progress(i + 1, len(todo), str(exc), {"cell": cell.id})
            continue
        except InterruptedError:
            break
        ran.append(cell.id)
        yield Progress(i + 1, len(todo), f"{cell.id}: done", {"cell": cell.id, "result": result})
    report = write_report(out, config, data.counts(), seconds=time.perf_counter() - t0) if report else None
    return {"ran": ran, "skipped": skipped, "busy": busy, "too_small": too_small, "report": report}


def _records_positive_class(path: Path) -> bool:
    """Whether a saved experiment config names its positive class (lesion_types and positive_match)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True  # from_json has already read it; nothing more to say
    return isinstance(data, dict) and "lesion_types" in data and "positive_match" in data
