"""Render the lesion-free breast of a synthetic mammogram on three grids.

coarse (about 512 rows): thickness roll-off, gland map, parenchymal texture;
medium (half size): thin fibrous strands and the skin line;
full: the exact outline (mask). Values are display units, 0 (air) .. 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from . import synth_anatomy as anat
from .synth_fields import powerlaw_field, resize_bilinear, smoothstep
from .synth_texture import strand_curves, tissue_texture

__all__ = ["Breast", "render_breast", "DENSITY_SHIFT"]

#: Per BI-RADS density: threshold shift of the gland sigmoid (more tissue for C, D)
#: and the smooth fibroglandular "disc" under the texture.
DENSITY_SHIFT = {"A": 1.6, "B": 0.8, "C": 0.0, "D": -0.8}
DENSITY_FLOOR = {"A": 0.05, "B": 0.2, "C": 0.4, "D": 0.6}
DENSITY_SPREAD = {"A": 0.8, "B": 0.95, "C": 1.1, "D": 1.3}


@dataclass(frozen=True, eq=False)
class Breast:
    """The rendered breast: ``image`` (float32, full size, display units),
    ``skin`` (signed distance to the skin, full-size pixels), ``weight``
    (coarse gland map, 0..1, for placing lesions) and ``pectoral_edge``
    (per-row column where the muscle ends, None for CC)."""

    image: np.ndarray
    skin: np.ndarray
    weight: np.ndarray
    pectoral_edge: np.ndarray | None


def _bump(d: np.ndarray, width: float) -> np.ndarray:
    """A smooth line profile, 1 at d = 0 and 0 beyond |d| = width (cheaper than exp)."""
    t = np.clip(1 - (d * np.float32(1 / width)) ** 2, 0, 1)
    return t * t


def render_breast(rng: np.random.Generator, o: anat.Outline, density: str, rows: int, cols: int,
                  px_mm: float) -> Breast:
    """Draw the breast (no lesions) for outline ``o`` at ``rows`` x ``cols``."""
    f = max(1, int(round(max(rows, cols) / 512)))
    f += f % 2 if f > 1 else 0  # even, so the medium grid is exactly half-way (factor 2 each step)
    low = (-(-rows // f), -(-cols // f))
    m = max(1, f // 2)
    mid = (-(-rows // m), -(-cols // m))
    low_mm, mid_mm = px_mm * rows / low[0], px_mm * rows / mid[0]

    # --- coarse grid ---
    sd_mm = anat.skin_distance(o, low) * np.float32(low_mm)
    weight = anat.gland_weight(o, sd_mm, low_mm, rng, spread=DENSITY_SPREAD[density])
    nip = anat.nipple(o, low)
    tex = tissue_texture(rng, nip, low, low_mm)
    # Compressed-breast thickness falls to the skin over ``roll`` mm (a rounded
    # edge); processed images flatten it partly (the exponent < 1).
    roll = float(rng.uniform(12.0, 30.0))
    thick = np.sqrt(1 - (1 - np.clip(sd_mm / roll, 0, 1)) ** 2) ** float(rng.uniform(0.7, 1.0))
    floor = DENSITY_FLOOR[density]
    lumps = 1 / (1 + np.exp(-(tex + 2.0 * weight - 1.0 - DENSITY_SHIFT[density]) / 0.8))
    glands = weight ** 0.8 * (floor + (1 - floor) * lumps)
    fat = float(rng.uniform(0.27, 0.35))
    img = 0.1 + (fat - 0.1) * thick + 0.36 * glands * thick
    inside_low = sd_mm > 2.0
    vessels = strand_curves(rng, nip, inside_low, low_mm, n=int(rng.integers(8, 20)), length_mm=(40.0, 140.0),
                            radial=0.85)
    img += 0.05 * vessels * thick
    lines_amp = (0.035 + 0.02 * glands) * thick * smoothstep(sd_mm, 1.0, 6.0)
    pect_low = anat.pectoral_distance(o, low)
    if pect_low is not None:
        pd_mm = pect_low * np.float32(low_mm)
        pm = smoothstep(pd_mm, -2.0, 2.0)
        # The muscle is thicker (brighter) toward the chest-wall corner.
        # Muscle fibres run along the pectoral's edge (from the axilla down to the chest wall).
        width, height, _ = o.pect
        fibres = powerlaw_field(rng, low, 3.0, f_low=1.0 / (20.0 / low_mm), stretch=6.0,
                                angle=float(np.arctan2(-width * low[1], height * low[0])))
        muscle = float(rng.uniform(0.52, 0.68)) + 0.08 * smoothstep(pd_mm, 0, 50) + 0.025 * tex + 0.03 * fibres
        img = img * (1 - pm) + muscle * pm
        lines_amp = lines_amp * (1 - 0.8 * pm)
        weight = weight * (1 - pm)
        inside_low &= pm < 0.5

    # --- medium grid: thin strands and the skin line ---
    img = resize_bilinear(img, mid)
    area_mm2 = float(inside_low.sum()) * low_mm * low_mm
    inside_mid = np.repeat(np.repeat(inside_low, f // m, axis=0), f // m, axis=1)[: mid[0], : mid[1]]
    strands = strand_curves(rng, (nip[0] * f / m, nip[1] * f / m), inside_mid, mid_mm,
                            n=int(area_mm2 / 90.0), length_mm=(10.0, 60.0), radial=0.7)
    # Film and detector blur: strands are soft, about 0.3-0.6 mm wide.
    strands = ndimage.gaussian_filter(strands, max(0.5, 0.15 / mid_mm), truncate=2.5)
    img += resize_bilinear(lines_amp, mid) * strands
    sd_mid = anat.skin_distance(o, mid)
    skin_w = max(0.7, 0.6 / mid_mm)
    img += 0.06 * _bump(sd_mid - np.float32(1.2 * skin_w), skin_w)

    # --- full grid ---
    img = resize_bilinear(img, (rows, cols)) if mid != (rows, cols) else img
    sd = anat.skin_distance(o, (rows, cols))
    return Breast(image=img, skin=sd, weight=weight, pectoral_edge=anat.pectoral_edge(o, rows, cols))
