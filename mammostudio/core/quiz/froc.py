"""FROC statistics of a detection reading study (Chakraborty 2017; RJafroc's definitions).

Terms (``/work/shared/docs/froc.md``, README "Detection reading studies"):

- A **case** holds K1 normal and K2 abnormal cases; abnormal case k holds L_k >= 1 lesions.
- A mark that meets the acceptance criterion for a lesion is a **lesion localisation (LL)**;
  every other mark is a **non-lesion localisation (NL)**. Two marks on one lesion: the higher
  rating is the LL, the other one counts as an NL (:func:`mammostudio.core.quiz.detect.score_marks`).
- Unmarked lesions, and cases without an NL, get the rating minus infinity.
- LLF = LLs / lesions, NLF = NLs / cases; FROC: LLF vs NLF as the threshold falls; AFROC: LLF vs
  the fraction of normal cases whose highest NL exceeds the threshold.

Figures of merit, with psi(x, y) = 1 if y > x, 0.5 if y == x, 0 if y < x and FP_k1 the highest NL
rating on normal case k1:

- AFROC: theta = sum over k1, k, l of psi(FP_k1, LL_kl) / (K1 * L_T);
- wAFROC: theta = sum over k1, k, l of W_kl psi(FP_k1, LL_kl) / (K1 * K2), weights summing to 1
  per abnormal case (equal by default). NLs on abnormal cases enter neither.

Case jackknife: pseudovalue_i = K theta - (K - 1) theta_(i); SE = sd(pseudovalues, ddof 1) / sqrt(K).
The pooled figure of merit is the mean of the readers' (fixed readers, random cases); its
pseudovalues are the means of the readers' pseudovalues. For readers as a random sample too,
export the RJafroc workbook and run DBM or ORH there.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _st

__all__ = ["CaseRatings", "ReaderRatings", "psi", "fp_of", "afroc_theta", "wafroc_theta", "jackknife",
           "llf_nlf", "froc_points", "afroc_points", "FomEstimate", "pooled_jackknife"]

NEG_INF = -math.inf


@dataclass(frozen=True)
class CaseRatings:
    """One reader's ratings on one case.

    Parameters
    ----------
    nl : tuple of float
        Ratings of the non-lesion localisations on the case.
    ll : tuple of float
        One rating per lesion (minus infinity when unmarked); empty for a normal case.
    weights : tuple of float, optional
        Lesion weights (sum 1); default equal.
    """

    nl: tuple[float, ...] = ()
    ll: tuple[float, ...] = ()
    weights: tuple[float, ...] | None = None

    @property
    def normal(self) -> bool:
        """True when the case holds no lesion."""
        return len(self.ll) == 0

    def lesion_weights(self) -> np.ndarray:
        """The weights, equal (1 / L_k) unless given."""
        if self.weights is None:
            return np.full(len(self.ll), 1.0 / max(len(self.ll), 1))
        w = np.asarray(self.weights, float)
        if len(w) != len(self.ll) or not math.isclose(float(w.sum()), 1.0, abs_tol=1e-9):
            raise ValueError("lesion weights must be one per lesion and sum to 1")
        return w


ReaderRatings = list[CaseRatings]  # one reader, cases in a fixed order shared by all readers


def psi(x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray:
    """1 if y > x, 0.5 if y == x (minus infinity ties included), 0 if y < x (elementwise)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return np.where(y > x, 1.0, np.where(y == x, 0.5, 0.0))


def fp_of(case: CaseRatings) -> float:
    """The highest NL rating on a case (minus infinity if none)."""
    return max(case.nl) if case.nl else NEG_INF


def _split(cases: ReaderRatings) -> tuple[np.ndarray, list[CaseRatings]]:
    fps = np.array([fp_of(c) for c in cases if c.normal], float)
    abnormal = [c for c in cases if not c.normal]
    if len(fps) == 0 or not abnormal:
        raise ValueError("the figure of merit needs at least one normal and one abnormal case")
    return fps, abnormal


def wafroc_theta(cases: ReaderRatings) -> float:
    """The wAFROC figure of merit of one reader (see the module docstring)."""
    fps, abnormal = _split(cases)
    total = 0.0
    for c in abnormal:
        ll, w = np.asarray(c.ll, float), c.lesion_weights()
        total += float((psi(fps[:, None], ll[None, :]) * w[None, :]).sum())
    return total / (len(fps) * len(abnormal))


def afroc_theta(cases: ReaderRatings) -> float:
    """The AFROC figure of merit of one reader (lesions counted equally)."""
    fps, abnormal = _split(cases)
    ll = np.concatenate([np.asarray(c.ll, float) for c in abnormal])
    return float(psi(fps[:, None], ll[None, :]).sum()) / (len(fps) * len(ll))


_FOMS = {"wAFROC": wafroc_theta, "AFROC": afroc_theta}


@dataclass
class FomEstimate:
    """A figure of merit with its case-jackknife pseudovalues, SE and 95% interval."""

    theta: float
    pseudovalues: np.ndarray = field(repr=False)
    se: float
    lo: float
    hi: float


def _interval(theta: float, pseudo: np.ndarray) -> FomEstimate:
    k = len(pseudo)
    if k < 2 or not np.isfinite(pseudo).all():
        return FomEstimate(theta, pseudo, math.nan, math.nan, math.nan)
    se = float(np.std(pseudo, ddof=1) / math.sqrt(k))
    # t with K - 1 degrees of freedom (cases are the random factor).
    half = float(_st.t.ppf(0.975, k - 1)) * se
    return FomEstimate(theta, pseudo, se, max(0.0, theta - half), min(1.0, theta + half))


def jackknife(cases: ReaderRatings, fom: str = "wAFROC") -> FomEstimate:
    """Case-jackknife pseudovalues and standard error of one reader's figure of merit.

    Parameters
    ----------
    cases : list of CaseRatings
    fom : {'wAFROC', 'AFROC'}

    Returns
    -------
    FomEstimate
        ``pseudovalues[i] = K theta - (K - 1) theta_without_case_i``; SE = sd / sqrt(K);
        95% interval theta +- t(0.975, K - 1) SE, clipped to [0, 1]. With fewer than two
        normal or two abnormal cases the pseudovalues, SE and interval are NaN.
    """
    f = _FOMS[fom]
    theta = f(cases)
    k = len(cases)
    n_normal = sum(c.normal for c in cases)
    if n_normal < 2 or k - n_normal < 2:
        # Leaving out the only normal (or abnormal) case leaves no figure of merit: no jackknife.
        return _interval(theta, np.full(k, math.nan))
    pseudo = np.array([k * theta - (k - 1) * f(cases[:i] + cases[i + 1 :]) for i in range(k)])
    return _interval(theta, pseudo)


def pooled_jackknife(readers: list[ReaderRatings], fom: str = "wAFROC") -> FomEstimate:
    """Reader-averaged figure of merit over the same cases, with case-jackknife pseudovalues.

    Every reader must have rated the same cases in the same order.
    """
    if not readers:
        raise ValueError("no readers")
    k = len(readers[0])
    if any(len(r) != k for r in readers):
        raise ValueError("every reader must rate the same cases for the pooled figure of merit")
    each = [jackknife(r, fom) for r in readers]
    theta = float(np.mean([e.theta for e in each]))
    pseudo = np.mean([e.pseudovalues for e in each], axis=0)
    return _interval(theta, pseudo)


def llf_nlf(cases: ReaderRatings, threshold: float = NEG_INF) -> tuple[float, float]:
    """LLF and NLF counting marks rated above ``threshold`` (default: every mark)."""
    n_les = sum(len(c.ll) for c in cases)
    ll = sum(1 for c in cases for r in c.ll if r > threshold)
    nl = sum(1 for c in cases for r in c.nl if r > threshold)
    return (ll / n_les if n_les else math.nan), nl / len(cases)


def _thresholds(cases: ReaderRatings) -> list[float]:
    marks = {r for c in cases for r in (*c.nl, *c.ll) if r > NEG_INF}
    return sorted(marks, reverse=True)


def froc_points(cases: ReaderRatings) -> tuple[np.ndarray, np.ndarray]:
    """Empirical FROC operating points (NLF, LLF) from (0, 0) as the rating threshold falls."""
    pts = [(0.0, 0.0)] + [llf_nlf(cases, t - 1e-9)[::-1] for t in _thresholds(cases)]
    nlf, llf = zip(*pts)
    return np.array(nlf), np.array(llf)


def afroc_points(cases: ReaderRatings) -> tuple[np.ndarray, np.ndarray]:
    """Empirical AFROC points (FPF on normal cases, LLF) from (0, 0) to (1, 1)."""
    fps, _ = _split(cases)
    fpf, llf = [0.0], [0.0]
    for t in _thresholds(cases):
        f = float((fps >= t).mean())
        ll = llf_nlf(cases, t - 1e-9)[0]
        fpf.append(f)
        llf.append(ll)
    fpf.append(1.0)
    llf.append(1.0)
    return np.array(fpf), np.array(llf)
