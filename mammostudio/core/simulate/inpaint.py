"""Lesions drawn *into* the target by a context-conditioned generator (in-painting).

Core does not run the network (no torch here): the caller passes an
``inpainter(contexts, holes, seed) -> filled`` function (uint8 stacks
(n, s, s) and bool holes; ``trainers.jobs.simulate.make_inpainter`` builds
one from a checkpoint). :func:`inpaint_template` cuts the target's window at
the chosen place, stretches it to uint8 (1st..99th percentile), resizes it
to the network's size, blanks a centred ellipse (:func:`centred_ellipses`,
the same holes the trainer uses), lets the network fill it, and maps the
result back. The template's signal is the *difference* the network made,
``(filled - target) * support``: the additive blend then is alpha
compositing of the filled hole (contrast 1), and the contrast factor scales
the change.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..imageops import resize_image
from .lesion import LesionTemplate, _feather

__all__ = ["centred_ellipses", "inpaint_template", "Inpainter"]

Inpainter = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def centred_ellipses(n: int, size: int, rng: np.random.Generator, lo: float = 0.35, hi: float = 0.65
                     ) -> np.ndarray:
    """``n`` centred elliptical holes, bool (n, size, size), diameters lo..hi of the side, random tilt."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) - (size - 1) / 2
    out = np.empty((n, size, size), bool)
    for k in range(n):
        a, b = rng.uniform(lo, hi, 2) * size / 2
        t = rng.uniform(0, np.pi)
        u, v = xx * np.cos(t) + yy * np.sin(t), -xx * np.sin(t) + yy * np.cos(t)
        out[k] = (u / a) ** 2 + (v / b) ** 2 <= 1
    return out


def inpaint_template(image: np.ndarray, centre, side: int, inpainter: Inpainter, *, model_size: int,
                     rng: np.random.Generator, seed: int, unit: float, spacing_mm: float,
                     hole=(0.35, 0.65), source: dict | None = None) -> LesionTemplate:
    """A template whose lesion the network drew into ``image`` around ``centre``.

    Parameters
    ----------
    image : numpy.ndarray (rows, cols)
        The target (its window must lie inside: place with the window's ``side``).
    centre : (row, col)
    side : int
        Window side in image pixels (the lesion's physical size / spacing).
    inpainter : callable
        ``(contexts uint8 (1, s, s), holes bool (1, s, s), seed) -> uint8 (1, s, s)``.
    model_size : int
        The network's ``s``.
    rng : numpy.random.Generator
        Draws the hole's shape.
    seed : int
        The network's noise seed (provenance).
    unit : float
        The target's value range (template fractions).
    spacing_mm : float
        The image's spacing (the template is on the image grid).
    hole : (low, high)
        Hole diameters as fractions of the side.
    source : dict, optional
        Provenance; ``noise_seed`` is added.
    """
    top, left = int(centre[0]) - side // 2, int(centre[1]) - side // 2
    if top < 0 or left < 0 or top + side > image.shape[0] or left + side > image.shape[1]:
        raise ValueError(f"the {side} px in-painting window at {tuple(centre)} leaves the image")
    window = image[top:top + side, left:left + side].astype(np.float32)
    lo, hi = (float(v) for v in np.percentile(window, [1, 99]))
    hi = max(hi, lo + 1.0)
    small = resize_image(window, (model_size, model_size))
    context = np.clip(np.rint((small - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)
    holes = centred_ellipses(1, model_size, rng, *hole)
    filled = np.asarray(inpainter(context[None], holes, int(seed)))[0]
    if filled.shape != context.shape:
        raise ValueError(f"the in-painter returned shape {filled.shape}, expected {context.shape}")
    values = resize_image(filled.astype(np.float32) / 255 * (hi - lo) + lo, (side, side))
    changed = values - resize_image(small, (side, side))  # what the network changed (0 outside the hole)
    support = _feather(resize_image(holes[0].astype(np.float32), (side, side)) > 0.5, max(side / 40, 1.0))
    signal = (changed * support / np.float32(unit)).astype(np.float32)
    patch = (values / np.float32(unit)).astype(np.float32)
    return LesionTemplate(signal=signal, support=support.astype(np.float32), patch=patch, spacing_mm=spacing_mm,
                          kind="mass", source={**(source or {}), "noise_seed": int(seed)})
