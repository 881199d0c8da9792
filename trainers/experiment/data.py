"""The experiment's inputs: positive (lesion) and negative (tissue) stacks with patients."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mammostudio.core.patches import load_patches

__all__ = ["ExperimentData", "load_experiment_data", "positive_mask"]


@dataclass
class ExperimentData:
    """Stacks (n, size, size) uint8 and the patient of every patch."""

    positives: np.ndarray
    negatives: np.ndarray
    pos_patients: np.ndarray
    neg_patients: np.ndarray
    source: str
    grouped: bool

    def counts(self) -> dict:
        """Plain counts for the report."""
        return {"positives": int(len(self.positives)), "negatives": int(len(self.negatives)),
                "positive_patients": int(len(np.unique(self.pos_patients))),
                "negative_patients": int(len(np.unique(self.neg_patients))),
                "grouped_by_patient": self.grouped}


def _patients(index, prefix: str) -> tuple[np.ndarray, bool]:
    if "patient_id" in index.columns and (index["patient_id"].astype(str) != "").all():
        return index["patient_id"].astype(str).to_numpy(), True
    # A plain PNG folder has no provenance: each patch is its own group.
    return np.array([f"{prefix}{i}" for i in range(len(index))], dtype=str), False


def positive_mask(types, lesion_types: tuple[str, ...], match: str = "exact") -> np.ndarray:
    """Which lesion types are positives: ``'exact'`` (the type is one of ``lesion_types``)
    or ``'contains'`` (a part of a ``+``-combined type is)."""
    wanted = {t.strip().lower() for t in lesion_types}
    if match == "exact":
        return np.array([str(t).strip().lower() in wanted for t in types], dtype=bool)
    if match == "contains":
        return np.array([any(p.strip().lower() in wanted for p in str(t).split("+")) for t in types], dtype=bool)
    raise ValueError(f"match: expected 'exact' or 'contains', got {match!r}")


def load_experiment_data(folder: str | os.PathLike, *, size: int, lesion_types: tuple[str, ...] = ("mass",),
                         match: str = "exact") -> ExperimentData:
    """Load a patch dataset's lesion patches of ``lesion_types`` and its tissue patches.

    ``match='exact'`` (the paper: masses only) keeps a patch whose type is one
    of ``lesion_types``; ``'contains'`` also keeps combined types such as
    ``mass+calcification``.

    Raises
    ------
    ValueError
        If the folder holds no matching lesion patches or no tissue patches.
    """
    folder = Path(folder)
    pos, pos_index = load_patches(folder, "lesion", size=size)
    if lesion_types and "lesion_type" in pos_index.columns:
        keep = positive_mask(pos_index["lesion_type"].astype(str), lesion_types, match)
        pos, pos_index = pos[np.flatnonzero(keep)], pos_index[keep].reset_index(drop=True)
    neg, neg_index = load_patches(folder, "tissue", size=size)
    if len(pos) == 0:
        raise ValueError(f"{folder}: no lesion patches of type {'/'.join(lesion_types)} to use as positives")
    if len(neg) == 0:
        raise ValueError(f"{folder}: no tissue patches to use as negatives")
    pos_p, g1 = _patients(pos_index, "lesion-")
    neg_p, g2 = _patients(neg_index, "tissue-")
    return ExperimentData(np.asarray(pos), np.asarray(neg), pos_p, neg_p, str(folder), g1 and g2)
