"""Statistics of a real-vs-generated reading study (primitives).

Conventions: the *generated* class is the positive (signal) class. For a
single-image case with confidence ``c`` in 1..K the ROC rating is ``K + c`` when
the reader answered generated and ``K + 1 - c`` when real: 1..2K, higher = more
sure it is generated. Without a confidence scale the rating is 1 (real) or
2 (generated). A 2AFC answer is correct when the reader picked the generated
image of the pair; its proportion correct estimates the ROC AUC (Green & Swets
1966) and d' = sqrt(2) z(Pc).

Methods
-------
- Accuracy CI: exact Clopper-Pearson (beta quantiles).
- Test against chance: exact two-sided binomial test (scipy.stats.binomtest).
- Equivalence to chance: two one-sided exact binomial tests (TOST) against
  0.5 - margin and 0.5 + margin; equivalent at level alpha when the 1 - 2 alpha
  Clopper-Pearson interval lies inside the margin.
- d' and criterion c (yes/no): z(H) - z(F) and -(z(H) + z(F)) / 2 with the
  log-linear correction of Hautus (1995): add 0.5 to each count, 1 to each total.
- ROC AUC: Mann-Whitney estimate (ties count 1/2) with DeLong et al. (1988)
  variance, normal 95% interval clipped to [0, 1].
- Fleiss' kappa (Fleiss 1971) on a subjects x categories count table.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = [
    "clopper_pearson",
    "binomial_p",
    "tost_equivalence",
    "dprime",
    "auc_delong",
    "fleiss_kappa",
    "score_responses",
    "verdict",
]


def clopper_pearson(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion k / n (SciPy's ``binomtest``).

    Returns (nan, nan) when ``n`` is 0 (no reading to estimate from).
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"k must be in 0..n, got k={k}, n={n}")
    ci = _st.binomtest(int(k), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def binomial_p(k: int, n: int, *, p: float = 0.5) -> float:
    """Exact two-sided binomial test of k successes in n against probability p."""
    if n <= 0:
        return math.nan
    return float(_st.binomtest(int(k), int(n), p, alternative="two-sided").pvalue)


def tost_equivalence(k: int, n: int, *, margin: float, center: float = 0.5) -> float:
    """p value of the exact TOST that the proportion lies within center +/- margin."""
    if n <= 0:
        return math.nan
    lo, hi = center - margin, center + margin
    p_low = float(_st.binom.sf(k - 1, n, lo))  # H0: p <= lo, large k rejects
    p_high = float(_st.binom.cdf(k, n, hi))  # H0: p >= hi, small k rejects
    return max(p_low, p_high)


def dprime(hits: int, n_signal: int, false_alarms: int, n_noise: int) -> tuple[float, float]:
    """Sensitivity d' and criterion c with the Hautus (1995) log-linear correction."""
    if n_signal <= 0 or n_noise <= 0:
        return (math.nan, math.nan)
    h = (hits + 0.5) / (n_signal + 1.0)
    f = (false_alarms + 0.5) / (n_noise + 1.0)
    zh, zf = _st.norm.ppf(h), _st.norm.ppf(f)
    return float(zh - zf), float(-(zh + zf) / 2.0)


def auc_delong(truth, score, *, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """ROC AUC with the DeLong variance.

    Parameters
    ----------
    truth : array of {0, 1}
        1 = positive (generated).
    score : array of float
        Higher = more likely positive (the rating).

    Returns
    -------
    auc, se, lo, hi : float
        NaN when either class is empty.
    """
    truth = np.asarray(truth, dtype=bool)
    score = np.asarray(score, dtype=np.float64)
    pos, neg = score[truth], score[~truth]
    if len(pos) == 0 or len(neg) == 0:
        return (math.nan,) * 4
    # psi(x, y) = 1 if x > y, 1/2 if tied, 0 otherwise (positives x, negatives y).
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    auc = float(psi.mean())
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    s10 = v10.var(ddof=1) if len(pos) > 1 else 0.0
    s01 = v01.var(ddof=1) if len(neg) > 1 else 0.0
    se = float(math.sqrt(s10 / len(pos) + s01 / len(neg)))
    z = _st.norm.ppf(0.5 + confidence / 2)
    return auc, se, max(0.0, auc - z * se), min(1.0, auc + z * se)


def fleiss_kappa(table) -> float:
    """Fleiss' kappa of a (subjects, categories) table of rating counts.

    Every row must sum to the same number of raters (>= 2).
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] < 1:
        raise ValueError("table must be 2-D (subjects, categories)")
    m = t.sum(axis=1)
    if np.any(m != m[0]) or m[0] < 2:
        raise ValueError("every subject needs the same number (>= 2) of ratings")
    m = m[0]
    p_j = t.sum(axis=0) / t.sum()
    p_i = ((t * t).sum(axis=1) - m) / (m * (m - 1))
    p_bar, p_e = p_i.mean(), float((p_j**2).sum())
    if p_e >= 1.0:
        return math.nan  # every rating in one category: kappa undefined
    return float((p_bar - p_e) / (1.0 - p_e))


def score_responses(raw: pd.DataFrame, config) -> pd.DataFrame:
    """Add task, truth, correctness and ROC rating columns to raw response rows."""
    df = raw.copy()
    pair = df["is_pair"].astype(bool)
    k = config.confidence_levels
    df["task"] = np.where(pair, "2afc", "single")
    df["item_id"] = np.where(pair, df["item_b"], df["item_a"])
    df["source"] = np.where(pair, df["source_b"], df["source_a"])
    df["truth"] = np.where(pair, np.where(df["swap"].astype(bool), "left", "right"), df["truth_a"])
    answered = df["answer"].notna()
    df["correct"] = (df["answer"] == df["truth"]).where(answered)
    df["truth_generated"] = (df["truth"] == "generated").astype(float).where(~pair)
    df["answer_generated"] = (df["answer"] == "generated").astype(float).where(~pair & answered)
    conf = df["confidence"].astype(float)
    if k:
        rating = np.where(df["answer_generated"] == 1, k + conf, k + 1 - conf)
    else:
        rating = df["answer_generated"] + 1
    df["rating"] = pd.Series(rating, index=df.index, dtype=float).where(~pair & answered)
    df["timed_out"] = df["timed_out"].astype(bool)
    keep = ["reader", "experience_years", "subspecialty", "session_id", "mode", "position", "case_id", "task",
            "item_id", "truth", "source", "lesion_type", "status", "answer", "confidence", "rt_ms", "timed_out",
            "shown_at", "answered_at", "answer_generated", "truth_generated", "correct", "rating"]
    return df[keep].reset_index(drop=True)


def verdict(k: int, n: int, *, margin: float, alpha: float = 0.05) -> str:
    """A plain-language verdict on k correct answers out of n.

    "Could not tell them apart" is said only when the equivalence test (TOST,
    margin around 50%) rejects; a non-significant difference alone is called
    inconclusive.
    """
    if n == 0:
        return "No answers yet."
    acc = k / n
    p = binomial_p(k, n)
    lo, hi = clopper_pearson(k, n)
    if p < alpha:
        side = "better" if acc > 0.5 else "worse"
        tail = ("" if acc > 0.5 else
                " (systematically wrong: they took one kind of image for the other)")
        return (f"Readers did {side} than chance{tail}: accuracy {acc:.1%} "
                f"(95% CI {lo:.1%} to {hi:.1%}, binomial p = {p:.3g}, n = {n}).")
    p_eq = tost_equivalence(k, n, margin=margin)
    lo90, hi90 = clopper_pearson(k, n, confidence=1 - 2 * alpha)
    if p_eq < alpha:
        return (f"Readers could not tell generated from real images apart: accuracy {acc:.1%}, and its "
                f"90% CI ({lo90:.1%} to {hi90:.1%}) lies within 50% +/- {margin:.0%} "
                f"(equivalence test p = {p_eq:.3g}, n = {n}).")
    room = max(margin - abs(acc - 0.5), 1e-3)
    need = math.ceil((_st.norm.ppf(1 - alpha) * 0.5 / room) ** 2)
    return (f"Inconclusive: accuracy {acc:.1%} is not significantly different from chance (p = {p:.3g}), "
            f"but {n} answers are too few to show it lies within 50% +/- {margin:.0%} "
            f"(90% CI {lo90:.1%} to {hi90:.1%}); if accuracy stayed near {acc:.0%}, roughly {need} answers "
            "would be needed to show that.")
