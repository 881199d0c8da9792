"""Which images a set of lesion and assessment choices keeps (the Browse filter panel's rules).

Lesion-level choices (type, biopsy category, pathology) must all hold for one
box of an image; image-level choices (BI-RADS, density) hold for the image.
An empty value counts as 'unknown' everywhere, so 'unknown' can be kept or
dropped like any other value.

Every rule is decided once per distinct value (an archive of 200,000 images has
a handful of lesion types, BI-RADS texts and densities) and spread to the rows
with integer codes. :func:`filter_catalog` runs the acquisition filter and these
choices together and returns every count the panel shows; it is plain pandas,
safe on a worker thread.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import LESION_TYPES

__all__ = ["lesion_filter_mask", "effective_birads", "filter_catalog", "FilterOutcome"]


def _per_value(col: pd.Series, decide) -> np.ndarray:
    """``decide(value)`` for each row of ``col``, called once per distinct value (NaN as '')."""
    codes, uniques = pd.factorize(col.astype(object).where(col.notna(), ""))
    if not len(uniques):
        return np.zeros(len(col), dtype=object)
    out = np.array([decide(u) for u in uniques] + [decide("")], dtype=object)
    return out[np.asarray(codes)]


def _birads_class(text) -> str:
    return str(text)[:1] if str(text)[:1].isdigit() else ""


def effective_birads(images: pd.DataFrame, lesions: pd.DataFrame) -> pd.Series:
    """Per image: its BI-RADS class '0'..'6' (4A-4C count as '4'), else the highest of its
    boxes', else 'unknown'."""
    own = pd.Series(_per_value(images["birads"], _birads_class), index=images.index)
    # the boxes' classes as integers (-1: none): a grouped max of ints runs in C, of strings in Python
    cls = _per_value(lesions["birads"], lambda t: int(_birads_class(t) or -1)).astype(np.int64) \
        if len(lesions) else np.zeros(0, np.int64)
    has = cls >= 0
    from_boxes = pd.Series(cls[has], index=lesions["image_id"].to_numpy()[has]).groupby(level=0).max().astype(str) \
        if has.any() else pd.Series(dtype=object)
    out = own.where(own != "", images["image_id"].map(from_boxes).astype(object).fillna(""))
    return out.replace("", "unknown")


def lesion_filter_mask(images: pd.DataFrame, lesions: pd.DataFrame, *, types: set[str], categories: set[str],
                       normals: bool, pathologies: set[str] | None = None, birads: set[str] | None = None,
                       densities: set[str] | None = None) -> np.ndarray:
    """Bool per image row: kept by the lesion and assessment choices.

    Parameters
    ----------
    images, lesions : pandas.DataFrame
        Catalog tables.
    types : set of str
        Lesion types kept (any part of a combined type counts); 'other' keeps
        types outside :data:`~mammostudio.core.catalog.LESION_TYPES`.
    categories : set of str
        Biopsy categories kept ('B1'..'B5', '' for unknown).
    normals : bool
        Keep images without any box.
    pathologies : set of str, optional
        'benign', 'malignant', 'unknown' (also blank); None keeps all.
    birads : set of str, optional
        '0'..'6', 'unknown'; compared with :func:`effective_birads`; None keeps all.
    densities : set of str, optional
        'A'..'D', 'unknown'; None keeps all.

    Returns
    -------
    numpy.ndarray of bool, one per image row: an image with at least one box
    passing every lesion choice, or a box-free image when ``normals``, and in
    both cases passing the image choices.
    """
    def type_kept(text) -> bool:
        return any(p in types or (p not in LESION_TYPES and "other" in types) for p in str(text).split("+"))

    ok = _per_value(lesions["lesion_type"], type_kept).astype(bool) & lesions["status"].isin(categories).to_numpy()
    if pathologies is not None:
        ok &= _per_value(lesions["pathology"], lambda v: (v or "unknown") in pathologies).astype(bool)
    ids = images["image_id"]
    keep = np.array(ids.isin(lesions["image_id"].to_numpy()[ok]), dtype=bool)  # a writable copy
    if normals:
        keep |= ~ids.isin(lesions["image_id"].to_numpy()).to_numpy(dtype=bool)
    if birads is not None:
        keep &= effective_birads(images, lesions).isin(birads).to_numpy(dtype=bool)
    if densities is not None:
        keep &= _per_value(images["density"], lambda v: (v or "unknown") in densities).astype(bool)
    return keep


@dataclass
class FilterOutcome:
    """What :func:`filter_catalog` kept, with the counts the filter panel shows.

    Attributes
    ----------
    kept_ids : frozenset of str
        Image ids kept by every filter.
    acquisition_on : bool
        Whether the acquisition filter was applied.
    report : FilterReport or None
        The acquisition filter's report (None when not applied).
    error : str
        Why the acquisition filter was not applied although switched on ('' when it was).
    by_lesions : int
        Images the lesion choices remove after the acquisition filter.
    n_images, with_lesion, patients : int
        All images; kept images with a box; distinct patients kept.
    """

    kept_ids: frozenset
    acquisition_on: bool
    report: object
    error: str
    by_lesions: int
    n_images: int
    with_lesion: int
    patients: int

    @property
    def n_kept(self) -> int:
        """Images kept."""
        return len(self.kept_ids)


def filter_catalog(images: pd.DataFrame, lesions: pd.DataFrame, *, acquisition=None, acquisition_on=None,
                   acquisition_error: str = "", wrong=frozenset(), **choices) -> FilterOutcome:
    """Apply the acquisition filter and the lesion choices (no Qt; any thread).

    Parameters
    ----------
    images, lesions : pandas.DataFrame
        Catalog tables (lesions marked wrong included; ``wrong`` drops them).
    acquisition : AcquisitionFilter or None
        The acquisition criteria (None: they could not be read, see ``acquisition_error``).
    acquisition_on : bool or None
        Apply the acquisition filter; None decides from the data (on when any image
        records a manufacturer: a newly opened dataset).
    acquisition_error : str
        Why ``acquisition`` is None (reported back when the filter is on).
    wrong : set of str
        Lesion uids marked wrong (ignored by the lesion choices).
    **choices
        Keyword arguments of :func:`lesion_filter_mask`.
    """
    if acquisition_on is None:
        acquisition_on = bool((images["manufacturer"].astype(object).fillna("") != "").any())
    keep = np.ones(len(images), bool)
    report, error = None, ""
    if acquisition_on:
        if acquisition is None:
            error = acquisition_error or "no acquisition criteria"
        else:
            try:
                report = acquisition.apply(images)
            except (ValueError, TypeError) as exc:
                error = str(exc)
            else:
                keep &= report.kept.to_numpy(dtype=bool)
    if wrong:
        lesions = lesions[~lesions["lesion_uid"].isin(wrong)]
    lmask = lesion_filter_mask(images, lesions, **choices)
    by_lesions = int((keep & ~lmask).sum())
    keep &= lmask
    ids = images["image_id"].to_numpy()[keep]
    with_lesion = int(pd.Index(ids).isin(lesions["image_id"].to_numpy()).sum())
    patients = int(pd.unique(images["patient_id"].to_numpy()[keep]).size)
    return FilterOutcome(kept_ids=frozenset(ids.tolist()), acquisition_on=acquisition_on, report=report, error=error,
                         by_lesions=by_lesions, n_images=len(images), with_lesion=with_lesion, patients=patients)
