"""Results of a detection study: scored marks, FROC statistics, simulated vs real lesions.

Only cases a reader finished count; damaged cases are left out with a warning
(:attr:`QuizStore.warnings`). The pooled figure of merit uses the cases every listed
reader finished (fixed readers, random cases; :mod:`.froc`). The simulated-vs-real
comparison pools every reading of every lesion and treats them as independent (Fisher's
exact test): a screen for "are simulated lesions as conspicuous as real ones?", not a
multi-reader inference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _st

from .detect_score import Mark, score_marks
from .detect_session import case_truth
from .froc import CaseRatings, afroc_points, afroc_theta, froc_points, jackknife, llf_nlf, pooled_jackknife
from .stats import clopper_pearson

__all__ = ["DetectionResults", "damaged_cases", "scored_marks", "lesion_readings", "reader_ratings", "summarise_detection"]


def _finished(store, mode: str) -> pd.DataFrame:
    return pd.read_sql_query(
        "SELECT r.code AS reader, s.session_id, s.mode, sc.position, sc.case_id, resp.rt_ms "
        "FROM responses resp JOIN session_cases sc USING (session_id, position) "
        "JOIN sessions s USING (session_id) JOIN readers r USING (reader_id) WHERE s.mode=? "
        "ORDER BY s.session_id, sc.position", store._conn, params=(mode,))


def _case_numbers(store) -> dict[str, int]:
    """Integer case numbers, in the order of the random case ids (no truth in the order)."""
    ids = [r[0] for r in store._conn.execute("SELECT case_id FROM cases ORDER BY case_id")]
    return {c: i + 1 for i, c in enumerate(ids)}


def damaged_cases(store) -> set[str]:
    """Detection cases with an image whose stored PNG is damaged."""
    damaged = store.damaged_items()
    return {c for c, k in store._conn.execute("SELECT case_id, image_key FROM det_images") if k in damaged}


def _score(store, mode: str):
    bad_cases = damaged_cases(store)
    store.warnings = ([f"{len(bad_cases)} damaged case(s) left out of the statistics: {', '.join(sorted(bad_cases))}"]
                      if bad_cases else [])
    done = _finished(store, mode)
    done = done[~done["case_id"].isin(bad_cases)]
    radius = store.config.acceptance_radius_mm
    truth_cache: dict[str, tuple] = {}
    for row in done.itertuples():
        if row.case_id not in truth_cache:
            truth_cache[row.case_id] = case_truth(store._conn, row.case_id)
        lesions, outlines = truth_cache[row.case_id]
        marks = [Mark(int(i), k, float(r), float(c), int(g)) for i, k, r, c, g in store._conn.execute(
            "SELECT mark_id, image_key, row, col, rating FROM det_marks WHERE session_id=? AND position=? "
            "AND deleted_at IS NULL ORDER BY mark_id", (row.session_id, row.position))]
        lesion_of, ll = score_marks(marks, outlines, len(lesions), radius_mm=radius)
        yield row, lesions, marks, lesion_of, ll


def scored_marks(store, mode: str = "assessment") -> pd.DataFrame:
    """Tidy table, one row per mark: reader, session_id, case (number), image view, row, col
    (original pixels), rating, kind (LL / NL), lesion (number or 0), lesion_source."""
    views = dict(store._conn.execute("SELECT image_key, view FROM det_images"))
    numbers = _case_numbers(store)
    rows = []
    for row, lesions, marks, lesion_of, _ in _score(store, mode):
        sources = {int(n): src for n, _, _, src in lesions}
        for m in marks:
            les = lesion_of[m.mark_id]
            rows.append({"reader": row.reader, "session_id": row.session_id, "mode": mode,
                         "case": numbers[row.case_id], "case_id": row.case_id, "view": views[m.image_key],
                         "row": round(m.row, 1), "col": round(m.col, 1), "rating": m.rating,
                         "kind": "NL" if les is None else "LL", "lesion": 0 if les is None else les,
                         "lesion_source": "" if les is None else sources[les]})
    return pd.DataFrame(rows, columns=["reader", "session_id", "mode", "case", "case_id", "view", "row", "col",
                                       "rating", "kind", "lesion", "lesion_source"])


def lesion_readings(store, mode: str = "assessment") -> pd.DataFrame:
    """One row per reader x lesion: reader, case, lesion, source, lesion_type, rating (-inf = missed), found."""
    numbers = _case_numbers(store)
    rows = []
    for row, lesions, _, _, ll in _score(store, mode):
        for (n, ltype, _, src), r in zip(lesions, ll):
            rows.append({"reader": row.reader, "case": numbers[row.case_id], "case_id": row.case_id,
                         "lesion": int(n), "source": src, "lesion_type": ltype, "rating": r, "found": r > -math.inf})
    return pd.DataFrame(rows, columns=["reader", "case", "case_id", "lesion", "source", "lesion_type", "rating",
                                       "found"])


def reader_ratings(store, mode: str = "assessment") -> dict[str, dict[str, CaseRatings]]:
    """reader -> case_id -> :class:`CaseRatings` over the cases that reader finished."""
    out: dict[str, dict[str, CaseRatings]] = {}
    for row, _, marks, lesion_of, ll in _score(store, mode):
        nl = tuple(float(m.rating) for m in marks if lesion_of[m.mark_id] is None)
        out.setdefault(row.reader, {})[row.case_id] = CaseRatings(nl=nl, ll=tuple(ll))
    return out


@dataclass
class DetectionResults:
    """Every table of a detection study's results."""

    per_reader: pd.DataFrame  # one row per reader + 'ALL'
    by_source: pd.DataFrame  # detection rate of simulated vs real lesions, per reader + 'ALL'
    source_test: dict  # Fisher's exact test on the pooled readings
    curves: dict  # reader -> {'froc': (nlf, llf), 'afroc': (fpf, llf)}
    warnings: list[str]


def _reader_row(name: str, cases: list[CaseRatings], est) -> dict:
    llf, nlf = llf_nlf(cases)
    normal = sum(c.normal for c in cases)
    row = {"reader": name, "cases": len(cases), "normal": normal, "abnormal": len(cases) - normal,
           "lesions": sum(len(c.ll) for c in cases), "LL": sum(r > -math.inf for c in cases for r in c.ll),
           "NL": sum(len(c.nl) for c in cases), "LLF": llf, "NLF": nlf}
    row.update(wAFROC=math.nan, wAFROC_se=math.nan, wAFROC_lo=math.nan, wAFROC_hi=math.nan, AFROC=math.nan)
    if est is not None:
        row.update(wAFROC=est.theta, wAFROC_se=est.se, wAFROC_lo=est.lo, wAFROC_hi=est.hi)
        if name != "ALL":
            row["AFROC"] = afroc_theta(cases)
    return row


def summarise_detection(store, mode: str = "assessment") -> DetectionResults:
    """Per-reader and pooled FROC statistics and the simulated-vs-real detection rates."""
    ratings = reader_ratings(store, mode)
    rows, curves = [], {}
    for reader in sorted(ratings):
        cases = [ratings[reader][c] for c in sorted(ratings[reader])]
        has_both = any(c.normal for c in cases) and any(not c.normal for c in cases)
        rows.append(_reader_row(reader, cases, jackknife(cases) if has_both and len(cases) > 2 else None))
        if has_both:
            curves[reader] = {"froc": froc_points(cases), "afroc": afroc_points(cases)}
    common = sorted(set.intersection(*(set(r) for r in ratings.values()))) if ratings else []
    pooled_cases = [[ratings[r][c] for c in common] for r in sorted(ratings)]
    ok = bool(common) and any(c.normal for c in pooled_cases[0]) and any(not c.normal for c in pooled_cases[0])
    flat = [c for cases in pooled_cases for c in cases]
    if flat:
        rows.append(_reader_row("ALL", flat, pooled_jackknife(pooled_cases) if ok and len(common) > 2 else None))
        rows[-1]["cases"] = len(common)
        rows[-1]["lesions"] = sum(len(c.ll) for c in pooled_cases[0])  # LL and NL stay totals over readers
    per_reader = pd.DataFrame(rows)

    les = lesion_readings(store, mode)
    src_rows = []
    for reader, g in [*sorted(les.groupby("reader")), ("ALL", les)]:
        for source in ("simulated", "real"):
            s = g[g["source"] == source]
            k, n = int(s["found"].sum()), len(s)
            lo, hi = clopper_pearson(k, n)
            src_rows.append({"reader": reader, "source": source, "lesions": n, "found": k,
                             "rate": k / n if n else math.nan, "rate_lo": lo, "rate_hi": hi})
    by_source = pd.DataFrame(src_rows, columns=["reader", "source", "lesions", "found", "rate", "rate_lo", "rate_hi"])
    test = {"p_fisher": math.nan, "odds_ratio": math.nan}
    pooled = by_source[by_source["reader"] == "ALL"].set_index("source")
    if len(pooled) == 2 and pooled["lesions"].min() > 0:
        table = np.array([[pooled.loc[s, "found"], pooled.loc[s, "lesions"] - pooled.loc[s, "found"]]
                          for s in ("simulated", "real")])
        res = _st.fisher_exact(table)
        test = {"p_fisher": float(res.pvalue), "odds_ratio": float(res.statistic)}
    return DetectionResults(per_reader, by_source, test, curves, list(store.warnings))
