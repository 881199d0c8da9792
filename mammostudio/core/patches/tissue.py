"""Normal-tissue patches: the paper's Algorithm 1 (lines 11-21) and an exhaustive mode.

Paper rule (spec 1.6): up to ``n_tissue`` patches; at most ``rounds`` rounds of
``candidates_per_round`` random top-left positions, freshly drawn every round
(the published code reused one seed, so its rounds 2-5 added nothing); stop as
soon as ``n_tissue`` candidates were valid. Valid = every pixel inside the
breast mask and no pixel on any lesion box (both ends inclusive, as the
ground-truth image paints them). Afterwards patches with fewer than
``min_unique`` distinct values are dropped (the paper's post-processing, so
they still count towards the stop).

Exhaustive mode: the validity of *every* top-left position is one array
operation on a summed-area table of "bad" pixels (outside the mask or on a
box); positions are then drawn among the valid ones, low-variety draws being
replaced, so a small or crowded breast still gives its patches.

Every candidate looked at is kept for the audit (the paper's Figure 2).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .params import ExtractParams
from .prepared import Prepared

__all__ = ["TissueResult", "image_rng", "sample_tissue", "valid_positions", "audit_image", "n_unique",
           "REASONS"]

#: Rejection reasons recorded in the audit ('' = accepted).
REASONS = ("background", "lesion overlap", "low variety")


def image_rng(seed: int, image_id: str) -> np.random.Generator:
    """The random generator of one image: a function of (seed, image_id) only.

    So the patches of an image do not depend on which worker process took it,
    nor on the order of images.
    """
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    digest = hashlib.sha256(str(image_id).encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words]))


def n_unique(patch: np.ndarray) -> int:
    """Number of distinct values of a uint8 patch."""
    return int(np.count_nonzero(np.bincount(patch.ravel(), minlength=256)))


@dataclass
class TissueResult:
    """Accepted tissue patches of one image and every candidate looked at."""

    patches: list = field(default_factory=list)       # uint8 (size, size) arrays
    positions: list = field(default_factory=list)     # (row, col) top-left
    uniques: list = field(default_factory=list)       # distinct values per patch
    audit: list = field(default_factory=list)         # (row, col, accepted, reason, round, n_unique)
    note: str = ""                                     # why fewer than asked, when known

    def audit_frame(self, size: int) -> pd.DataFrame:
        """The audit as a DataFrame(row, col, size, accepted, reason, round, n_unique)."""
        cols = ["row", "col", "accepted", "reason", "round", "n_unique"]
        df = pd.DataFrame(self.audit, columns=cols)
        df.insert(2, "size", int(size))
        return df.astype({"row": "int64", "col": "int64", "size": "int64", "accepted": bool,
                          "round": "int64", "n_unique": "int64"})


def _overlaps(boxes: np.ndarray, rows: np.ndarray, cols: np.ndarray, size: int) -> np.ndarray:
    """For each window (rows[k], cols[k]) of side ``size``: does it touch any box?"""
    if len(boxes) == 0:
        return np.zeros(len(rows), bool)
    r, c = rows[:, None], cols[:, None]
    hit = (r <= boxes[:, 2]) & (r + size - 1 >= boxes[:, 0]) & (c <= boxes[:, 3]) & (c + size - 1 >= boxes[:, 1])
    return hit.any(axis=1)


def valid_positions(prep: Prepared, boxes: np.ndarray, size: int) -> np.ndarray:
    """Validity of every top-left position, bool (rows - size + 1, cols - size + 1).

    A summed-area table of bad pixels (outside the breast mask, or on a lesion
    box) gives each window's count of bad pixels in four look-ups.
    """
    rows, cols = prep.shape
    if rows < size or cols < size:
        return np.zeros((max(rows - size + 1, 0), max(cols - size + 1, 0)), bool)
    bad = ~prep.full_mask()
    for r0, c0, r1, c1 in boxes:
        r0, c0 = max(int(r0), 0), max(int(c0), 0)
        if r1 >= r0 and c1 >= c0:
            bad[r0 : int(r1) + 1, c0 : int(c1) + 1] = True
    sat = np.zeros((rows + 1, cols + 1), np.int32)
    np.cumsum(bad, axis=0, dtype=np.int32, out=sat[1:, 1:])
    np.cumsum(sat[1:, 1:], axis=1, out=sat[1:, 1:])
    s = size
    window = sat[s:, s:] - sat[:-s, s:] - sat[s:, :-s] + sat[:-s, :-s]
    return window == 0


def _take(prep: Prepared, res: TissueResult, r: int, c: int, size: int, rnd: int, min_unique: int) -> bool:
    patch = prep.normalised(r, r + size, c, c + size)
    nu = n_unique(patch)
    ok = nu >= min_unique
    res.audit.append((r, c, ok, "" if ok else "low variety", rnd, nu))
    if ok:
        res.patches.append(patch)
        res.positions.append((r, c))
        res.uniques.append(nu)
    return ok


def sample_tissue(prep: Prepared, boxes, params: ExtractParams, rng: np.random.Generator) -> TissueResult:
    """Draw the tissue patches of one prepared image.

    Parameters
    ----------
    prep : Prepared
        The image (see :mod:`.prepared`).
    boxes : array-like (n, 4)
        Lesion boxes (row_min, col_min, row_max, col_max), inclusive.
    params : ExtractParams
        Patch size, counts, rounds, threshold, ``exhaustive``.
    rng : numpy.random.Generator
        The image's generator (:func:`image_rng`).

    Returns
    -------
    TissueResult
    """
    boxes = np.asarray(boxes, dtype=np.int64).reshape(-1, 4)
    s, res = params.patch_size, TissueResult()
    rows, cols = prep.shape
    if rows < s or cols < s:
        res.note = f"image {rows}x{cols} is smaller than a {s}x{s} patch"
        return res
    if not prep.any_inside():
        res.note = "no breast tissue (the image is all background)"
        return res
    if params.exhaustive:
        return _exhaustive(prep, boxes, params, rng, res)
    count = 0
    for rnd in range(params.rounds):
        if count >= params.n_tissue:
            break
        # Fresh candidates every round (the published code's fixed seed repeated them).
        rr = rng.integers(0, rows - s + 1, size=params.candidates_per_round)
        cc = rng.integers(0, cols - s + 1, size=params.candidates_per_round)
        overlap = _overlaps(boxes, rr, cc, s)
        for r, c, over in zip(rr.tolist(), cc.tolist(), overlap.tolist()):
            if count >= params.n_tissue:
                break
            if not prep.inside(r, c, s):
                res.audit.append((r, c, False, "background", rnd, -1))
            elif over:
                res.audit.append((r, c, False, "lesion overlap", rnd, -1))
            else:
                count += 1  # valid: counts towards the stop, even if dropped below
                _take(prep, res, r, c, s, rnd, params.min_unique)
    if count == 0:
        res.note = f"no valid position among {params.rounds} x {params.candidates_per_round} candidates"
    return res


def _exhaustive(prep, boxes, params, rng, res):
    s = params.patch_size
    valid = valid_positions(prep, boxes, s)
    flat = np.flatnonzero(valid)
    if flat.size == 0:
        res.note = "no valid position: the breast is smaller than a patch or covered by lesion boxes"
        return res
    budget = min(flat.size, params.rounds * params.candidates_per_round)
    picks = flat[rng.choice(flat.size, size=budget, replace=False)]
    width = valid.shape[1]
    for k, p in enumerate(picks.tolist()):
        if len(res.patches) >= params.n_tissue:
            break
        _take(prep, res, p // width, p % width, s, k // params.candidates_per_round, params.min_unique)
    return res


def audit_image(image, mask, boxes, params: ExtractParams | None = None, *, seed: int = 0,
                image_id: str = "") -> pd.DataFrame:
    """Every tissue candidate of one image, accepted or rejected with its reason.

    With the ``seed`` and ``image_id`` of an extraction this replays exactly the
    candidates that extraction looked at (the viewer draws them as the paper's
    Figure 2: accepted green, rejected red).

    Parameters
    ----------
    image : ndarray (rows, cols)
        The image as loaded (:func:`~mammostudio.core.images.load_pixels`); it is
        normalised here as extraction does (a no-op on an already stretched uint8).
    mask : ndarray of bool (rows, cols) or None
        Breast mask to use instead of preprocessing's (``normalised >
        params.mask_threshold``).
    boxes : array-like (n, 4)
        Lesion boxes (row_min, col_min, row_max, col_max), inclusive.
    params : ExtractParams, optional
        Defaults to the paper's.
    seed : int
        Extraction seed.
    image_id : str
        The catalog image id (part of the image's random stream).

    Returns
    -------
    pandas.DataFrame
        Columns row, col (top-left), size, accepted (bool), reason ('' when
        accepted, else one of :data:`REASONS`), round, n_unique (-1 when the
        values were not looked at).
    """
    from .prepared import prepare

    params = params or ExtractParams()
    prep = prepare(np.asarray(image), threshold=params.mask_threshold)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != prep.shape:
            raise ValueError(f"mask shape {mask.shape} differs from image shape {prep.shape}")
        prep.mask, prep.threshold = mask.astype(bool), None
    res = sample_tissue(prep, boxes, params, image_rng(seed, image_id))
    return res.audit_frame(params.patch_size)
