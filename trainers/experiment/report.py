"""The experiment's results: tables (CSV + Excel), the Figure 9 plot, a run report.

Everything is rebuilt from the cells' ``result.json`` files, so a report can be
regenerated at any time, also while other processes still run cells.
"""
from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from mammostudio.core.atomic import atomic_path, write_text

from .config import ExperimentConfig

__all__ = ["collect_results", "summarise", "write_report", "plot_f1_vs_k"]

_FOLD_COLUMNS = ["k", "mode", "fold", "f1", "auc", "precision", "recall", "best_epoch",
                 "n_real_pos", "n_generated", "n_neg", "n_test_pos", "n_test_neg", "seconds"]


def collect_results(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Finished classifier cells (one row per k, mode, fold) and GAN cells."""
    clf, gan = [], []
    for path in sorted((Path(out) / "cells").glob("*/result.json")):
        try:
            res = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written by another process: atomic, so absent rather than half
        if res.get("kind") == "clf":
            clf.append({c: res.get(c) for c in _FOLD_COLUMNS})
        elif res.get("kind") == "gan":
            gan.append({"k": res["k"], "fold": res["fold"], "n_train": res.get("n_train"),
                        "n_generated": res.get("n_generated"), "seconds": res.get("seconds")})
    return pd.DataFrame(clf, columns=_FOLD_COLUMNS), pd.DataFrame(gan)


def summarise(per_fold: pd.DataFrame, modes: tuple[str, ...]) -> pd.DataFrame:
    """Mean and std over folds of F1 and AUC per (k, mode), modes in the paper's order."""
    if per_fold.empty:
        return pd.DataFrame(columns=["k", "mode", "folds", "f1_mean", "f1_std", "auc_mean", "auc_std"])
    g = per_fold.groupby(["k", "mode"])
    out = pd.DataFrame({
        "folds": g["fold"].count(),
        "f1_mean": g["f1"].mean(), "f1_std": g["f1"].std(ddof=1),
        "auc_mean": g["auc"].mean(), "auc_std": g["auc"].std(ddof=1),
    }).reset_index()
    out["mode"] = pd.Categorical(out["mode"], categories=list(modes), ordered=True)
    return out.sort_values(["k", "mode"]).reset_index(drop=True)


def _table(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Paper Table 3 layout: modes as rows, k as columns, 'mean ± std' cells."""
    if summary.empty:
        return pd.DataFrame()
    cell = summary.apply(lambda r: f"{r[metric + '_mean']:.4f} ± {0.0 if np.isnan(r[metric + '_std']) else r[metric + '_std']:.4f}", axis=1)
    return summary.assign(cell=cell).pivot(index="mode", columns="k", values="cell")


def plot_f1_vs_k(summary: pd.DataFrame, path: Path, *, metric: str = "f1") -> Path:
    """Figure 9 of the paper: the metric against k, one line per mode, std error bars (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    colours = {"ORG": "tab:green", "Aug ORG": "tab:blue", "GAN": "tab:orange", "Aug GAN": "tab:red"}
    for mode, rows in summary.groupby("mode", observed=True):
        rows = rows.sort_values("k")
        ax.errorbar(rows["k"], rows[f"{metric}_mean"], yerr=rows[f"{metric}_std"].fillna(0.0), marker="o",
                    capsize=3, label=str(mode), color=colours.get(str(mode)))
    ax.set_xlabel("k (real positive training patches)")
    ax.set_ylabel("F1 (lesion class)" if metric == "f1" else metric.upper())
    ax.set_title(f"{metric.upper()} vs training-set size (mean ± std over folds)")
    ax.grid(alpha=0.3)
    if not summary.empty:
        ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def write_report(out: Path, config: ExperimentConfig, counts: dict, *, seconds: float) -> dict:
    """Write results.csv, summary.csv, results.xlsx, figure9_f1.png, figure9_auc.png and report.md."""
    out = Path(out)
    per_fold, gans = collect_results(out)
    summary = summarise(per_fold, config.modes)
    paths = {name: out / name for name in ("results.csv", "summary.csv", "results.xlsx",
                                           "figure9_f1.png", "figure9_auc.png", "report.md")}
    write_text(paths["results.csv"], per_fold.to_csv(index=False))
    write_text(paths["summary.csv"], summary.to_csv(index=False))
    with atomic_path(paths["results.xlsx"]) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            _table(summary, "f1").to_excel(xl, sheet_name="F1")
            _table(summary, "auc").to_excel(xl, sheet_name="AUC")
            summary.to_excel(xl, sheet_name="summary", index=False)
            per_fold.to_excel(xl, sheet_name="per fold", index=False)
            pd.DataFrame(sorted(_flat(config.to_dict()).items()), columns=["setting", "value"]).to_excel(
                xl, sheet_name="config", index=False)
    plot_f1_vs_k(summary, paths["figure9_f1.png"], metric="f1")
    plot_f1_vs_k(summary, paths["figure9_auc.png"], metric="auc")
    cell_seconds = float(per_fold["seconds"].sum() + (gans["seconds"].sum() if len(gans) else 0.0))
    lines = [
        "# Augmentation experiment report", "",
        f"- patches: {counts}",
        f"- sizes k: {list(config.sizes)}; IR {config.ir}; AF {config.af}; folds {config.folds}; "
        f"validation {config.val_fraction:.3f} of positives; tissue pool {config.tissue_pool}",
        f"- seed: {config.seed} (fixes folds, nested subsets, every GAN and classifier)",
        f"- image size {config.image_size}; GAN epochs {config.gan.epochs}; classifier epochs {config.classifier.epochs}",
        f"- finished cells: {len(per_fold)} classifier, {len(gans)} GAN; compute in cells {cell_seconds:.1f} s; "
        f"this call {seconds:.1f} s",
        f"- machine: {platform.platform()}, python {platform.python_version()}", "",
        "## F1 of the lesion class (mean ± std over folds)", "", _markdown(_table(summary, "f1")), "",
        "## ROC AUC (mean ± std over folds)", "", _markdown(_table(summary, "auc")), "",
    ]
    write_text(paths["report.md"], "\n".join(lines) + "\n")
    return {k: str(v) for k, v in paths.items()}


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = json.dumps(v) if isinstance(v, (list, tuple)) else v
    return out


def _markdown(table: pd.DataFrame) -> str:
    if table.empty:
        return "(no finished cells yet)"
    head = "| mode | " + " | ".join(f"k={k}" for k in table.columns) + " |"
    sep = "|---" * (len(table.columns) + 1) + "|"
    rows = [f"| {m} | " + " | ".join(str(v) for v in r) + " |" for m, r in zip(table.index, table.to_numpy())]
    return "\n".join([head, sep, *rows])
