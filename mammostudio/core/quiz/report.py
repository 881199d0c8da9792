"""Study-level results: per reader, pooled, per generator, per case, over time.

Built from :meth:`QuizStore.responses` rows (see :mod:`.stats` for the methods).
The pooled row treats every answer as independent, which ignores the
correlation of answers within a reader and within a case; for a
generalisable multi-reader multi-case inference export to iMRMC or MRMCaov
(:mod:`.export`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .stats import auc_delong, binomial_p, clopper_pearson, dprime, fleiss_kappa, tost_equivalence, verdict

__all__ = ["StudyResults", "reader_summary", "summarise", "learning_curve", "kappa_on_shared_cases"]


@dataclass
class StudyResults:
    """Every table of the results view and the Excel report."""

    per_reader: pd.DataFrame  # one row per reader + 'ALL' (pooled)
    per_generator: pd.DataFrame
    per_case: pd.DataFrame
    learning: pd.DataFrame
    response_times: pd.DataFrame
    kappa: dict
    verdict: str
    roc: dict  # reader -> (fpr, tpr) arrays for plotting


def reader_summary(df: pd.DataFrame, *, margin: float) -> dict:
    """Statistics of one reader's (or the pooled) answered cases."""
    df = df[~df["timed_out"]]
    n, k = len(df), int(df["correct"].sum()) if len(df) else 0
    lo, hi = clopper_pearson(k, n)
    out = {"n": n, "correct": k, "accuracy": k / n if n else math.nan, "acc_lo": lo, "acc_hi": hi,
           "p_vs_chance": binomial_p(k, n), "p_equivalence": tost_equivalence(k, n, margin=margin)}
    single = df[df["task"] == "single"]
    if len(single):
        gen, real = single[single["truth_generated"] == 1], single[single["truth_generated"] == 0]
        hits, fas = int(gen["answer_generated"].sum()), int(real["answer_generated"].sum())
        correct_rejections = len(real) - fas
        out["sensitivity"] = hits / len(gen) if len(gen) else math.nan
        out["sens_lo"], out["sens_hi"] = clopper_pearson(hits, len(gen))
        out["specificity"] = correct_rejections / len(real) if len(real) else math.nan
        out["spec_lo"], out["spec_hi"] = clopper_pearson(correct_rejections, len(real))
        out["dprime"], out["criterion"] = dprime(hits, len(gen), fas, len(real))
        auc, se, alo, ahi = auc_delong(single["truth_generated"], single["rating"])
        out.update(auc=auc, auc_se=se, auc_lo=alo, auc_hi=ahi)
    elif n:
        pc = (k + 0.5) / (n + 1.0) if k in (0, n) else k / n
        from scipy.stats import norm

        out.update(dprime=float(math.sqrt(2.0) * norm.ppf(pc)), criterion=math.nan,
                   auc=k / n, auc_lo=lo, auc_hi=hi)
    rt = df.groupby("correct")["rt_ms"].median() if n else pd.Series(dtype=float)
    out["rt_median_correct_ms"] = float(rt.get(True, math.nan))
    out["rt_median_wrong_ms"] = float(rt.get(False, math.nan))
    out["timed_out"] = 0
    return out


def _roc_points(truth, rating) -> tuple[np.ndarray, np.ndarray]:
    truth, rating = np.asarray(truth, bool), np.asarray(rating, float)
    thresholds = np.unique(rating)[::-1]
    tpr = [0.0] + [float((rating[truth] >= t).mean()) for t in thresholds]
    fpr = [0.0] + [float((rating[~truth] >= t).mean()) for t in thresholds]
    return np.array(fpr), np.array(tpr)


def learning_curve(df: pd.DataFrame, *, block: int = 10) -> pd.DataFrame:
    """Accuracy in consecutive blocks of ``block`` cases of each training session.

    Columns: reader, session_id, block, first_position, n, accuracy, cumulative_accuracy.
    """
    rows = []
    train = df[(df["mode"] == "training") & ~df["timed_out"]]
    for (reader, sid), g in train.groupby(["reader", "session_id"], sort=False):
        g = g.sort_values("position")
        correct = g["correct"].astype(float).to_numpy()
        for b, start in enumerate(range(0, len(g), block)):
            part = correct[start : start + block]
            rows.append({"reader": reader, "session_id": sid, "block": b + 1,
                         "first_position": int(g["position"].iloc[start]) + 1, "n": len(part),
                         "accuracy": float(part.mean()), "cumulative_accuracy": float(correct[: start + len(part)].mean())})
    return pd.DataFrame(rows, columns=["reader", "session_id", "block", "first_position", "n", "accuracy",
                                       "cumulative_accuracy"])


def kappa_on_shared_cases(df: pd.DataFrame) -> dict:
    """Fleiss' kappa over assessment cases read by the same number (>= 2) of readers.

    Categories: the answer (real / generated) for single images; correct / wrong
    for 2AFC (sides are shuffled per reader, so the side itself is not comparable).
    """
    a = df[(df["mode"] == "assessment") & ~df["timed_out"]]
    if a.empty:
        return {"kappa": math.nan, "n_cases": 0, "n_readers": 0}
    cat = np.where(a["task"] == "single", a["answer"].astype(str), np.where(a["correct"] == True, "correct", "wrong"))  # noqa: E712
    a = a.assign(category=cat)
    counts = a.groupby("case_id")["reader"].nunique()
    if counts.max() < 2:
        return {"kappa": math.nan, "n_cases": 0, "n_readers": int(counts.max())}
    m = int(counts[counts >= 2].mode().max())
    shared = counts[counts == m].index
    table = pd.crosstab(a[a["case_id"].isin(shared)]["case_id"], a[a["case_id"].isin(shared)]["category"])
    return {"kappa": fleiss_kappa(table.to_numpy()), "n_cases": len(shared), "n_readers": m}


def summarise(df: pd.DataFrame, *, margin: float, mode: str = "assessment", block: int = 10) -> StudyResults:
    """Every result table of a study from its scored responses.

    Parameters
    ----------
    df : DataFrame
        :meth:`QuizStore.responses`.
    margin : float
        Equivalence margin around 50% accuracy for the verdict.
    mode : {'assessment', 'training'}
        Which pool the accuracy tables describe (the learning curve always uses training).
    """
    sel = df[df["mode"] == mode]
    rows = []
    for reader, g in sel.groupby("reader", sort=True):
        r = reader_summary(g, margin=margin)
        r["timed_out"] = int(g["timed_out"].sum())
        rows.append({"reader": reader, **r})
    pooled = reader_summary(sel, margin=margin)
    pooled["timed_out"] = int(sel["timed_out"].sum())
    rows.append({"reader": "ALL", **pooled})
    per_reader = pd.DataFrame(rows)

    answered = sel[~sel["timed_out"]]
    gen_rows = []
    for source, g in answered[answered["source"] != "real"].groupby("source"):
        single = g["task"].eq("single").all()
        fooled = int((g["answer"] == "real").sum()) if single else int((~g["correct"].astype(bool)).sum())
        lo, hi = clopper_pearson(fooled, len(g))
        row = {"generator": source, "n": len(g), "fooled": fooled, "fool_rate": fooled / len(g),
               "fool_lo": lo, "fool_hi": hi}
        if single:
            both = pd.concat([g, answered[answered["truth"] == "real"]])
            row["auc_vs_real"], _, row["auc_lo"], row["auc_hi"] = auc_delong(both["truth_generated"], both["rating"])
        gen_rows.append(row)
    per_generator = pd.DataFrame(gen_rows, columns=["generator", "n", "fooled", "fool_rate", "fool_lo", "fool_hi",
                                                    "auc_vs_real", "auc_lo", "auc_hi"])

    gen_cases = answered[answered["source"] != "real"].assign(
        fooled=lambda d: np.where(d["task"] == "single", d["answer"] == "real", d["correct"] == False))  # noqa: E712
    per_case = (gen_cases.groupby(["item_id", "source"], as_index=False)
                .agg(n=("fooled", "size"), fooled=("fooled", "sum"), mean_rating=("rating", "mean"))
                .assign(fool_rate=lambda d: d["fooled"] / d["n"])
                .sort_values(["fool_rate", "n"], ascending=[False, False], ignore_index=True))

    rt = (answered.groupby(["reader", "correct"])["rt_ms"]
          .agg(n="size", median_ms="median", q1_ms=lambda s: s.quantile(0.25), q3_ms=lambda s: s.quantile(0.75))
          .reset_index())

    roc = {}
    for reader, g in answered[answered["task"] == "single"].groupby("reader"):
        if g["truth_generated"].nunique() == 2:
            roc[reader] = _roc_points(g["truth_generated"] == 1, g["rating"])
    text = verdict(int(pooled["correct"]), int(pooled["n"]), margin=margin)
    if len(per_reader) > 2:
        text += " Pooled over readers; see iMRMC/MRMCaov exports for reader-and-case random effects."
    return StudyResults(per_reader, per_generator, per_case, learning_curve(df, block=block), rt,
                        kappa_on_shared_cases(df), text, roc)
