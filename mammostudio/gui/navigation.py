"""Next / previous image and study in the browser's order (pure functions, no Qt)."""
from __future__ import annotations

import pandas as pd

__all__ = ["neighbour_image", "neighbour_study"]


def neighbour_image(ids: list[str], current: str, step: int) -> str:
    """The id ``step`` places after ``current`` in ``ids`` (clamped; first id when ``current`` is absent)."""
    if not ids:
        return ""
    if current not in ids:
        return ids[0]
    return ids[min(max(ids.index(current) + step, 0), len(ids) - 1)]


def neighbour_study(ids: list[str], images: pd.DataFrame, current: str, step: int) -> str:
    """First image (in ``ids`` order) of the study ``step`` studies after the current one."""
    if not ids:
        return ""
    study_of = dict(zip(images["image_id"], images["study_id"]))
    studies: list[str] = []
    first: dict[str, str] = {}
    for iid in ids:
        s = study_of.get(iid, "")
        if s not in first:
            first[s] = iid
            studies.append(s)
    here = study_of.get(current)
    if here not in first:
        return ids[0]
    i = min(max(studies.index(here) + step, 0), len(studies) - 1)
    return first[studies[i]]
