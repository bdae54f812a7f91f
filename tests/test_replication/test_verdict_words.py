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
