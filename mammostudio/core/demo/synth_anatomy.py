"""Anatomy of a synthetic mammogram: outline, skin distance, gland map, pectoral.

Everything is drawn with the chest wall on the LEFT (column 0); the caller
mirrors the finished image for the other side. Sizes are physical (mm) so the
same breast looks the same at any pixel count. The outline is one number per
row, the depth ``g(v)`` of the breast from the chest wall, so the mask and the
distance to the skin are cheap to evaluate at full resolution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from .synth_fields import smoothstep

__all__ = ["Outline", "draw_outline", "edge_depth", "nipple", "skin_distance", "pectoral_distance",
           "pectoral_edge", "gland_weight"]


@dataclass(frozen=True)
class Outline:
    """Shape parameters of one breast (fractions of the image rows / cols).

    ``depth``: nipple distance from the chest wall (fraction of cols);
    ``nipple_row``: row of the nipple (fraction of rows); ``up``: CC half-height
    above the nipple (fraction of rows) or MLO width at the top edge (fraction of
    cols); ``down``: half-height below the nipple (fraction of rows); ``p``:
    superellipse exponent of the lower (CC: both) contour; ``p_up``: MLO
    shape of the upper contour (1: convex, larger: hollow below the axilla); ``wobble``: (amplitude, frequency, phase)
    rows of a gentle irregularity; ``pect``: MLO pectoral (width at the top,
    height at the chest wall, bulge), zeros for CC; ``nipple``: how far the
    nipple stands out of the contour (fraction of cols; 0 = not in profile).
    """

    view: str
    depth: float
    nipple_row: float
    up: float
    down: float
    p: float
    p_up: float
    wobble: tuple[tuple[float, float, float], ...]
    pect: tuple[float, float, float]
    nipple: float = 0.0


def draw_outline(rng: np.random.Generator, view: str, *, depth: float | None = None) -> Outline:
    """Random but plausible outline parameters for a CC or MLO view.

    ``depth`` (fraction of cols) fixes the nipple's distance from the chest wall,
    e.g. to keep one patient's views alike; the MLO then reaches about 5 % deeper
    (its posterior nipple line is longer, as radiographers check).
    """
    nip = float(rng.uniform(0.004, 0.014)) if rng.random() < 0.8 else 0.0  # often in profile
    wob = tuple((float(rng.uniform(0.003, 0.012)), float(k), float(rng.uniform(0, 2 * np.pi))) for k in (1, 2, 3))
    if view == "CC":
        d = float(rng.uniform(0.55, 0.82)) if depth is None else depth * float(rng.uniform(0.97, 1.0))
        return Outline(view, depth=d, nipple_row=float(rng.uniform(0.45, 0.55)),
                       up=float(rng.uniform(0.40, 0.56)), down=float(rng.uniform(0.40, 0.56)),
                       p=float(rng.uniform(1.9, 2.5)), p_up=1.0, wobble=wob, pect=(0.0, 0.0, 0.0), nipple=nip)
    depth = float(rng.uniform(0.58, 0.85)) if depth is None else min(0.9, depth * float(rng.uniform(1.02, 1.08)))
    top = float(rng.uniform(0.3, 0.42)) * depth
    nipple = float(rng.uniform(0.56, 0.7))
    return Outline(view, depth=depth, nipple_row=nipple, up=top / depth,
                   down=float(rng.uniform(0.26, 0.4)), p=float(rng.uniform(1.8, 2.4)),
                   p_up=float(rng.uniform(1.0, 1.6)), wobble=wob,
                   pect=(top * float(rng.uniform(0.85, 1.0)), float(rng.uniform(0.42, 0.72)),
                         float(rng.uniform(0.0, 0.2))), nipple=nip)


def edge_depth(o: Outline, v: np.ndarray) -> np.ndarray:
    """Depth of the breast (fraction of cols) at row fractions ``v`` (0 = no breast)."""
    v = np.asarray(v, dtype=np.float64)
    if o.view == "CC":
        half = np.where(v < o.nipple_row, o.up, o.down)
        t = np.abs(v - o.nipple_row) / half
        g = o.depth * np.clip(1 - t ** o.p, 0, None) ** (1 / o.p)
    else:
        x = np.clip(v / o.nipple_row, 0, 1)
        top = o.depth * o.up
        # sin(pi x / 2) ** p_up meets the lower contour without a corner; p_up > 1
        # adds the slight hollow below the axilla.
        upper = top + (o.depth - top) * np.sin(0.5 * np.pi * x) ** o.p_up
        t = np.clip((v - o.nipple_row) / o.down, 0, None)
        lower = o.depth * np.clip(1 - t ** o.p, 0, None) ** (1 / o.p)
        g = np.where(v <= o.nipple_row, upper, lower)
    wob = sum(a * np.sin(2 * np.pi * k * v + ph) for a, k, ph in o.wobble)
    bump = o.nipple * np.exp(-(((v - o.nipple_row) / 0.012) ** 2))
    return np.clip(g * (1 + wob) + bump, 0, 1)


def skin_distance(o: Outline, shape: tuple[int, int]) -> np.ndarray:
    """Signed distance to the skin in pixels of ``shape`` (> 0 inside the breast).

    First-order estimate ``(g(v) - u) / sqrt(1 + g'(v)**2)``: exact for a straight
    contour, close near any smooth one, and the zero set is the outline itself.
    Row and column fractions are the same on every grid, so a coarse grid and
    the full image sample the same breast.
    """
    rows, cols = shape
    v = (np.arange(rows) + 0.5) / rows
    g = edge_depth(o, v) * cols
    slope = np.gradient(g)
    inv = (1.0 / np.sqrt(1.0 + slope * slope)).astype(np.float32)
    g = np.where(g > 0, g, -1.0).astype(np.float32)
    u = np.arange(cols, dtype=np.float32) + 0.5
    return (g[:, None] - u[None, :]) * inv[:, None]


def pectoral_distance(o: Outline, shape: tuple[int, int]) -> np.ndarray | None:
    """Signed distance (pixels of ``shape``) into the pectoral muscle, None for CC."""
    width, height, bulge = o.pect
    if width <= 0:
        return None
    rows, cols = shape
    a = (np.arange(cols, dtype=np.float32) + 0.5) / (width * cols)
    b = (np.arange(rows, dtype=np.float32) + 0.5) / (height * rows)
    # 1 - a - b is the straight edge; the bulge term makes it convex like a real muscle.
    f = 1 - a[None, :] - b[:, None] + bulge * a[None, :] * b[:, None] * 1.2
    grad = np.hypot(1 / (width * cols), 1 / (height * rows))
    return (f / grad).astype(np.float32)


def pectoral_edge(o: Outline, rows: int, cols: int) -> np.ndarray | None:
    """Column (float) where the pectoral muscle ends on each row (0 below it); None for CC."""
    width, height, bulge = o.pect
    if width <= 0:
        return None
    b = (np.arange(rows, dtype=np.float64) + 0.5) / (height * rows)
    # Solve 1 - a - b + 1.2 * bulge * a * b = 0 for a (see pectoral_distance).
    a = np.clip((1 - b) / (1 - 1.2 * bulge * b), 0, None)
    return (a * width * cols).astype(np.float32)


def nipple(o: Outline, shape: tuple[int, int]) -> tuple[float, float]:
    """(row, col) of the nipple on a grid of ``shape`` (chest wall at column 0)."""
    rows, cols = shape
    return o.nipple_row * rows, float(edge_depth(o, np.array([o.nipple_row]))[0]) * cols


def gland_weight(o: Outline, sd_mm: np.ndarray, px_mm: float, rng: np.random.Generator, *,
                 spread: float = 1.0) -> np.ndarray:
    """Where fibroglandular tissue may be (0..1): the cone from the chest wall to the nipple.

    Keeps a subcutaneous fat layer (a few mm under the skin) and retromammary fat
    near the chest wall free, and concentrates tissue about the nipple axis
    (CC: horizontal; MLO: rising toward the axilla). ``spread`` widens the cone
    (denser breasts).
    """
    rows, cols = sd_mm.shape
    nip = np.array(nipple(o, sd_mm.shape))
    if o.view == "CC":
        chest = np.array([(o.nipple_row + rng.normal(0, 0.03)) * rows, 0.0])
        width0 = 0.34 * rows
    else:
        chest = np.array([(o.nipple_row - rng.uniform(0.15, 0.28)) * rows, 0.0])
        width0 = 0.30 * rows
    axis = nip - chest
    length = float(np.hypot(*axis))
    d = axis / length
    yy = np.arange(rows, dtype=np.float32)[:, None] - chest[0]
    xx = np.arange(cols, dtype=np.float32)[None, :] - chest[1]
    s = np.clip((yy * d[0] + xx * d[1]) / length, 0, 1.2)
    q = yy * d[1] - xx * d[0]
    width = width0 * spread * (1 - 0.55 * s)
    w_axis = np.exp(-((q / width) ** 2))
    u_mm = (np.arange(cols, dtype=np.float32) + 0.5)[None, :] * px_mm
    w = w_axis * smoothstep(sd_mm, 3.0, 16.0) * (0.25 + 0.75 * smoothstep(u_mm, 2.0, 30.0))
    return w.astype(np.float32)
