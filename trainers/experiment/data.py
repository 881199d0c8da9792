"""The experiment's inputs: positive (lesion) and negative (tissue) stacks with patients."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mammostudio.core.patches import load_patches

__all__ = ["ExperimentData", "load_experiment_data"]


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


def load_experiment_data(folder: str | os.PathLike, *, size: int,
                         lesion_types: tuple[str, ...] = ("mass",)) -> ExperimentData:
    """Load a patch dataset's lesion patches of ``lesion_types`` and its tissue patches.

    Raises
    ------
    ValueError
        If the folder holds no matching lesion patches or no tissue patches.
    """
    folder = Path(folder)
    pos, pos_index = load_patches(folder, "lesion", size=size)
    if lesion_types and "lesion_type" in pos_index.columns:
        types = pos_index["lesion_type"].astype(str)
        keep = types.apply(lambda t: any(w in t.split("+") for w in lesion_types)).to_numpy()
        pos, pos_index = pos[np.flatnonzero(keep)], pos_index[keep].reset_index(drop=True)
    neg, neg_index = load_patches(folder, "tissue", size=size)
    if len(pos) == 0:
        raise ValueError(f"{folder}: no lesion patches of type {'/'.join(lesion_types)} to use as positives")
    if len(neg) == 0:
        raise ValueError(f"{folder}: no tissue patches to use as negatives")
    pos_p, g1 = _patients(pos_index, "lesion-")
    neg_p, g2 = _patients(neg_index, "tissue-")
    return ExperimentData(np.asarray(pos), np.asarray(neg), pos_p, neg_p, str(folder), g1 and g2)
