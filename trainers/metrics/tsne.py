"""t-SNE maps of raw patch pixels (paper 5.2, Figures 10, 11, 13).

The paper embeds the raw 128 x 128 pixels of real masses, generated masses and
normal-tissue patches in 2-D with perplexity 250, up to 4000 iterations and a
random initialisation (scikit-learn's Barnes-Hut t-SNE).
A PCA pre-reduction (e.g. to 50 dimensions) is optional: it changes the map
little and the run time a lot, so the time is reported with the result.
"""
from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mammostudio.core.atomic import atomic_path

__all__ = ["tsne_map", "plot_tsne", "save_tsne", "TSNE_PRESETS", "tsne_settings"]

# The one place the t-SNE defaults live (CLI, GUI and jobs all read it). 'paper' is
# the default; 'fast' is a preview and says so wherever its map is shown.
TSNE_PRESETS = {
    "paper": {"perplexity": 250.0, "max_iter": 4000, "pca": None,
              "label": "paper's t-SNE settings (perplexity 250, up to 4000 iterations, raw pixels)"},
    "fast": {"perplexity": 30.0, "max_iter": 1000, "pca": 50,
             "label": "FAST PREVIEW, not the paper's settings (perplexity 30, 1000 iterations, PCA to 50)"},
}


def tsne_settings(preset: str = "paper", **overrides) -> dict:
    """``perplexity``, ``max_iter``, ``pca`` and ``label`` of a preset, with non-None overrides applied."""
    if preset not in TSNE_PRESETS:
        raise ValueError(f"preset must be one of {sorted(TSNE_PRESETS)}, got {preset!r}")
    out = dict(TSNE_PRESETS[preset])
    changed = {k: v for k, v in overrides.items() if v is not None and v != out.get(k)}
    out.update(changed)
    if changed:
        out["label"] += " with " + ", ".join(f"{k} {v}" for k, v in changed.items())
    return out

# Colour per label for the plot, in order of first appearance.
PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75)]
ALPHA = 0.6  # matplotlib points are translucent: thousands of patches overlap


def tsne_map(
    groups: dict[str, np.ndarray],
    *,
    perplexity: float = TSNE_PRESETS["paper"]["perplexity"],
    max_iter: int = TSNE_PRESETS["paper"]["max_iter"],
    pca: int | None = TSNE_PRESETS["paper"]["pca"],
    seed: int = 0,
) -> pd.DataFrame:
    """2-D t-SNE of several uint8 patch stacks, pixels as features.

    Parameters
    ----------
    groups : dict of label -> uint8 (n, rows, cols)
        All stacks must share (rows, cols).
    perplexity : float
        Paper: 250. Must be below the total number of patches.
    max_iter : int
        Paper: up to 4000 (scikit-learn needs at least 250).
    pca : int, optional
        Reduce the pixels to this many principal components first.
    seed : int
        Random initialisation and PCA solver seed.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y``, ``label`` (one row per patch, groups in order);
        ``attrs`` holds ``seconds``, ``perplexity``, ``max_iter``, ``pca``,
        ``n_iter`` (iterations run) and ``kl_divergence``.
    """
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    if not groups:
        raise ValueError("groups must hold at least one stack")
    shapes = {label: np.asarray(s).shape[1:] for label, s in groups.items()}
    for label, stack in groups.items():
        stack = np.asarray(stack)
        if stack.ndim != 3 or stack.dtype != np.uint8:
            raise ValueError(f"group {label!r} must be uint8 (n, rows, cols), got {stack.dtype} {stack.shape}")
    if len(set(shapes.values())) != 1:
        raise ValueError(f"all groups must share one patch size, got {shapes}")
    x = np.concatenate([np.asarray(s, np.float32).reshape(len(s), -1) / 255.0 for s in groups.values()])
    labels = np.concatenate([[label] * len(s) for label, s in groups.items()])
    if perplexity >= len(x):
        raise ValueError(f"perplexity ({perplexity}) must be below the number of patches ({len(x)})")
    start = time.perf_counter()
    if pca is not None:
        if not 2 <= pca <= min(x.shape):
            raise ValueError(f"pca must be in [2, {min(x.shape)}], got {pca}")
        x = PCA(n_components=pca, random_state=seed).fit_transform(x)
    # scikit-learn renamed n_iter to max_iter in 1.5.
    iter_arg = "max_iter" if "max_iter" in inspect.signature(TSNE).parameters else "n_iter"
    tsne = TSNE(n_components=2, perplexity=perplexity, init="random", random_state=seed,
                learning_rate="auto", **{iter_arg: max_iter})
    xy = tsne.fit_transform(x)
    seconds = time.perf_counter() - start
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "label": labels})
    # scikit-learn reports float max as the KL divergence when the run ends inside
    # its 250 early-exaggeration iterations (no optimisation of the real objective yet).
    kl = float(tsne.kl_divergence_)
    kl = kl if np.isfinite(kl) and kl < 1e300 else None
    df.attrs.update(seconds=seconds, perplexity=perplexity, max_iter=max_iter, pca=pca,
                    n_iter=int(getattr(tsne, "n_iter_", max_iter)), kl_divergence=kl)
    return df


def plot_tsne(df: pd.DataFrame, path: str | os.PathLike, *, title: str | None = None, size: int = 800) -> Path:
    """Write a scatter plot of a :func:`tsne_map` table as a PNG (atomically).

    Drawn with matplotlib (a hard dependency).
    """
    for col in ("x", "y", "label"):
        if col not in df.columns:
            raise ValueError(f"df needs columns x, y, label; missing {col!r}")
    path = Path(path)
    labels = list(dict.fromkeys(df["label"]))
    if title is None:
        secs = df.attrs.get("seconds")
        title = f"t-SNE, perplexity {df.attrs.get('perplexity', '?')}" + (f", {secs:.0f} s" if secs else "")
    from matplotlib.figure import Figure  # a bare Figure renders with Agg and leaves pyplot's backend alone

    fig = Figure(figsize=(size / 100, size / 100), dpi=100)
    ax = fig.add_subplot()
    for i, label in enumerate(labels):
        sel = df["label"] == label
        colour = tuple(c / 255 for c in PALETTE[i % len(PALETTE)])
        ax.scatter(df.loc[sel, "x"], df.loc[sel, "y"], s=4, alpha=ALPHA, color=colour,
                   label=f"{label} ({int(sel.sum())})")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(markerscale=3, loc="best")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def save_tsne(df: pd.DataFrame, out_dir: str | os.PathLike, *, stem: str = "tsne") -> dict[str, Path]:
    """Write the coordinates (``<stem>.csv``), settings and time (``<stem>.json``) and plot (``<stem>.png``).

    Every file is written atomically. Returns the three paths by kind.
    """
    import json

    out = Path(out_dir)
    paths = {"csv": out / f"{stem}.csv", "json": out / f"{stem}.json", "png": out / f"{stem}.png"}
    with atomic_path(paths["csv"]) as tmp:
        df[["x", "y", "label"]].to_csv(tmp, index=False)
    counts = {str(k): int(v) for k, v in df["label"].value_counts(sort=False).items()}
    meta = {**{k: (v.item() if hasattr(v, "item") else v) for k, v in df.attrs.items()}, "counts": counts}
    with atomic_path(paths["json"]) as tmp:
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    plot_tsne(df, paths["png"])
    return paths


