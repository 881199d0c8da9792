"""Test-set metrics of a binary lesion classifier, computed with scikit-learn."""
from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

__all__ = ["binary_metrics"]


def binary_metrics(labels: np.ndarray, scores: np.ndarray, *, threshold: float = 0.5) -> dict:
    """F1, precision, recall of the lesion class, ROC AUC, ROC curve and confusion matrix.

    Parameters
    ----------
    labels : ndarray (n,)
        1 = lesion, 0 = tissue.
    scores : ndarray (n,)
        Lesion probabilities in [0, 1].
    threshold : float
        Probability at or above which a patch is called a lesion.

    Returns
    -------
    dict
        ``f1``, ``precision``, ``recall``, ``auc`` (NaN when only one class is
        present), ``roc`` (``fpr``, ``tpr`` lists), ``confusion``
        ([[tn, fp], [fn, tp]]), ``n_pos``, ``n_neg``.
    """
    labels = np.asarray(labels).astype(int).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    if labels.shape != scores.shape:
        raise ValueError(f"labels and scores differ in length: {labels.shape} vs {scores.shape}")
    pred = (scores >= threshold).astype(int)
    both = len(np.unique(labels)) == 2
    if both:
        fpr, tpr, _ = skm.roc_curve(labels, scores)
        auc = float(skm.roc_auc_score(labels, scores))
    else:
        fpr, tpr, auc = np.array([]), np.array([]), float("nan")
    return {
        "f1": float(skm.f1_score(labels, pred, zero_division=0)),
        "precision": float(skm.precision_score(labels, pred, zero_division=0)),
        "recall": float(skm.recall_score(labels, pred, zero_division=0)),
        "auc": auc,
        "roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist()},
        "confusion": skm.confusion_matrix(labels, pred, labels=[0, 1]).tolist(),
        "n_pos": int(labels.sum()),
        "n_neg": int((labels == 0).sum()),
    }
