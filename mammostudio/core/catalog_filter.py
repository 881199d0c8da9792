"""Which images a set of lesion and assessment choices keeps (the Browse filter panel's rules).

Lesion-level choices (type, biopsy category, pathology) must all hold for one
box of an image; image-level choices (BI-RADS, density) hold for the image.
An empty value counts as 'unknown' everywhere, so 'unknown' can be kept or
dropped like any other value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalog import LESION_TYPES

__all__ = ["lesion_filter_mask", "effective_birads"]


def effective_birads(images: pd.DataFrame, lesions: pd.DataFrame) -> pd.Series:
    """Per image: its BI-RADS class '0'..'6' (4A-4C count as '4'), else the highest of its
    boxes', else 'unknown'."""
    def cls(text) -> str:
        return str(text)[:1] if str(text)[:1].isdigit() else ""

    own = images["birads"].map(cls)
    from_boxes = lesions.assign(_c=lesions["birads"].map(cls)).query("_c != ''").groupby("image_id")["_c"].max()
    out = own.where(own != "", images["image_id"].map(from_boxes).fillna(""))
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
    parts = lesions["lesion_type"].str.split("+")
    type_ok = parts.apply(lambda ps: any(p in types or (p not in LESION_TYPES and "other" in types) for p in ps))
    ok = type_ok & lesions["status"].isin(categories)
    if pathologies is not None:
        ok &= lesions["pathology"].replace("", "unknown").isin(pathologies)
    with_ok = set(lesions.loc[ok, "image_id"])
    has_lesion = images["image_id"].isin(set(lesions["image_id"]))
    keep = np.array(images["image_id"].isin(with_ok).to_numpy(), dtype=bool)
    if normals:
        keep |= ~has_lesion.to_numpy(dtype=bool)
    if birads is not None:
        keep &= effective_birads(images, lesions).isin(birads).to_numpy(dtype=bool)
    if densities is not None:
        keep &= images["density"].replace("", "unknown").isin(densities).to_numpy(dtype=bool)
    return keep
