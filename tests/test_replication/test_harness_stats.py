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
    ("deltas", "expected"),
    [
        ([1, 2, 3, 4, 5, 6], 2 / 64),  # all positive, n=6: exact two-sided 2 * 1/64
        ([1, 2, 3, 4, 5], 2 / 32),  # n=5 cannot reach 0.05
        ([-1, -2, -3, -4, -5, -6, -7], 2 / 128),
        ([1, 2, -3], 1.0),  # W+ = 3 is the median of 0..6
        ([1, -2, 3, 4], 2 * 3 / 16),  # W+ = 8: P(W+ >= 8) = #{8,9,10} = 3/16
        ([0, 0, 1, 2, 3, 4, 5, 6], 2 / 64),  # zeros are dropped
        ([], 1.0),
    ],
)
def test_wilcoxon_signed_rank_exact(deltas, expected):
    assert stats.wilcoxon_signed_rank(deltas) == pytest.approx(expected)


def test_wilcoxon_with_ties_uses_the_normal_approximation():
    from scipy.stats import wilcoxon

    deltas = [0.1, 0.1, 0.2, -0.05, 0.3, 0.3, 0.2, 0.4, -0.1, 0.5]
    assert stats.wilcoxon_signed_rank(deltas) == pytest.approx(
        wilcoxon(deltas, correction=True, method="approx").pvalue, rel=1e-6
    )


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
    ("ci_low", "ci_high", "p", "expected"),
    [
        (0.02, 0.05, 0.01, "beats"),
        (0.02, 0.05, 0.06, "inconclusive"),  # above the margin but not significant after Holm
        (0.01, 0.05, 0.001, "inconclusive"),  # lower bound must exceed the margin strictly
        (0.005, 0.05, 0.001, "inconclusive"),
        (-0.05, -0.02, 0.01, "loses"),
        (-0.05, -0.02, 0.5, "loses"),  # losing needs no p-value
        (-0.005, 0.008, 0.9, "equivalent"),
        (-0.02, 0.005, 0.4, "inconclusive"),
        (float("nan"), 0.1, 0.01, "inconclusive"),
    ],
)
def test_verdict_with_a_margin_of_one_point(ci_low, ci_high, p, expected):
    assert stats.verdict(ci_low, ci_high, p, margin=0.01, alpha=0.05) == expected


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


def _seed(rng, shift):
    labels = np.array([0, 1] * 50)
    base = labels + rng.normal(0, 1.0, size=100)
    return stats.SeedOutcome(labels=labels, scores_a=base + shift * labels, scores_b=base)


def test_paired_bootstrap_of_identical_methods_is_centred_on_zero():
    rng = np.random.default_rng(0)
    seeds = [_seed(rng, 0.0) for _ in range(3)]
    iv = stats.paired_bootstrap(seeds, stats.auroc_rows, n_boot=400, rng=rng)
    assert iv.delta == 0.0 and iv.ci_low == 0.0 and iv.ci_high == 0.0


def test_paired_bootstrap_detects_a_clear_improvement():
    rng = np.random.default_rng(1)
    seeds = [_seed(rng, 2.0) for _ in range(4)]
    iv = stats.paired_bootstrap(seeds, stats.auroc_rows, n_boot=500, rng=rng)
    assert 0 < iv.ci_low < iv.delta < iv.ci_high
    assert iv.p < 0.01


@pytest.mark.parametrize(
    ("draws", "expected"),
    [
        (np.array([1.0] * 99), 2 / 100),  # none <= 0: 2 * (0 + 1) / (99 + 1)
        (np.array([-1.0, 1.0] * 50), 1.0),
        (np.array([-1.0] * 9 + [1.0] * 91), 2 * 10 / 101),
    ],
)
def test_bootstrap_p(draws, expected):
    assert stats.bootstrap_p(draws) == pytest.approx(expected)


def test_across_datasets_uses_wilcoxon_from_six_datasets():
    rng = np.random.default_rng(0)
    ivs = [
        stats.Interval(d, d - 0.01, d + 0.01, 0.01, rng.normal(d, 0.005, 200))
        for d in (0.05, 0.04, 0.06, 0.03, 0.07, 0.02)
    ]
    summary = stats.across_datasets(ivs, rng=rng)
    assert summary.p == pytest.approx(2 / 64)
    assert summary.delta == pytest.approx(0.045)
    assert summary.ci_low > 0
