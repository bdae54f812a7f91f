"""The tracker's read-only view of results.json: the invalid verdict, scope and SAE quality."""

from __future__ import annotations

import pytest

from replication import results as R


@pytest.mark.parametrize(
    ("results", "verdict", "reason"),
    [
        ({"verdict": "loses", "overall": {"delta": -0.1}}, "loses", ""),
        (
            {"verdict": "invalid", "verdict_reason": "SAE under-trained: dead fraction 0.330"},
            "invalid",
            "SAE under-trained: dead fraction 0.330",
        ),
        ({}, "", ""),
    ],
)
def test_overall_carries_the_verdict_and_its_reason(results, verdict, reason):
    row = R.overall(results)
    assert row["verdict"] == verdict and row["verdict_reason"] == reason


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ({"scope": {"tests": "a", "does_not_test": "b"}}, {"tests": "a", "does_not_test": "b"}),
        ({"scope": {"tests": "a"}}, {"tests": "a", "does_not_test": ""}),
        ({}, {"tests": "", "does_not_test": ""}),  # results written before issue 11
    ],
)
def test_scope_reads_what_is_there(results, expected):
    assert R.scope(results) == expected


def test_sae_quality_reads_held_out_figures_and_the_gate():
    results = {
        "sae": {
            "held_out": {"fve": 0.31, "l0": 4.0, "dead_fraction": float("nan")},
            "quality_gate": {"passed": False, "failures": ["dead fraction 0.4 > 0.25"]},
        }
    }
    quality = R.sae_quality(results)
    assert quality == {
        "fve": 0.31,
        "l0": 4.0,
        "dead_fraction": None,
        "passed": False,
        "failures": ["dead fraction 0.4 > 0.25"],
    }
    assert R.sae_quality({})["passed"] is None
