"""Statistics: hand-computed tables for the metrics, tests, corrections and the verdict."""

from __future__ import annotations

import math

import numpy as np
import pytest

from replication.harness import stats

pytestmark = pytest.mark.harness


@pytest.mark.parametrize(
    ("labels", "scores", "expected"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], 1.0),
        ([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 0.0),
        (
            [0, 1, 0, 1],
            [0.1, 0.2, 0.3, 0.4],
            0.75,
        ),  # pairs (neg, pos): 4 of (1,2),(1,4),(3,2),(3,4) won: 3
        ([0, 1], [0.5, 0.5], 0.5),  # a tie counts half
        ([0, 0, 1], [0.3, 0.7, 0.7], 0.75),  # (0.3<0.7)=1, (0.7=0.7)=0.5 -> 1.5/2
    ],
)
def test_auroc_matches_the_pairwise_definition(labels, scores, expected):
    assert stats.auroc(labels, scores) == pytest.approx(expected)


def test_auroc_of_one_class_is_undefined():
    assert math.isnan(stats.auroc([1, 1, 1], [0.1, 0.2, 0.3]))


def test_auroc_rows_scores_each_resample_independently():
    labels = np.array([[0, 0, 1, 1], [0, 1, 0, 1]])
    scores = np.array([[0.1, 0.2, 0.8, 0.9], [0.1, 0.2, 0.3, 0.4]])
    assert stats.auroc_rows(labels, scores).tolist() == pytest.approx([1.0, 0.75])


@pytest.mark.parametrize(
    ("targets", "preds", "expected"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], 1.0),
        ([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], 0.0),  # predicting the mean
        ([1.0, 2.0, 3.0], [3.0, 2.0, 1.0], -3.0),  # ss_res 8, ss_tot 2
    ],
)
def test_r2(targets, preds, expected):
    assert stats.r2_rows(np.array(targets), np.array(preds))[0] == pytest.approx(expected)


def test_worst_group_accuracy_is_the_minimum_over_groups():
    labels = np.array([1, 1, 0, 0, 1, 0])
    scores = np.array([0.9, 0.8, 0.2, 0.7, 0.3, 0.1])  # correct: T T T F F T
    groups = np.array([0, 0, 0, 1, 1, 1])  # group 0: 3/3, group 1: 1/3
    assert stats.worst_group_accuracy_rows(labels, scores, groups)[0] == pytest.approx(1 / 3)


def test_fpr_at_95_tpr():
    labels = np.array([1] * 20 + [0] * 4)
    scores = np.concatenate([np.arange(1, 21), [0.5, 2.5, 10.5, 30]])
    # threshold = the 2nd lowest positive (index floor(0.05*20)=1) = 2; negatives >= 2: 2.5, 10.5, 30
    assert stats.fpr_at_tpr(labels, scores) == pytest.approx(3 / 4)


@pytest.mark.parametrize(
    ("pvalues", "expected"),
    [
        ([0.01, 0.04, 0.03], [0.03, 0.06, 0.06]),  # 3*0.01, max(2*0.03, .03), max(1*0.04, .06)
        ([0.01], [0.01]),
        ([0.5, 0.5], [1.0, 1.0]),
        ([0.001, 0.2, 0.01, 0.04], [0.004, 0.2, 0.03, 0.08]),
    ],
)
def test_holm(pvalues, expected):
    assert stats.holm(pvalues) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (
            ["beats", "beats", "loses", "equivalent"],
            {"n": 4, "won": 0.5, "tied": 0.25, "lost": 0.25, "inconclusive": 0.0},
        ),
        (["inconclusive"], {"n": 1, "won": 0.0, "tied": 0.0, "lost": 0.0, "inconclusive": 1.0}),
        ([], {"n": 0, "won": 0.0, "tied": 0.0, "lost": 0.0, "inconclusive": 0.0}),
    ],
)
def test_win_tie_loss(verdicts, expected):
    assert stats.win_tie_loss(verdicts) == expected


# --- weighted metrics: a resample's copies of a row as weights --------------------------------


@pytest.mark.parametrize(
    ("labels", "scores", "weights"),
    [
        ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], [1, 1, 1, 1]),
        ([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [2, 0, 1, 3]),
        ([0, 0, 1, 1, 0, 1], [0.5, 0.5, 0.5, 0.7, 0.1, 0.1], [1, 2, 1, 1, 3, 2]),  # ties
        ([1, 0, 1], [0.3, 0.2, 0.1], [0, 4, 1]),
    ],
)
def test_weighted_auroc_equals_auroc_of_the_repeated_rows(labels, scores, weights):
    repeat = np.repeat(np.arange(len(labels)), weights)
    expected = stats.auroc(np.array(labels)[repeat], np.array(scores)[repeat])
    got = stats.weighted_auroc(np.array(labels), np.array(scores), None, np.array([weights]))[0]
    assert got == pytest.approx(expected)


def test_weighted_auroc_of_a_resample_with_one_class_is_undefined():
    got = stats.weighted_auroc(np.array([0, 1]), np.array([0.2, 0.8]), None, np.array([[2, 0]]))
    assert math.isnan(got[0])


def test_weighted_r2_and_worst_group_accuracy_equal_the_repeated_rows():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 30)
    s = rng.random(30)
    g = rng.integers(0, 3, 30)
    w = rng.integers(0, 3, 30)
    repeat = np.repeat(np.arange(30), w)
    assert stats.weighted_r2(y, s, None, w[None])[0] == pytest.approx(
        stats.r2_rows(y[repeat], s[repeat])[0]
    )
    assert stats.weighted_worst_group_accuracy(y, s, g, w[None])[0] == pytest.approx(
        stats.worst_group_accuracy_rows(y[repeat], s[repeat], g[repeat])[0]
    )


# --- the estimate's p-values (normal reference: df infinite, hand-computed) -------------------

PHI_2 = 0.9772498680518208  # P(Z <= 2)
PHI_1 = 0.8413447460685429


@pytest.mark.parametrize(
    ("delta", "se", "margin", "expected"),
    [
        # p_beats tests delta <= +m; p_loses delta >= -m; both doubled; TOST takes the larger
        (0.03, 0.01, 0.01, {"p_beats": 2 * (1 - PHI_2), "p_loses": 1.0, "p": 2 * (1 - 0.99865)}),
        (-0.03, 0.01, 0.01, {"p_beats": 1.0, "p_loses": 2 * (1 - PHI_2), "p": 2 * (1 - 0.99865)}),
        (0.0, 0.01, 0.02, {"p_beats": 1.0, "p_loses": 1.0, "p_equivalent": 2 * (1 - PHI_2)}),
        (0.01, 0.01, 0.02, {"p_equivalent": 2 * (1 - PHI_1), "p_beats": 1.0}),
        (0.02, 0.0, 0.01, {"p_beats": 0.0, "p_loses": 1.0, "p_equivalent": 1.0}),  # no noise
    ],
)
def test_estimate_p_values(delta, se, margin, expected):
    est = stats.Estimate(delta, se, float("inf"), margin)
    for name, value in expected.items():
        assert getattr(est, name) == pytest.approx(value, abs=2e-5), name


def test_the_ci_and_the_p_value_agree_in_both_directions():
    """p_beats < alpha exactly when the (1 - alpha) CI lies above +m; the same for loses."""
    for delta in np.linspace(-0.06, 0.06, 25):
        est = stats.Estimate(float(delta), 0.01, 7.0, 0.01)
        low, high = est.ci(0.95)
        assert (est.p_beats < 0.05) == (low > 0.01)
        assert (est.p_loses < 0.05) == (high < -0.01)
        assert (est.p_equivalent < 0.05) == (low > -0.01 and high < 0.01)


def test_t_reference_matches_scipy():
    from scipy.stats import t

    est = stats.Estimate(0.025, 0.01, 4.0, 0.005)
    assert est.p_beats == pytest.approx(2 * t.sf(2.0, 4))
    assert est.ci(0.95)[0] == pytest.approx(0.025 - t.ppf(0.975, 4) * 0.01)


# --- the rule -----------------------------------------------------------------------------------


def _est(delta, se=0.01, margin=0.01):
    return stats.Estimate(delta, se, float("inf"), margin)


def _decide(ests, **corrected):
    ps = stats.family_ps(ests)
    ps = stats.FamilyPs(**{**ps.__dict__, **corrected})
    return stats.decide(ests, ps, 0.05)


@pytest.mark.parametrize(
    ("deltas", "corrected", "expected"),
    [
        ({"a": 0.05}, {}, "beats"),
        ({"a": -0.05}, {}, "loses"),  # the mirror image: the same standard
        ({"a": 0.05}, {"beats": 0.06}, "inconclusive"),  # CI clears, corrected p does not
        ({"a": -0.05}, {"loses": 0.06}, "inconclusive"),  # ... and for loses alike
        ({"a": 0.05, "b": 0.005}, {}, "inconclusive"),  # beats one baseline, not every one
        ({"a": -0.05, "b": 0.05}, {}, "loses"),  # some baseline beats it
        ({"a": 0.0}, {}, "equivalent"),
        ({"a": 0.0, "b": 0.0}, {}, "equivalent"),
        ({"a": 0.0, "b": 0.05}, {}, "inconclusive"),  # equivalent to one baseline only
        ({"a": 0.0}, {"equivalent": 0.2}, "inconclusive"),
        ({"a": 0.015}, {}, "inconclusive"),  # CI straddles the margin
        ({"a": float("nan")}, {}, "inconclusive"),
    ],
)
def test_decide(deltas, corrected, expected):
    se = {"a": 0.01, "b": 0.01}
    ests = {k: _est(d, se=se[k] if d != 0.0 else 0.003) for k, d in deltas.items()}
    assert _decide(ests, **corrected) == expected


def test_family_ps_beats_and_equivalent_are_intersection_union_loses_a_bonferroni_union():
    ests = {"a": _est(0.05), "b": _est(0.03), "c": _est(-0.04)}
    ps = stats.family_ps(ests)
    assert ps.beats == pytest.approx(max(e.p_beats for e in ests.values()))
    assert ps.loses == pytest.approx(min(1.0, 3 * ests["c"].p_loses))
    assert ps.equivalent == pytest.approx(max(e.p_equivalent for e in ests.values()))


@pytest.mark.parametrize(
    ("delta", "se", "expected"),
    [
        (0.0, 0.0, "inconclusive"),  # identical outputs: no effect measurable, not equivalent
        (0.05, 0.0, "inconclusive"),
        (0.0, float("nan"), "inconclusive"),
        (0.0, 0.001, "equivalent"),
    ],
)
def test_no_verdict_without_a_positive_standard_error(delta, se, expected):
    assert stats.verdict(stats.Estimate(delta, se, 30.0, 0.01), 0.05) == expected


def test_the_floor_keeps_a_gap_of_a_thousandth_from_counting_near_the_ceiling():
    # issue 24: SAE 1.000, LR 0.999 gave a margin of 0.00002 and "beats" on 0.0008
    bare = stats.margin_for(
        "auroc", 1.0, 0.9992, kind="relative_error", absolute=0.01, relative=0.05
    )
    floored = stats.margin_for(
        "auroc", 1.0, 0.9992, kind="relative_error", absolute=0.01, relative=0.05, floor=0.01
    )
    assert bare < 1e-4 and floored == 0.01
    est = stats.Estimate(0.0008, 0.0001, 30.0, floored)
    assert stats.verdict(est, 0.05) == "equivalent"
    assert stats.verdict(stats.Estimate(0.0008, 0.0001, 30.0, bare), 0.05) == "beats"


def test_obrien_fleming_spending_keeps_most_alpha_for_the_last_look():
    levels = stats.look_alphas([10, 20, 40], 0.05)
    assert levels[0] == pytest.approx(stats.obf_spent(0.25, 0.05))
    assert levels[0] < 0.001 < levels[1] < levels[2] < 0.05
    # exact boundaries: the last look keeps more than the union bound's leftover increment
    assert levels[2] > 0.05 - stats.obf_spent(0.5, 0.05)
    assert stats.look_alphas([10], 0.05) == [pytest.approx(0.05)]
    assert stats.obf_spent(0.5, 0.05) == pytest.approx(0.00558, abs=1e-4)
    # the levels of looks so far do not depend on looks still to come
    assert stats.look_alphas([10, 20], 0.05, most=40) == pytest.approx(levels[:2])


@pytest.mark.parametrize("seeds", [[10, 20, 30], [3, 6, 8], [10, 30], [5, 10, 20, 40]])
def test_group_sequential_levels_spend_exactly_alpha_over_all_looks(seeds):
    """Simulated z-statistics of a mean over growing seeds under the null: the chance that
    any look crosses its level is alpha (the union bound of increments would give less)."""
    levels = stats.look_alphas(seeds, 0.05)
    rng = np.random.default_rng(0)
    steps = np.diff(np.r_[0, seeds])
    scores = np.cumsum(rng.normal(size=(400_000, len(seeds))) * np.sqrt(steps), axis=1)
    z = np.abs(scores / np.sqrt(seeds))
    bounds = [stats._t_quantile(1 - level / 2, math.inf) for level in levels]
    crossed = (z >= np.asarray(bounds)).any(axis=1).mean()
    assert crossed == pytest.approx(0.05, abs=0.0015)


def test_correct_applies_holm_to_each_kind_over_the_same_family():
    family = [stats.FamilyPs(0.01, 0.5, 0.2), stats.FamilyPs(0.02, 0.01, 0.9)]
    corrected = stats.correct(family)
    assert [c.beats for c in corrected] == pytest.approx([0.02, 0.02])
    assert [c.loses for c in corrected] == pytest.approx([0.5, 0.02])
    assert [c.equivalent for c in corrected] == pytest.approx([0.4, 0.9])


@pytest.mark.parametrize(
    ("kind", "a", "b", "expected"),
    [
        ("relative_error", 0.80, 0.80, 0.05 * 0.20),
        ("relative_error", 1.00, 0.978, 0.05 * 0.011),  # near the ceiling the margin shrinks
        ("relative_error", 0.978, 1.00, 0.05 * 0.011),  # symmetric in the two methods
        ("absolute", 0.80, 0.70, 0.01),
        ("both", 0.99, 0.99, 0.01),  # the larger of 0.0005 and 0.01
        ("both", 0.40, 0.40, 0.03),
    ],
)
def test_margin_for(kind, a, b, expected):
    margin = stats.margin_for("auroc", a, b, kind=kind, absolute=0.01, relative=0.05)
    assert margin == pytest.approx(expected)


def test_margin_for_names_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown margin kind 'percent'"):
        stats.margin_for("auroc", 0.8, 0.8, kind="percent", absolute=0.01, relative=0.05)


# --- paired_estimate: dependence between seeds ---------------------------------------------------


def _seeds(rng, ids_list, shift=0.0, n_rows=200):
    y = np.arange(n_rows) % 2
    hard = rng.normal(0, 1, n_rows)
    own = rng.normal(0, 0.6, (2, n_rows))
    out = []
    for ids in ids_list:
        a = y[ids] * (1.2 + shift) + hard[ids] + own[0, ids] + rng.normal(0, 0.3, len(ids))
        b = y[ids] * 1.2 + hard[ids] + own[1, ids] + rng.normal(0, 0.3, len(ids))
        out.append(stats.SeedOutcome(y[ids], a, b, ids=ids))
    return out


def test_identical_methods_give_a_zero_delta_with_no_spread():
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    s = rng.normal(size=40) + y
    seeds = [stats.SeedOutcome(y, s, s.copy(), ids=np.arange(40)) for _ in range(3)]
    est = stats.paired_estimate(seeds, "auroc", n_boot=200, rng=rng, margin=0.01)
    assert est.delta == 0.0 and est.se == 0.0 and est.p_equivalent == 0.0


def test_rows_shared_by_seeds_are_resampled_as_one_row():
    """The same 60 test rows in all 5 seeds: resampled by identity the row noise does not
    average out over seeds; taken as 5 x 60 distinct rows (the old bootstrap) it would."""
    rng = np.random.default_rng(3)
    ids = [np.arange(60)] * 5
    seeds = _seeds(rng, ids)
    shared = stats.paired_estimate(seeds, "auroc", n_boot=2000, rng=np.random.default_rng(1))
    distinct = stats.paired_estimate(
        [stats.SeedOutcome(s.labels, s.scores_a, s.scores_b) for s in seeds],
        "auroc",
        n_boot=2000,
        rng=np.random.default_rng(1),
    )
    assert shared.n_rows == 60 and distinct.n_rows == 300
    assert shared.components["row_var"] > 3 * distinct.components["row_var"]


def test_paired_estimate_detects_a_clear_improvement():
    rng = np.random.default_rng(1)
    seeds = _seeds(rng, [np.sort(rng.choice(200, 80, replace=False)) for _ in range(6)], 2.0)
    est = stats.paired_estimate(seeds, "auroc", n_boot=500, rng=rng, margin=0.01)
    low, _ = est.ci()
    assert low > 0.01 and est.p_beats < 1e-3


# --- across datasets ---------------------------------------------------------------------------


def test_combine_datasets_below_six_treats_the_datasets_as_fixed():
    ests = [stats.Estimate(d, 0.01, float("inf"), 0.01) for d in (0.02, 0.04)]
    combined = stats.combine_datasets(ests)
    assert combined.delta == pytest.approx(0.03)
    assert combined.se == pytest.approx(math.sqrt(2 * 0.01**2) / 2)
    assert "fixed effects" in combined.test


def test_combine_datasets_from_six_uses_their_spread():
    deltas = [0.05, 0.04, 0.06, 0.03, 0.07, 0.02]
    combined = stats.combine_datasets([stats.Estimate(d, 0.001, 9.0, 0.01) for d in deltas])
    assert combined.delta == pytest.approx(0.045)
    assert combined.se == pytest.approx(np.std(deltas, ddof=1) / math.sqrt(6))
    assert combined.df == 5 and "random effects" in combined.test


def test_average_over_regimes_never_shrinks_the_standard_error():
    ests = [stats.Estimate(0.02, 0.01, 9.0, 0.01), stats.Estimate(0.04, 0.03, 4.0, 0.01)]
    avg = stats.average_estimates(ests)
    assert avg.delta == pytest.approx(0.03) and avg.se == pytest.approx(0.02) and avg.df == 4.0


# --- power ---------------------------------------------------------------------------------------


def test_mde_and_what_would_resolve_an_inconclusive():
    est = stats.Estimate(
        0.02,
        0.01,
        float("inf"),
        0.005,
        n_seeds=5,
        components={"seed_var": 5 * 0.00005, "row_var": 0.00005},
    )
    # (z_0.975 + z_0.8) * se + margin
    assert est.mde(0.05, 0.8) == pytest.approx(0.005 + (1.959964 + 0.841621) * 0.01, rel=1e-5)
    more = stats.resolve_more(est, 0.05)
    # needs se = 0.015 / 2.8016 = 0.005354: variance 3.49x smaller, so 18 seeds
    assert more["seeds_needed"] == 18
    assert more["towards"] == "a difference"
