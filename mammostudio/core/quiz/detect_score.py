"""Scoring marks against lesions: lesion localisation (LL) or non-lesion localisation (NL).

Acceptance criterion, in original pixels:

- outline (``radius_mm=None``): the mark lies inside the lesion's box on that image
  (inclusive bounds, the mark's pixel rounded to the nearest);
- radius: the mark lies within ``radius_mm`` of the box centre, with distances in mm from
  the image's pixel spacing.

A mark that qualifies for several lesions goes to the one whose centre is nearest. When
several marks qualify for one lesion, the highest-rated is its LL (ties: the first made)
and the others count as NLs, as in Chakraborty (2017) and RJafroc: a lesion can be found
only once, and extra marks on it earn no credit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Mark", "Outline", "score_marks"]


@dataclass(frozen=True)
class Mark:
    """A reader's mark in original pixels."""

    mark_id: int
    image_key: str
    row: float
    col: float
    rating: int


@dataclass(frozen=True)
class Outline:
    """A lesion's outline on one image (inclusive box, original pixels)."""

    lesion_no: int
    image_key: str
    box: tuple[int, int, int, int]
    spacing_mm: float | None = None


def _hit(mark: Mark, o: Outline, radius_mm: float | None) -> float | None:
    """Distance (pixels) from the mark to the outline's centre when it qualifies, else None."""
    if mark.image_key != o.image_key:
        return None
    r0, c0, r1, c1 = o.box
    cr, cc = (r0 + r1) / 2.0, (c0 + c1) / 2.0
    d = math.hypot(mark.row - cr, mark.col - cc)
    if radius_mm is None:
        r, c = round(mark.row), round(mark.col)
        return d if (r0 <= r <= r1 and c0 <= c <= c1) else None
    if o.spacing_mm is None:
        raise ValueError(f"image {o.image_key} has no pixel spacing for a radius in mm")
    return d if d * o.spacing_mm <= radius_mm else None


def score_marks(marks: list[Mark], outlines: list[Outline], n_lesions: int, *,
                radius_mm: float | None = None) -> tuple[dict[int, int | None], list[float]]:
    """Classify marks and rate each lesion.

    Parameters
    ----------
    marks : list of Mark
        The case's marks (deleted ones left out), in the order made.
    outlines : list of Outline
        Every outline of the case's lesions (lesions numbered 1..n_lesions).
    n_lesions : int
    radius_mm : float or None
        See the module docstring.

    Returns
    -------
    lesion_of : dict mark_id -> lesion number (LL) or None (NL)
    ll : list of float
        One rating per lesion, minus infinity when no mark localised it.
    """
    candidate: dict[int, int] = {}
    for m in marks:
        best = None
        for o in outlines:
            d = _hit(m, o, radius_mm)
            if d is not None and (best is None or d < best[0]):
                best = (d, o.lesion_no)
        if best is not None:
            candidate[m.mark_id] = best[1]
    lesion_of: dict[int, int | None] = {m.mark_id: None for m in marks}
    ll = [-math.inf] * n_lesions
    for no in range(1, n_lesions + 1):
        on = [m for m in marks if candidate.get(m.mark_id) == no]
        if on:
            top = max(on, key=lambda m: m.rating)  # max keeps the first of equal ratings
            lesion_of[top.mark_id] = no
            ll[no - 1] = float(top.rating)
    return lesion_of, ll
