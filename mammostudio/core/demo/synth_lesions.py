"""Lesions of a synthetic mammogram: masses of several shapes and margins, calcifications,
and (on request) architectural distortions and focal asymmetries.

Each renderer returns a small float32 patch (the brightness added to the image,
in display units 0..1) centred on the lesion, and the lesion's box relative to
the patch centre. Sizes are in pixels; the caller converts from millimetres.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .synth_fields import powerlaw_field, smoothstep

__all__ = ["LesionSpec", "MASS_SHAPES", "LESION_KINDS", "as_spec", "random_lesion_specs", "render_lesion"]

MASS_SHAPES = ("round", "oval", "lobulated", "spiculated")
#: Kinds drawn at random; the last two only when asked for (catalog vocabulary).
LESION_KINDS = ("mass", "calcification", "mass+calcification", "architectural distortion", "focal asymmetry")
_OTHER_SHAPES = {"calcification": "cluster", "architectural distortion": "distortion", "focal asymmetry": "asymmetry"}


@dataclass(frozen=True)
class LesionSpec:
    """What lesion to draw; None fields are drawn at random.

    Parameters
    ----------
    kind : str
        'mass', 'calcification', 'mass+calcification', 'architectural
        distortion' or 'focal asymmetry'.
    shape : str, optional
        Masses: 'round', 'oval', 'lobulated', 'spiculated' (the others have one
        shape each: 'cluster', 'distortion', 'asymmetry').
    size_mm : float, optional
        Diameter of the mass, calcification cluster, distortion or asymmetry, in millimetres.
    margin : str, optional
        'circumscribed' or 'ill-defined' (spiculated masses are always 'spiculated').
    center : (row, col), optional
        Where to put it (full-image pixels, chest wall on the left as drawn);
        by default a random place in the glandular tissue.
    """

    kind: str = "mass"
    shape: str | None = None
    size_mm: float | None = None
    margin: str | None = None
    center: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.kind not in LESION_KINDS:
            raise ValueError(f"lesion kind must be one of {LESION_KINDS}, got {self.kind!r}")
        shapes = MASS_SHAPES + tuple(_OTHER_SHAPES.values())
        if self.shape is not None and self.shape not in shapes:
            raise ValueError(f"lesion shape must be one of {shapes}, got {self.shape!r}")
        if self.size_mm is not None and not self.size_mm > 0:
            raise ValueError(f"lesion size_mm must be > 0, got {self.size_mm!r}")


def as_spec(item) -> LesionSpec:
    """A :class:`LesionSpec` from a spec, a kind or shape name, or a dict of its fields."""
    if isinstance(item, LesionSpec):
        return item
    if isinstance(item, str):
        key = item.strip().lower().replace(" ", "")
        if key in MASS_SHAPES:
            return LesionSpec("mass", shape=key)
        aliases = {"calc": "calcification", "calcifications": "calcification", "cluster": "calcification",
                   "calcification+mass": "mass+calcification", "distortion": "architectural distortion",
                   "architecturaldistortion": "architectural distortion", "asymmetry": "focal asymmetry",
                   "focalasymmetry": "focal asymmetry"}
        return LesionSpec(aliases.get(key, item.strip().lower()))
    if isinstance(item, dict):
        return LesionSpec(**item)
    raise TypeError(f"a lesion must be a LesionSpec, a name or a dict, got {type(item).__name__}")


def random_lesion_specs(rng: np.random.Generator, n: int) -> list[LesionSpec]:
    """``n`` lesion specs in screening-like proportions (masses most often)."""
    kinds = rng.choice(LESION_KINDS[:3], size=n, p=[0.55, 0.3, 0.15])
    return [LesionSpec(str(k)) for k in kinds]


def _grid(half: int) -> tuple[np.ndarray, np.ndarray]:
    ax = np.arange(-half, half + 1, dtype=np.float32)
    return ax[:, None], ax[None, :]


def _mass(rng: np.random.Generator, radius: float, shape: str, margin: str) -> np.ndarray:
    ratio = {"round": rng.uniform(0.85, 1.0), "oval": rng.uniform(0.55, 0.8)}.get(shape, rng.uniform(0.7, 1.0))
    phi = rng.uniform(0, np.pi)
    # Outline radius R(theta): a few harmonics (lobes) on a circle.
    ks, amp = {"lobulated": ((2, 3, 4, 5), 0.13), "spiculated": ((3, 5, 7, 9), 0.07)}.get(shape, ((2, 3), 0.025))
    lobes = [(k, rng.uniform(0.4, 1.0) * amp, rng.uniform(0, 2 * np.pi)) for k in ks]
    soft = {"circumscribed": rng.uniform(0.06, 0.12), "ill-defined": rng.uniform(0.2, 0.35)}.get(margin, 0.3)
    # The core is drawn on the smallest window that holds it; spicules reach farther.
    core_half = int(np.ceil(radius * (1 + sum(a for _, a, _ in lobes)) * (1 + soft) / ratio)) + 3
    half = max(core_half, int(np.ceil(radius * 3.0)) + 4) if shape == "spiculated" else core_half
    y, x = _grid(core_half)
    xr = x * np.cos(phi) + y * np.sin(phi)
    yr = -x * np.sin(phi) + y * np.cos(phi)
    rho = np.hypot(xr, yr / ratio)
    theta = np.arctan2(yr, xr)
    r_theta = np.ones_like(theta)
    for k, a, ph in lobes:
        r_theta = r_theta + a * np.cos(k * theta + ph)
    t = rho / (radius * r_theta)
    inside = 1 - smoothstep(t, 1 - soft, 1 + soft)
    dome = np.sqrt(np.clip(1 - 0.75 * t * t, 0, 1))
    mass = np.zeros((2 * half + 1, 2 * half + 1), dtype=np.float32)
    mass[half - core_half:half + core_half + 1, half - core_half:half + core_half + 1] = inside * (0.45 + 0.55 * dome)
    if shape == "spiculated":
        y, x = _grid(half)
        mass = np.maximum(mass, 0.5 * _spicules(rng, y, x, radius))
    return mass


def _spicules(rng: np.random.Generator, y: np.ndarray, x: np.ndarray, radius: float,
              start_frac: float = 0.5) -> np.ndarray:
    """Thin tapering lines radiating from the core (a spiculated margin).

    They start ``start_frac * radius`` from the centre (inside a mass core, or
    near the point where a distortion's strands converge).
    """
    n = int(rng.integers(16, 36))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    half = y.shape[0] // 2
    out = np.zeros((y.shape[0], x.shape[1]), dtype=np.float32)
    for a in angles:
        length = radius * rng.uniform(0.7, 2.0)
        start = radius * start_frac * rng.uniform(0.6, 1.0)
        bend = rng.uniform(-0.2, 0.2)
        w0, w1 = max(radius * rng.uniform(0.04, 0.09), 1.0), 0.6
        # Only the spicule's own bounding box is evaluated.
        ends = np.array([start - w0, start + length])
        pad = 2 * w0 + abs(bend) * length
        ys = np.sin(a) * ends
        xs = np.cos(a) * ends
        r0, r1 = int(max(ys.min() - pad + half, 0)), int(min(ys.max() + pad + half + 2, out.shape[0]))
        c0, c1 = int(max(xs.min() - pad + half, 0)), int(min(xs.max() + pad + half + 2, out.shape[1]))
        yy, xx = y[r0:r1], x[:, c0:c1]
        # Coordinates along (s) and across (q) the spicule; a slight bend in q.
        s = xx * np.cos(a) + yy * np.sin(a) - start
        q = -xx * np.sin(a) + yy * np.cos(a)
        frac = np.clip(s / length, 0, 1)
        q = q - bend * length * frac * frac
        width = w0 + (w1 - w0) * frac
        along = (s >= -w0) & (s <= length)
        line = np.exp(-np.minimum((q / width) ** 2, 30)) * (1 - 0.7 * frac) * along
        np.maximum(out[r0:r1, c0:c1], line, out=out[r0:r1, c0:c1])
    return out


def _calcifications(rng: np.random.Generator, radius: float, speck_px: float, n: int,
                    half: int | None = None) -> np.ndarray:
    """A cluster of small bright specks (round or rod-like), ``radius`` in pixels."""
    half = half if half is not None else int(np.ceil(radius + 4 * speck_px)) + 2
    out = np.zeros((2 * half + 1, 2 * half + 1), dtype=np.float32)
    linear = rng.random() < 0.3  # ductal (linear) distribution vs. a round cluster
    a = rng.uniform(0, np.pi)
    for _ in range(n):
        if linear:
            s, q = rng.uniform(-1, 1) * radius, rng.normal(0, 0.15) * radius
            cy, cx = s * np.sin(a) + q * np.cos(a), s * np.cos(a) - q * np.sin(a)
        else:
            r, t = radius * np.sqrt(rng.random()), rng.uniform(0, 2 * np.pi)
            cy, cx = r * np.sin(t), r * np.cos(t)
        sig = speck_px * rng.uniform(0.5, 1.3)
        stretch = rng.uniform(1.0, 2.5) if linear else rng.uniform(1.0, 1.5)
        ang = a if linear else rng.uniform(0, np.pi)
        h = int(np.ceil(3 * sig * stretch)) + 1
        iy, ix = int(round(cy)) + half, int(round(cx)) + half
        y0, y1, x0, x1 = max(iy - h, 0), min(iy + h + 1, out.shape[0]), max(ix - h, 0), min(ix + h + 1, out.shape[1])
        yy = np.arange(y0, y1, dtype=np.float32)[:, None] - (cy + half)
        xx = np.arange(x0, x1, dtype=np.float32)[None, :] - (cx + half)
        u = xx * np.cos(ang) + yy * np.sin(ang)
        v = -xx * np.sin(ang) + yy * np.cos(ang)
        speck = rng.uniform(0.6, 1.0) * np.exp(-0.5 * ((u / (sig * stretch)) ** 2 + (v / sig) ** 2))
        np.maximum(out[y0:y1, x0:x1], speck, out=out[y0:y1, x0:x1])
    return out


def _asymmetry(rng: np.random.Generator, radius: float) -> np.ndarray:
    """A broad, faint density with no convex border: a blob frayed by a power-law field."""
    half = int(np.ceil(radius * 1.6)) + 3
    y, x = _grid(half)
    ratio, phi = rng.uniform(0.45, 0.8), rng.uniform(0, np.pi)
    rho = np.hypot(x * np.cos(phi) + y * np.sin(phi), (-x * np.sin(phi) + y * np.cos(phi)) / ratio) / radius
    fray = powerlaw_field(rng, (2 * half + 1, 2 * half + 1), 3.5, f_low=1.0 / max(radius, 4.0))
    return (1 - smoothstep(rho + 0.15 * fray, 0.3, 1.2)).astype(np.float32)


def render_lesion(rng: np.random.Generator, spec: LesionSpec, px_mm: float) -> tuple[np.ndarray, dict]:
    """Draw one lesion.

    Returns
    -------
    patch : numpy.ndarray
        float32 (2h+1, 2h+1) brightness to add, centred on the lesion.
    info : dict
        'type', 'shape', 'margin', 'size_mm', 'box_rel' (row_min, col_min,
        row_max, col_max relative to the patch centre, inclusive).
    """
    kind = spec.kind
    if kind in ("architectural distortion", "focal asymmetry"):
        shape, margin = _OTHER_SHAPES[kind], "ill-defined"
        size_mm = spec.size_mm or float(rng.uniform(15.0, 40.0))
        radius = max(size_mm / 2 / px_mm, 3.0)
        if kind == "focal asymmetry":
            patch = _asymmetry(rng, radius) * float(rng.uniform(0.07, 0.12))
        else:  # spicules that converge on a point, with no central mass
            y, x = _grid(int(np.ceil(radius * 1.2)) + 4)
            patch = _spicules(rng, y, x, radius * 0.55, start_frac=0.15) * float(rng.uniform(0.1, 0.16))
    elif kind == "calcification":
        shape, margin = "cluster", ""
        size_mm = spec.size_mm or float(rng.uniform(5.0, 16.0))
        radius = size_mm / 2 / px_mm
        speck = max(0.7, rng.uniform(0.12, 0.3) / px_mm)
        patch = _calcifications(rng, radius, speck, int(rng.integers(6, 30))) * float(rng.uniform(0.35, 0.6))
    else:
        shape = spec.shape if spec.shape in MASS_SHAPES else str(rng.choice(MASS_SHAPES, p=[0.25, 0.25, 0.25, 0.25]))
        margin = "spiculated" if shape == "spiculated" else (
            spec.margin or str(rng.choice(["circumscribed", "ill-defined"], p=[0.6, 0.4])))
        size_mm = spec.size_mm or float(rng.uniform(8.0, 30.0))
        radius = max(size_mm / 2 / px_mm, 3.0)
        patch = _mass(rng, radius, shape, margin) * float(rng.uniform(0.15, 0.28))
        if kind == "mass+calcification":
            half = patch.shape[0] // 2
            speck = max(0.7, rng.uniform(0.1, 0.25) / px_mm)
            calc = _calcifications(rng, radius * 0.8, speck, int(rng.integers(5, 20)), half=half)
            patch = np.maximum(patch, calc * float(rng.uniform(0.4, 0.6)) + patch)
    hit = np.nonzero(patch > 0.15 * float(patch.max()))
    half = patch.shape[0] // 2
    box_rel = (int(hit[0].min()) - half, int(hit[1].min()) - half, int(hit[0].max()) - half, int(hit[1].max()) - half)
    info = {"type": kind, "shape": shape, "margin": margin, "size_mm": round(float(size_mm), 2), "box_rel": box_rel}
    return patch, info
