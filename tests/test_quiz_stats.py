"""Statistics of reader studies against outside references and simulated readers."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from mammostudio.core.quiz import QuizStore, ReaderProfile, StudyConfig, design_study, summarise
from mammostudio.core.quiz.simulate import simulate_reader, synthetic_sets
from mammostudio.core.quiz.stats import (
    auc_delong, binomial_p, clopper_pearson, dprime, fleiss_kappa, tost_equivalence, verdict)

# Fleiss' kappa worked example (Wikipedia "Fleiss' kappa": 10 subjects, 14 raters,
# 5 categories; P-bar = 0.378, P-e = 0.213, kappa = 0.210).
FLEISS_TABLE = [
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
]


def test_fleiss_kappa_matches_the_textbook_example():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_is_one_for_perfect_agreement_and_rejects_ragged_tables():
    assert fleiss_kappa([[3, 0], [0, 3], [3, 0]]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[3, 0], [1, 1]])


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (37, 80)])
def test_clopper_pearson_is_the_beta_quantile_interval(k, n):
    from scipy.stats import beta

    lo, hi = clopper_pearson(k, n)
    ref_lo = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    ref_hi = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert lo == pytest.approx(ref_lo, abs=1e-9) and hi == pytest.approx(ref_hi, abs=1e-9)


def test_clopper_pearson_textbook_values_and_empty_input():
    assert clopper_pearson(3, 10) == pytest.approx((0.0667, 0.6525), abs=1e-4)  # the usual table value
    assert clopper_pearson(0, 10)[1] == pytest.approx(0.3085, abs=1e-4)
    assert all(np.isnan(clopper_pearson(0, 0)))


def test_auc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 60)
    rating = rng.integers(1, 11, 60) + 2 * truth  # ordinal ratings with many ties
    auc, se, lo, hi = auc_delong(truth, rating)
    assert auc == pytest.approx(roc_auc_score(truth, rating), abs=1e-12)
    assert 0 < se < 0.2 and lo < auc < hi


def test_dprime_recovers_symmetric_rates_and_zero_bias():
    d, c = dprime(8400, 10000, 1600, 10000)
    assert d == pytest.approx(1.989, abs=0.01) and c == pytest.approx(0.0, abs=0.01)


def test_tost_declares_equivalence_only_with_enough_data():
    assert tost_equivalence(500, 1000, margin=0.1) < 0.05
    assert tost_equivalence(5, 10, margin=0.1) > 0.05
    assert "could not tell" in verdict(500, 1000, margin=0.1)
    assert verdict(5, 10, margin=0.1).startswith("Inconclusive")
    assert "better than chance" in verdict(90, 100, margin=0.1)


def _study(tmp_path, *, n=200, task="single", levels=5, seed=0):
    rng = np.random.default_rng(seed)
    real, gens = synthetic_sets(rng, n_real=n + 10, n_generated=n + 10, size=12, generators=2)
    cfg = StudyConfig(n_assessment=n, n_training=0, task=task, confidence_levels=levels, image_size=12, seed=seed)
    return QuizStore.create(tmp_path / "study.sqlite", design_study(real, gens, cfg))


def _read(store, policy, code="R1", seed=1):
    store.add_reader(ReaderProfile(code, 5, "breast"))
    simulate_reader(store.start_session(code, "assessment"), policy, np.random.default_rng(seed))
    return summarise(store.responses(), margin=0.1)


def test_random_reader_is_at_chance_and_not_significant(tmp_path):
    res = _read(_study(tmp_path), "random")
    row = res.per_reader.set_index("reader").loc["R1"]
    assert abs(row["accuracy"] - 0.5) < 0.1 and row["p_vs_chance"] > 0.05
    assert abs(row["auc"] - 0.5) < 0.1 and abs(row["dprime"]) < 0.5
    assert binomial_p(int(row["correct"]), int(row["n"])) == pytest.approx(row["p_vs_chance"])


def test_perfect_reader_scores_one(tmp_path):
    res = _read(_study(tmp_path), "perfect")
    row = res.per_reader.set_index("reader").loc["R1"]
    assert row["accuracy"] == 1.0 and row["auc"] == 1.0
    assert row["sensitivity"] == 1.0 and row["specificity"] == 1.0 and row["p_vs_chance"] < 1e-10
    assert "better than chance" in res.verdict
    assert res.per_case["fool_rate"].max() == 0.0


def test_reader_who_always_says_real_has_no_sensitivity_and_a_strict_criterion(tmp_path):
    res = _read(_study(tmp_path), "says_real")
    row = res.per_reader.set_index("reader").loc["R1"]
    assert row["accuracy"] == pytest.approx(0.5) and row["sensitivity"] == 0.0 and row["specificity"] == 1.0
    assert abs(row["dprime"]) < 1e-9 and row["criterion"] > 1.0
    assert (res.per_generator["fool_rate"] == 1.0).all()


def test_study_auc_equals_scikit_learn_on_the_stored_ratings(tmp_path):
    store = _study(tmp_path, n=60)
    res = _read(store, "skill:0.7")
    df = store.responses()
    ref = roc_auc_score(df["truth_generated"], df["rating"])
    assert res.per_reader.set_index("reader").loc["R1", "auc"] == pytest.approx(ref, abs=1e-12)
    assert set(res.per_generator["generator"]) == {"G1", "G2"}


def test_kappa_of_identical_readers_is_one_and_of_random_readers_near_zero(tmp_path):
    store = _study(tmp_path, n=120)
    for code in ("A", "B", "C"):
        store.add_reader(ReaderProfile(code))
        simulate_reader(store.start_session(code, "assessment"), "perfect", np.random.default_rng(0))
    res = summarise(store.responses(), margin=0.1)
    assert res.kappa["kappa"] == pytest.approx(1.0) and res.kappa["n_readers"] == 3
    for code, seed in (("D", 1), ("E", 2)):
        store.add_reader(ReaderProfile(code))
        simulate_reader(store.start_session(code, "assessment"), "random", np.random.default_rng(seed))
    random_only = store.responses().query("reader in ['D', 'E']")
    k = summarise(random_only, margin=0.1).kappa
    assert abs(k["kappa"]) < 0.25 and k["n_cases"] == 120


def test_2afc_perfect_and_random_readers(tmp_path):
    store = _study(tmp_path, n=150, task="2afc", levels=0)
    res = _read(store, "perfect", code="P")
    assert res.per_reader.set_index("reader").loc["P", "accuracy"] == 1.0
    store.add_reader(ReaderProfile("Q"))
    simulate_reader(store.start_session("Q", "assessment"), "random", np.random.default_rng(5))
    q = summarise(store.responses().query("reader == 'Q'"), margin=0.1).per_reader.set_index("reader").loc["Q"]
    assert abs(q["accuracy"] - 0.5) < 0.12 and q["p_vs_chance"] > 0.05


def test_delong_standard_error_agrees_with_a_bootstrap_of_scikit_learn_auc():
    rng = np.random.default_rng(11)
    truth = np.r_[np.ones(80, int), np.zeros(120, int)]
    rating = np.clip(np.rint(rng.normal(5 + 1.2 * truth, 2.0)), 1, 10)
    _, se, _, _ = auc_delong(truth, rating)
    pos, neg = np.flatnonzero(truth == 1), np.flatnonzero(truth == 0)
    boots = []
    for _ in range(1000):  # stratified bootstrap: resample positives and negatives separately
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        boots.append(roc_auc_score(truth[idx], rating[idx]))
    assert se == pytest.approx(np.std(boots, ddof=1), rel=0.12)
