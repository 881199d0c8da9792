"""Patient-grouped folds and nested subsets for the augmentation experiment.

Each fold holds out about a third of the positive patches as test, chosen by
patient so that no patient's patches fall on both sides (the paper is silent
on this; real studies need it). A validation set of ``val_fraction`` of the
positives is taken from the remaining patients the same way. Training
positives are put in one seeded random order per fold, and P_k is its first
k entries, so P_100 is inside P_250 and so on; negatives likewise give
N_k = IR x k from the fold's training part of the tissue pool.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FoldSplit", "make_folds", "assign_patient_folds"]


@dataclass(frozen=True)
class FoldSplit:
    """Index arrays (into the positive and the negative stacks) of one fold.

    ``train_pos`` and ``train_neg`` are in their nested order: the first k
    entries are P_k (and the first IR x k are N_k).
    """

    fold: int
    train_pos: np.ndarray
    val_pos: np.ndarray
    test_pos: np.ndarray
    train_neg: np.ndarray
    val_neg: np.ndarray
    test_neg: np.ndarray

    def positives(self, k: int) -> np.ndarray:
        """P_k: the first ``k`` training positives (ValueError when too few)."""
        if k > len(self.train_pos):
            raise ValueError(f"k={k}: fold {self.fold} has only {len(self.train_pos)} training positives")
        return self.train_pos[:k]

    def negatives(self, n: int) -> np.ndarray:
        """N: the first ``n`` training negatives (ValueError when too few)."""
        if n > len(self.train_neg):
            raise ValueError(f"{n} negatives asked for: fold {self.fold} has only {len(self.train_neg)} training tissue patches")
        return self.train_neg[:n]


def assign_patient_folds(pos_patients, neg_patients, folds: int, rng: np.random.Generator) -> dict[str, int]:
    """Give each patient a fold, balancing positive patches (then all patches).

    Patients are visited in random order, largest positive count first. One
    with positives goes to the fold with the fewest positives so far (ties:
    fewest patches); one with tissue patches only goes to the fold with the
    fewest tissue patches, so both classes split evenly.
    """
    pos_patients, neg_patients = np.asarray(pos_patients, dtype=str), np.asarray(neg_patients, dtype=str)
    patients = np.unique(np.concatenate([pos_patients, neg_patients]))
    n_pos = {p: 0 for p in patients}
    n_all = {p: 0 for p in patients}
    for p in pos_patients:
        n_pos[p] += 1
        n_all[p] += 1
    for p in neg_patients:
        n_all[p] += 1
    order = rng.permutation(len(patients))
    order = sorted(order, key=lambda i: -n_pos[patients[i]])  # stable: random among equals
    load_pos, load_neg = np.zeros(folds), np.zeros(folds)
    out: dict[str, int] = {}
    for i in order:
        p = patients[i]
        keys = (load_neg, load_pos) if n_pos[p] else (load_pos, load_neg)  # last key is primary
        f = int(np.lexsort((np.arange(folds),) + keys)[0])
        out[p] = f
        load_pos[f] += n_pos[p]
        load_neg[f] += n_all[p] - n_pos[p]
    return out


def _split_val(patients: np.ndarray, pos_patients: np.ndarray, target: int,
               rng: np.random.Generator) -> set[str]:
    """Random patients of ``patients`` whose positives add up to about ``target``."""
    chosen, count = set(), 0
    counts = {p: int((pos_patients == p).sum()) for p in patients}
    for p in patients[rng.permutation(len(patients))]:
        if count >= target:
            break
        if counts[p] == 0:
            continue
        chosen.add(p)
        count += counts[p]
    # Patients without positives join validation in the same proportion.
    neutral = [p for p in patients if counts[p] == 0]
    take = int(round(len(neutral) * target / max(1, sum(counts.values()))))
    chosen.update(rng.permutation(np.asarray(neutral, dtype=str))[:take].tolist())
    return chosen


def make_folds(pos_patients, neg_patients, *, folds: int = 3, val_fraction: float = 0.066,
               tissue_pool: int | None = None, seed: int = 0) -> list[FoldSplit]:
    """Patient-grouped folds with validation sets and nested training orders.

    Parameters
    ----------
    pos_patients : array-like of str (n_pos,)
        Patient of every positive (lesion) patch.
    neg_patients : array-like of str (n_neg,)
        Patient of every tissue patch.
    folds : int
        Number of folds; each holds out about 1/folds of the positives as test.
    val_fraction : float
        Fraction of *all* positives used for validation (paper: 6.6%).
    tissue_pool : int, optional
        Draw this many tissue patches once (paper: 22,000) before splitting.
    seed : int
        Fixes every random choice.

    Returns
    -------
    list of FoldSplit
    """
    pos_patients = np.asarray(pos_patients, dtype=str)
    neg_patients = np.asarray(neg_patients, dtype=str)
    rng = np.random.default_rng(seed)
    neg_pool = np.arange(len(neg_patients))
    if tissue_pool is not None and tissue_pool < len(neg_pool):
        neg_pool = np.sort(rng.choice(neg_pool, size=tissue_pool, replace=False))
    fold_of = assign_patient_folds(pos_patients, neg_patients[neg_pool], folds, rng)
    pos_fold = np.array([fold_of[p] for p in pos_patients], dtype=int)
    neg_fold = np.array([fold_of[p] for p in neg_patients[neg_pool]], dtype=int)
    out = []
    for f in range(folds):
        fold_rng = np.random.default_rng([seed, f])
        rest = np.array(sorted(p for p, g in fold_of.items() if g != f), dtype=str)
        val_patients = _split_val(rest, pos_patients, int(round(val_fraction * len(pos_patients))), fold_rng)
        pos_val = np.isin(pos_patients, list(val_patients)) & (pos_fold != f)
        neg_val = np.isin(neg_patients[neg_pool], list(val_patients)) & (neg_fold != f)
        train_pos = np.flatnonzero((pos_fold != f) & ~pos_val)
        train_neg = neg_pool[(neg_fold != f) & ~neg_val]
        out.append(FoldSplit(
            fold=f,
            train_pos=fold_rng.permutation(train_pos),
            val_pos=np.flatnonzero(pos_val),
            test_pos=np.flatnonzero(pos_fold == f),
            train_neg=fold_rng.permutation(train_neg),
            val_neg=neg_pool[neg_val],
            test_neg=neg_pool[neg_fold == f],
        ))
    return out
