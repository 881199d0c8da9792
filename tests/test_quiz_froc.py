"""FROC figures of merit against the hand-worked example of docs froc.md."""
import math

import numpy as np
import pytest

from mammostudio.core.quiz.froc import (CaseRatings, afroc_points, afroc_theta, froc_points, jackknife, llf_nlf,
                                        pooled_jackknife, wafroc_theta)

NI = -math.inf
# N1: NLs 2 and 4; N2: no mark; A: lesion rated 5 and an NL 3; B: lesion 1 rated 3, lesion 2 unmarked.
WORKED = [CaseRatings(nl=(2, 4)), CaseRatings(), CaseRatings(nl=(3,), ll=(5,)), CaseRatings(ll=(3, NI))]


def test_wafroc_theta_equals_the_hand_worked_value():
    assert wafroc_theta(WORKED) == pytest.approx(0.6875, abs=1e-12)


def test_afroc_theta_equals_the_hand_worked_value():
    assert afroc_theta(WORKED) == pytest.approx(3.5 / 6, abs=1e-12)


def test_llf_and_nlf_count_every_mark():
    llf, nlf = llf_nlf(WORKED)
    assert llf == pytest.approx(2 / 3) and nlf == pytest.approx(3 / 4)


def test_jackknife_pseudovalues_and_se_equal_the_hand_worked_values():
    est = jackknife(WORKED, "wAFROC")
    assert est.pseudovalues == pytest.approx([0.125, 1.25, 1.625, -0.25], abs=1e-12)
    assert est.pseudovalues.mean() == pytest.approx(0.6875)
    assert est.se == pytest.approx(0.44634, abs=5e-6)
    assert est.lo < 0.6875 < est.hi


def test_pooled_fom_of_identical_readers_is_the_single_reader_fom():
    one = jackknife(WORKED)
    both = pooled_jackknife([WORKED, WORKED])
    assert both.theta == pytest.approx(one.theta) and both.se == pytest.approx(one.se)


def test_perfect_reader_scores_one_and_blind_reader_scores_below_half():
    perfect = [CaseRatings(), CaseRatings(ll=(5,)), CaseRatings(ll=(4, 3))]
    assert wafroc_theta(perfect) == 1.0
    blind = [CaseRatings(nl=(5,)), CaseRatings(ll=(NI,)), CaseRatings(ll=(NI, NI))]
    assert wafroc_theta(blind) == 0.0


def test_lesion_weights_change_wafroc():
    cases = [CaseRatings(nl=(3,)), CaseRatings(ll=(5, NI), weights=(0.9, 0.1))]
    assert wafroc_theta(cases) == pytest.approx(0.9)


def test_froc_and_afroc_curves_end_at_the_all_marks_point():
    nlf, llf = froc_points(WORKED)
    assert (nlf[0], llf[0]) == (0, 0) and nlf[-1] == pytest.approx(0.75) and llf[-1] == pytest.approx(2 / 3)
    assert np.all(np.diff(nlf) >= 0) and np.all(np.diff(llf) >= 0)
    fpf, llf2 = afroc_points(WORKED)
    assert fpf[-1] == 1 and llf2[-1] == 1 and np.all(np.diff(fpf) >= 0)
    # AFROC area by trapezoids equals the AFROC figure of merit (ties handled the same way).
    assert np.trapezoid(llf2, fpf) == pytest.approx(afroc_theta(WORKED))


def test_jackknife_needs_two_normal_and_two_abnormal_cases():
    est = jackknife([CaseRatings(), CaseRatings(nl=(2,)), CaseRatings(ll=(4,))])
    assert est.theta == 1.0 and math.isnan(est.se) and math.isnan(est.lo)
