"""The verdict sentence is built from the numbers in results.json, and the won / tied / lost /
undecided counts add up to the datasets (issue 24). Pure functions over a dict."""

from __future__ import annotations

import pytest

from replication import results as R


def _results(verdict, **overall):
    block = {"delta": -0.065, "margin": 0.01, "n_comparisons": 12, "n_seeds": 10, **overall}
    return {
        "verdict": verdict,
        "overall": block,
        "datasets": {"d1": {"regimes": {"normal": {"comparison": {"best_baseline": "logreg"}}}}},
        "looks": [{"seeds": 10}, {"seeds": 20}],
        "design": {"stopped": "seed budget spent", "max_split_seeds": 20},
    }


@pytest.mark.parametrize(
    ("verdict", "overall", "expected"),
    [
        (
            "inconclusive",
            {"to_resolve": {"seeds_needed": 19}},
            "not decided: the SAE is 0.065 behind logreg, but after correcting for 12 "
            "comparisons the evidence is not strong enough (margin 0.010); 20 split seeds over "
            "2 looks (it stopped at the spec's limit of 20); about 9 more seeds would decide",
        ),
        (
            "inconclusive",
            {"to_resolve": {"seeds_needed": 60, "test_rows_factor": 2.44}},
            "about 60 seeds would decide, beyond the spec's limit of 20; more seeds cannot "
            "shrink the part of the uncertainty from the test rows they share: about 2.4 "
            "times as many test rows (a larger dataset) would decide",
        ),
        (
            "inconclusive",
            {"to_resolve": {"seeds_needed": 60, "test_rows_factor": None}},
            "(margin 0.010); 20 split seeds over 2 looks (it stopped at the spec's limit of "
            "20); about 60 seeds would decide, beyond the spec's limit of 20",
        ),
        ("loses", {}, "the SAE method loses: 0.065 behind logreg, more than the margin of 0.010"),
        ("beats", {"delta": 0.04}, "the SAE method beats every baseline: 0.040 ahead of logreg"),
        ("equivalent", {"delta": 0.002}, "matches every baseline within the margin of 0.010"),
        ("inconclusive", {"finding": "no effect measurable"}, "not decided: no effect measurable"),
        (
            "inconclusive",
            {"delta": -0.027, "ci_low": -0.039, "ci_high": -0.015, "against": {
                "mahalanobis": {"delta": -0.013, "ci_low": -0.028, "ci_high": 0.002},
                "knn": {"delta": -0.017, "ci_low": -0.031, "ci_high": -0.002}}},
            "not decided: the SAE is 0.027 behind the best baseline of each dataset, more than "
            "the margin of 0.010, but \"loses\" needs one baseline ahead by more than the "
            "margin on its own, and none is: the nearest, knn, is 0.017 ahead (95% interval "
            "0.002 to 0.031)",
        ),
        (
            "inconclusive",
            {"delta": 0.05, "ci_low": 0.02, "ci_high": 0.08, "against": {
                "logreg": {"delta": 0.06, "ci_low": 0.03, "ci_high": 0.09},
                "pca": {"delta": 0.01, "ci_low": -0.01, "ci_high": 0.03}}},
            "the SAE is 0.050 ahead of the best baseline of each dataset, more than the margin "
            "of 0.010, but \"beats\" needs every baseline behind by more than the margin, and "
            "one is not: pca: the SAE is 0.010 ahead (95% interval -0.010 to 0.030)",
        ),
        (  # beyond the margin against its one baseline, short of it after the correction
            "inconclusive",
            {"delta": -0.141, "ci_low": -0.227, "ci_high": -0.056, "p_loses_holm": 0.052,
             "margin": 0.033, "against": {
                 "balanced": {"delta": -0.141, "ci_low": -0.227, "ci_high": -0.056}}},
            "the SAE is 0.141 behind balanced (95% interval 0.056 to 0.227), beyond the margin "
            "of 0.033, but \"loses\" also needs the one-sided test past the margin to hold "
            "after the correction for multiple comparisons: p = 0.052",
        ),
        (  # a headline inside the margin: the general sentence
            "inconclusive",
            {"delta": -0.005, "ci_low": -0.02, "ci_high": 0.01, "against": {
                "knn": {"delta": -0.005, "ci_low": -0.02, "ci_high": 0.01}}},
            "the evidence is not strong enough (margin 0.010)",
        ),
    ],
)
def test_the_sentence_says_what_was_found_how_sure_and_how_many_seeds(verdict, overall, expected):
    sentence = R.verdict_sentence(_results(verdict, **overall))
    assert expected in sentence
    assert "20 split seeds" in sentence


def test_a_run_stopped_on_no_measurable_effect_says_so():
    results = _results("inconclusive", finding="no effect measurable")
    results["looks"] = [{"seeds": 10}]
    results["design"] = {"stopped": "no effect measurable", "max_split_seeds": 30}
    sentence = R.verdict_sentence(results)
    assert sentence == (
        "not decided: no effect measurable; 10 split seeds over 1 look (it stopped: no effect "
        "is measurable, so more seeds would not decide)"
    )


def test_an_invalid_run_says_why():
    results = {"verdict": "invalid", "verdict_reason": "SAE under-trained: dead fraction 0.4"}
    assert R.verdict_sentence(results) == "no verdict: SAE under-trained: dead fraction 0.4"


@pytest.mark.parametrize(
    ("block", "counts"),
    [
        (
            {"n": 4, "won": 0.0, "tied": 0.0, "lost": 0.0, "inconclusive": 1.0},
            {"won": 0, "tied": 0, "lost": 0, "undecided": 4},
        ),
        (
            {"n": 3, "won": 1 / 3, "tied": 1 / 3, "lost": 0.0, "inconclusive": 1 / 3},
            {"won": 1, "tied": 1, "lost": 0, "undecided": 1},
        ),
        ({}, {"won": 0, "tied": 0, "lost": 0, "undecided": 0}),
    ],
)
def test_won_tied_lost_and_undecided_add_up_to_the_datasets(block, counts):
    wtl = R.win_tie_loss({"win_tie_loss": block})
    assert wtl["counts"] == counts
    assert sum(wtl["counts"].values()) == int(block.get("n") or 0)
