"""Synthetic full-field mammograms for the built-in demo dataset.

A physically-minded sketch, not a simulator: a breast outline against the chest
wall, a subcutaneous fat layer and a bright skin line, fibroglandular tissue
with the power-law ("1/f^beta", beta about 3) texture of real mammograms,
concentrated in a cone from the chest wall to the nipple and stretched along
ducts that radiate from the nipple, thin fibrous strands, a pectoral muscle in
the upper chest-wall corner of MLO views, brightness falling toward the thin
edge of the compressed breast, and lesions (masses of several shapes and
margins, calcification clusters). Values are 12-bit presentation-sense pixels
(bright = dense), like a processed ("FOR PRESENTATION") Hologic image, with the
air background exactly 0 so that the paper's mask ``pixel > 0`` recovers the
breast.

Orientation: the chest wall is at the image edge on the breast's own side as
FFDM systems store it, i.e. a left breast has its chest wall at the left edge
(column 0) and its nipple pointing right; a right breast is the mirror image.

The smooth fields are computed on a grid about 512 rows high and upsampled;
a 2048 x 1664 image takes a fraction of a second.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import synth_anatomy as anat
from .synth_lesions import LESION_KINDS, MASS_SHAPES, LesionSpec, as_spec, random_lesion_specs, render_lesion
from .synth_render import render_breast

__all__ = ["SyntheticMammogram", "LesionSpec", "synthesize_mammogram", "random_lesion_specs",
           "DETECTOR_HEIGHT_MM", "DENSITIES", "CHEST_WALL_SIDE", "LESION_KINDS", "MASS_SHAPES"]

#: Long side of a Hologic Selenia 24 x 29 cm detector (4096 px at 70 um).
DETECTOR_HEIGHT_MM = 286.72
#: BI-RADS breast density categories (a: fatty ... d: extremely dense).
DENSITIES = ("A", "B", "C", "D")
#: Image edge holding the chest wall, by laterality.
CHEST_WALL_SIDE = {"L": "left", "R": "right"}
_MAX_VALUE = 4095
_DENSITY_P = (0.1, 0.4, 0.4, 0.1)  # BI-RADS a-d in screening populations


@dataclass(frozen=True, eq=False)
class SyntheticMammogram:
    """One synthetic image and its truth.

    Attributes
    ----------
    pixels : numpy.ndarray
        uint16 (rows, cols), 12-bit (0..4095), bright = dense, background 0.
    breast_mask : numpy.ndarray
        bool (rows, cols), True on the breast (equals ``pixels > 0``).
    lesions : list of dict
        One per lesion: 'box' (row_min, col_min, row_max, col_max), inclusive;
        'type' ('mass', 'calcification', 'mass+calcification', or on request
        'architectural distortion', 'focal asymmetry'); 'shape' ('round',
        'oval', 'lobulated', 'spiculated', 'cluster', 'distortion',
        'asymmetry'); 'margin';
        'size_mm'; 'center' (row, col); 'status' (a biopsy category 'B2'..'B5'
        consistent with the appearance); 'severity' ('benign'/'malignant').
    view, laterality, density : str
        'CC'/'MLO', 'L'/'R', BI-RADS 'A'..'D'.
    pixel_spacing_mm : float
        Pixel size if the image spans a 24 x 29 cm detector.
    pectoral_mask : numpy.ndarray or None
        bool (rows, cols) of the pectoral muscle (MLO only).
    """

    pixels: np.ndarray
    breast_mask: np.ndarray
    lesions: list = field(default_factory=list)
    view: str = "CC"
    laterality: str = "L"
    density: str = "B"
    pixel_spacing_mm: float = 0.14
    pectoral_mask: np.ndarray | None = None


def _check(rows: int, cols: int, view: str, laterality: str, density) -> str:
    if int(rows) < 64 or int(cols) < 64:
        raise ValueError(f"rows and cols must be >= 64, got {rows} x {cols}")
    if view not in ("CC", "MLO"):
        raise ValueError(f"view must be 'CC' or 'MLO', got {view!r}")
    if laterality not in ("L", "R"):
        raise ValueError(f"laterality must be 'L' or 'R', got {laterality!r}")
    if density is not None and str(density).upper() not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES} or None, got {density!r}")
    return "" if density is None else str(density).upper()


def _status(rng: np.random.Generator, info: dict) -> tuple[str, str]:
    """A biopsy category that fits the look: spiculated and linear calcs lean malignant."""
    p_malignant = {"spiculated": 0.85, "lobulated": 0.45, "cluster": 0.4, "oval": 0.2, "round": 0.15,
                   "distortion": 0.6, "asymmetry": 0.15}[info["shape"]]
    if info["margin"] == "ill-defined":
        p_malignant = min(0.9, p_malignant + 0.25)
    if rng.random() < p_malignant:
        return str(rng.choice(["B4", "B5"], p=[0.25, 0.75])), "malignant"
    return str(rng.choice(["B2", "B3"], p=[0.8, 0.2])), "benign"


def _visibility_gain(img, mask, patch, centre, box) -> float:
    """Scale that lifts a mass's centre clearly above the tissue around its box.

    A mass over dense tissue could otherwise vanish; screening-detected masses
    are denser than their surroundings, so the centre is made to exceed the
    upper quartile of a frame around the box by half the mass's own contrast.
    """
    h = patch.shape[0] // 2
    peak = float(patch[h - 2:h + 3, h - 2:h + 3].mean())
    cy, cx = centre
    core = float(img[cy - 2:cy + 3, cx - 2:cx + 3].mean())
    r0, c0, r1, c1 = box
    w = max(4, (r1 - r0) // 4)
    y0, x0 = max(r0 - w, 0), max(c0 - w, 0)
    window = (slice(y0, r1 + w + 1), slice(x0, c1 + w + 1))
    frame = mask[window].copy()  # the frame: the window minus the box, on the breast
    frame[r0 - y0:r1 - y0 + 1, c0 - x0:c1 - x0 + 1] = False
    if peak <= 0 or not frame.any():
        return 1.0
    need = float(np.percentile(img[window][frame], 75)) + 0.5 * peak - core
    return float(np.clip(need / peak, 1.0, 3.0))


def _place(rng, info, spec, sd_full, margin_px, pect_edge, weight_low, taken):
    """Pick a centre whose box lies inside the breast, off the pectoral, apart from other boxes."""
    rows, cols = sd_full.shape
    r0, c0, r1, c1 = info["box_rel"]
    if spec.center is not None:
        candidates = [tuple(int(v) for v in spec.center)]
    else:
        p = (weight_low.ravel() ** 2) + 1e-6
        idx = rng.choice(p.size, size=200, p=p / p.sum())
        fr, fc = rows / weight_low.shape[0], cols / weight_low.shape[1]
        cy = ((idx // weight_low.shape[1]) + rng.random(idx.size)) * fr
        cx = ((idx % weight_low.shape[1]) + rng.random(idx.size)) * fc
        candidates = list(zip(cy.astype(int), cx.astype(int)))
    for cy, cx in candidates:
        box = (cy + r0, cx + c0, cy + r1, cx + c1)
        if box[0] < 0 or box[1] < 0 or box[2] >= rows or box[3] >= cols:
            continue
        if sd_full[box[0]:box[2] + 1, box[1]:box[3] + 1].min() < margin_px:
            continue
        if pect_edge is not None and pect_edge[box[0]:box[2] + 1].max() + margin_px > box[1]:
            continue
        if any(box[0] <= b[2] + margin_px and b[0] <= box[2] + margin_px and box[1] <= b[3] + margin_px
               and b[1] <= box[3] + margin_px for b in taken):
            continue
        return cy, cx, box
    return None


def synthesize_mammogram(
    rng: np.random.Generator | int,
    *,
    rows: int = 2048,
    cols: int = 1664,
    view: str = "CC",
    laterality: str = "L",
    lesions=(),
    density: str | None = None,
    patient: int | None = None,
) -> SyntheticMammogram:
    """Draw one synthetic mammogram.

    Parameters
    ----------
    rng : numpy.random.Generator or int
        Source of all randomness (an int seeds a new generator); the same state
        gives the same image.
    rows, cols : int
        Image size in pixels (>= 64 each).
    view : {'CC', 'MLO'}
    laterality : {'L', 'R'}
        Decides the chest-wall side (see the module docstring).
    lesions : sequence or int
        :class:`LesionSpec` items, kind or shape names ('mass', 'calcification',
        'mass+calcification', 'spiculated', ...) or dicts of LesionSpec fields;
        an int draws that many random lesions.
    density : {'A', 'B', 'C', 'D'}, optional
        BI-RADS density; random (screening proportions) when None.
    patient : int, optional
        Seed of the patient's own traits: the breast size (nipple depth) and,
        unless ``density`` is given, the density. Pass the same value for the
        four views of one patient so they look like one woman's breasts.

    Returns
    -------
    SyntheticMammogram

    Raises
    ------
    ValueError
        For a bad parameter, or when a lesion does not fit inside the breast.
    """
    dens = _check(rows, cols, view, laterality, density)
    rows, cols = int(rows), int(cols)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if isinstance(lesions, (str, dict, LesionSpec)):
        lesions = [lesions]  # one lesion given bare
    specs = random_lesion_specs(rng, int(lesions)) if isinstance(lesions, (int, np.integer)) else [
        as_spec(x) for x in lesions]
    depth = None
    if patient is not None:
        traits = np.random.default_rng([int(patient), 0x6D616D6D])  # independent of ``rng``
        patient_density = str(traits.choice(DENSITIES, p=_DENSITY_P))
        depth = float(traits.uniform(0.55, 0.8))
        dens = dens or patient_density
    dens = dens or str(rng.choice(DENSITIES, p=_DENSITY_P))
    px_mm = DETECTOR_HEIGHT_MM / max(rows, cols)
    outline = anat.draw_outline(rng, view, depth=depth)
    breast = render_breast(rng, outline, dens, rows, cols, px_mm)
    img, sd = breast.image, breast.skin
    mask = sd > 0
    found, taken = [], []
    for spec in specs:
        if spec.size_mm is not None and spec.size_mm / px_mm > 0.6 * min(rows, cols):
            raise ValueError(f"a {spec.kind} of {spec.size_mm} mm does not fit inside this {rows}x{cols} breast "
                             f"({px_mm:.3f} mm pixels); use a smaller size_mm or a larger image")
        patch, info = render_lesion(rng, spec, px_mm)
        spot = _place(rng, info, spec, sd, 5.0 / px_mm, breast.pectoral_edge, breast.weight, taken)
        if spot is None:
            raise ValueError(f"a {spec.kind} of {info['size_mm']} mm does not fit inside this "
                             f"{rows}x{cols} breast; use a smaller size_mm or a larger image")
        cy, cx, box = spot
        h = patch.shape[0] // 2
        y0, x0 = cy - h, cx - h
        ys, xs = slice(max(y0, 0), min(y0 + patch.shape[0], rows)), slice(max(x0, 0), min(x0 + patch.shape[1], cols))
        if "mass" in spec.kind:
            patch = patch * _visibility_gain(img, mask, patch, (cy, cx), box)
        img[ys, xs] += patch[ys.start - y0:ys.stop - y0, xs.start - x0:xs.stop - x0]
        taken.append(box)
        status, severity = _status(rng, info)
        info = {k: v for k, v in info.items() if k != "box_rel"}
        found.append({"box": tuple(int(b) for b in box), **info, "center": (int(cy), int(cx)),
                      "status": status, "severity": severity})
    # Quantum noise, its variance growing with the signal (linearised sqrt).
    noise = rng.standard_normal((rows, cols), dtype=np.float32)
    noise *= img * np.float32(0.008) + np.float32(0.004)
    img += noise
    img *= np.float32(_MAX_VALUE)
    np.clip(img, 1, _MAX_VALUE, out=img)
    img *= mask  # air exactly 0
    pixels = img.astype(np.uint16)
    pect_mask = None
    if breast.pectoral_edge is not None:
        pect_mask = (np.arange(cols, dtype=np.float32)[None, :] < breast.pectoral_edge[:, None]) & mask
    if CHEST_WALL_SIDE[laterality] == "right":
        pixels, mask = pixels[:, ::-1].copy(), mask[:, ::-1].copy()
        pect_mask = pect_mask[:, ::-1].copy() if pect_mask is not None else None
        for les in found:
            r0, c0, r1, c1 = les["box"]
            les["box"] = (r0, cols - 1 - c1, r1, cols - 1 - c0)
            les["center"] = (les["center"][0], cols - 1 - les["center"][1])
    return SyntheticMammogram(pixels=pixels, breast_mask=mask, lesions=found, view=view, laterality=laterality,
                              density=dens, pixel_spacing_mm=float(px_mm), pectoral_mask=pect_mask)
