"""Blending a lesion template into a mammogram, on a local window only.

The model (values ``T`` of the target image, template already resampled to
the target's pixel spacing, ``u`` = the target's value range, ``c`` = the
contrast factor, ``a`` = the soft support, ``s`` = the template's signal and
``p`` its patch):

``additive`` (the default, see the README's seam table)
    ``out = T + c * u * s``. The lesion *adds* to the local tissue, whose
    texture stays. For log-type data - processed FOR PRESENTATION mammograms
    (PixelIntensityRelationship LOG) and digitised film (optical density) -
    pixel values are affine in the log of the transmitted intensity, so an
    addition here is the attenuation of an extra (lesion minus displaced
    tissue) thickness: Beer-Lambert in the log domain (raw LIN data are
    first mapped to ``-ln I``, :mod:`.domain`). The lesion's own
    background was removed when the template was made (local background
    subtraction, :mod:`.lesion`).
``poisson``
    Seamless cloning (Perez et al. 2003) with a soft guidance field: inside
    the window, solve ``laplace(out) = div((1 - a) grad T + a grad(c u p))``
    with ``out = T`` on the window's border (one discrete-sine-transform
    solve, exact for the 5-point Laplacian).
``paste``
    Alpha compositing of the lesion patch, its level matched to the target
    on the support's edge: ``out = (1 - a) T + a (c u (p - p_edge) + T_edge)``.
    The naive baseline.

Only the window around the lesion is computed (a 4096 x 3328 insertion costs
the window's work, not the image's). Values are clipped to ``[0, limit]``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft

from .lesion import LesionTemplate

__all__ = ["METHODS", "Insertion", "insert_lesion", "poisson_correction"]

METHODS = ("additive", "poisson", "paste")


@dataclass(frozen=True, eq=False)
class Insertion:
    """One lesion blended into an image (enough to apply, preview or undo it).

    Attributes
    ----------
    window : (r0, c0, r1, c1)
        The image region changed, end-exclusive.
    before, after : numpy.ndarray
        The region's values before and after (image dtype).
    support : numpy.ndarray, float32
        The soft lesion mask on the window.
    box : (row_min, col_min, row_max, col_max)
        The lesion's box in image coordinates, inclusive (``support >= 0.5``).
    """

    window: tuple[int, int, int, int]
    before: np.ndarray
    after: np.ndarray
    support: np.ndarray
    box: tuple[int, int, int, int]

    def apply(self, image: np.ndarray) -> None:
        """Write ``after`` into ``image`` (in place)."""
        r0, c0, r1, c1 = self.window
        image[r0:r1, c0:c1] = self.after

    def undo(self, image: np.ndarray) -> None:
        """Put ``before`` back into ``image`` (in place)."""
        r0, c0, r1, c1 = self.window
        image[r0:r1, c0:c1] = self.before


def poisson_correction(diff: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The ``u`` with ``laplace(u) = div(alpha grad diff)`` inside, ``u = 0`` on the border.

    ``T + u`` is then the Poisson blend whose guidance field is
    ``(1 - alpha) grad T + alpha grad S`` when ``diff = S - T``.
    """
    rows, cols = diff.shape
    if rows < 3 or cols < 3:
        return np.zeros_like(diff)
    fr = 0.5 * (alpha[1:] + alpha[:-1]) * np.diff(diff, axis=0)        # (rows-1, cols)
    fc = 0.5 * (alpha[:, 1:] + alpha[:, :-1]) * np.diff(diff, axis=1)  # (rows, cols-1)
    rhs = (fr[1:, 1:-1] - fr[:-1, 1:-1]) + (fc[1:-1, 1:] - fc[1:-1, :-1])  # interior (rows-2, cols-2)
    n, m = rhs.shape
    lam = (2 * np.cos(np.pi * np.arange(1, n + 1) / (n + 1)) - 2)[:, None] + \
          (2 * np.cos(np.pi * np.arange(1, m + 1) / (m + 1)) - 2)[None, :]
    u_int = fft.idstn(fft.dstn(rhs, type=1, workers=-1) / lam, type=1, workers=-1)
    u = np.zeros_like(diff)
    u[1:-1, 1:-1] = u_int
    return u


def _edge_mean(values: np.ndarray, support: np.ndarray) -> float:
    band = (support > 0.05) & (support < 0.5)
    if not band.any():
        band = np.ones_like(support, bool)
        band[1:-1, 1:-1] = False
    return float(values[band].mean())


def insert_lesion(image: np.ndarray, template: LesionTemplate, center, *, contrast: float = 1.0,
                  method: str = "additive", unit: float = 1.0, limit: float | None = None,
                  out: np.ndarray | None = None, domain=None) -> Insertion:
    """Blend ``template`` into ``image`` centred at ``center`` (see the module docstring).

    Parameters
    ----------
    image : numpy.ndarray (rows, cols)
        Target values (bright = dense); not modified.
    template : LesionTemplate
        Already at the image's pixel spacing (:func:`~.lesion.rescale_template`).
    center : (row, col)
        Where the template's centre goes (it may stick out of the image: it is cut).
    contrast : float
        Contrast factor ``c`` (>= 0; 1 = the lesion's own contrast).
    method : {'additive', 'poisson', 'paste'}
    unit : float
        The target's value range ``u`` (template fractions -> image values).
    limit : float, optional
        Largest allowed value (default: the dtype's maximum, 1.0 for floats).
    out : numpy.ndarray, optional
        When given (usually ``image`` itself), the result is written into it.
    domain : IntensityDomain, optional
        Blend in ``domain.forward(values)`` (attenuation, for LIN data; ``unit``
        is then that domain's range) and map back (:mod:`.domain`).

    Returns
    -------
    Insertion

    Raises
    ------
    ValueError
        Unknown method, negative contrast, or a centre that puts the lesion
        entirely outside the image.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not contrast >= 0:
        raise ValueError(f"contrast must be >= 0, got {contrast!r}")
    if method != "additive" and template.patch is None:
        raise ValueError(f"the {method!r} blend needs the template's patch (rescaled with with_patch=False)")
    image = np.asarray(image)
    rows, cols = image.shape
    h, w = template.shape
    margin = 0 if method == "additive" else max(4, int(0.08 * max(h, w)))
    top, left = int(round(center[0])) - h // 2 - margin, int(round(center[1])) - w // 2 - margin
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h + 2 * margin, rows), min(left + w + 2 * margin, cols)
    if r1 - r0 < 1 or c1 - c0 < 1:
        raise ValueError(f"a lesion centred at {tuple(center)} lies outside the {rows}x{cols} image")
    # template arrays padded by the margin and cut to the window
    sl = (slice(r0 - top, r1 - top), slice(c0 - left, c1 - left))

    def padded(a):
        return np.pad(a, margin)[sl] if margin else a[sl]

    support, signal = padded(template.support), padded(template.signal)
    patch = padded(template.patch) if template.patch is not None else None
    before = image[r0:r1, c0:c1].copy()
    k = np.float32(contrast * unit)
    base = before if domain is None else domain.forward(before)
    if method == "additive":  # in place, few passes: this is the live-preview path
        new = np.multiply(signal, k, dtype=np.float32)
        new += base
    elif method == "paste":
        t = base.astype(np.float32)
        src = k * (patch - _edge_mean(patch, support)) + _edge_mean(t, support)
        new = (1 - support) * t + support * src
    else:
        t = base.astype(np.float32)
        new = t + poisson_correction(k * patch - t, support)
    if domain is not None:
        new = domain.inverse(new)
    if limit is None:
        limit = float(np.iinfo(image.dtype).max) if image.dtype.kind in "ui" else 1.0
    np.clip(new, 0, limit, out=new)
    if image.dtype.kind in "ui":
        np.rint(new, out=new)
    after = new.astype(image.dtype)
    inside = support >= 0.5
    if not inside.any():
        inside = support > 0 if np.any(support > 0) else np.ones_like(support, bool)
    rr, cc = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    box = (r0 + int(rr[0]), c0 + int(cc[0]), r0 + int(rr[-1]), c0 + int(cc[-1]))
    ins = Insertion(window=(r0, c0, r1, c1), before=before, after=after, support=support, box=box)
    if out is not None:
        ins.apply(out)
    return ins
