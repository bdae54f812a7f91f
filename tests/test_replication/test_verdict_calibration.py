"""Calibration through the real harness (issue 24): planted cases with known answers run by
``run_spec`` on a ``source = "arrays"`` sparse-probing spec, with the default baselines (so
``compare.judge_family`` judges the SAE against three of them) and the shipped verdict rule.

A fast, seeded subset of ``benchmarks/verdict_calibration.py --harness`` (whose table, with
rates and Wilson intervals over many replicates, is in docs/BENCHMARKS.md): one replicate of
each case, each a full run with fewer split seeds. The win and the loss are large (the win:
SAE probe about 0.94 against kNN's 0.76 and the linear probes' 0.5; the loss: the SAE probe
well behind logistic regression), so "beats" and "loses" are the expected answers, not lucky
draws.
"""

from __future__ import annotations

import pytest

from replication.harness import calibration, stats

pytestmark = pytest.mark.harness


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    work = tmp_path_factory.mktemp("calibration")
    atoms, _ = calibration.world()
    return atoms, calibration.planted_sae(atoms, work / "sae"), work


def test_a_planted_loss_loses(planted):
    atoms, sae, work = planted
    row = calibration.one_run(
        calibration.CASES["loss"], atoms, sae, 0, work, split_seeds=4, max_split_seeds=4
    )
    assert row["verdict"] == "loses"
    overall = row["results"]["overall"]
    assert set(overall["against"]) == {"logreg", "pca_logreg", "knn"}  # judged against each
    assert overall["delta"] < -2 * overall["margin"]
    assert overall["margin"] >= stats.MARGIN_FLOOR
    assert row["results"]["looks"][0]["alpha"] == pytest.approx(0.05)  # one look: all of alpha


def test_a_planted_win_beats_every_baseline_by_more_than_twice_the_margin(planted):
    atoms, sae, work = planted
    row = calibration.one_run(
        calibration.CASES["win"], atoms, sae, 0, work, split_seeds=4, max_split_seeds=4
    )
    assert row["verdict"] == "beats"
    against = row["results"]["overall"]["against"]
    assert set(against) == {"logreg", "pca_logreg", "knn"}
    for name, block in against.items():
        assert block["ci_low"] > 2 * block["margin"], name


def test_a_true_null_neither_beats_nor_loses_and_records_every_look(planted):
    atoms, sae, work = planted
    row = calibration.one_run(
        calibration.CASES["null"], atoms, sae, 1, work, split_seeds=3, max_split_seeds=8
    )
    assert row["verdict"] in ("equivalent", "inconclusive")
    looks = row["results"]["looks"]
    assert looks[0]["seeds"] == 3
    assert all(b["seeds"] > a["seeds"] for a, b in zip(looks, looks[1:], strict=False))
    # each look at its exact group-sequential level: growing, never above alpha
    assert all(a["alpha"] < b["alpha"] <= 0.05 for a, b in zip(looks, looks[1:], strict=False))
    assert looks[0]["alpha"] == pytest.approx(stats.obf_spent(3 / 8, 0.05))
    design = row["results"]["design"]
    assert design["max_split_seeds"] == 8
    if row["verdict"] == "equivalent":
        assert design["stopped"] == "decided"
    elif looks[-1]["seeds"] < 8:
        assert design["stopped"] == "no effect measurable"
    else:
        assert design["stopped"] == "seed budget spent"


def test_near_the_ceiling_no_gap_of_thousandths_is_a_win_or_a_loss(planted):
    atoms, sae, work = planted
    row = calibration.one_run(
        calibration.CASES["ceiling"], atoms, sae, 0, work, split_seeds=4, max_split_seeds=8
    )
    overall = row["results"]["overall"]
    assert abs(overall["delta"]) < stats.MARGIN_FLOOR
    assert overall["margin"] >= stats.MARGIN_FLOOR  # the relative margin alone would be ~0
    assert row["verdict"] in ("equivalent", "inconclusive")
    looks, design = row["results"]["looks"], row["results"]["design"]
    # a look with no measurable effect ends the run instead of spending the seed budget
    assert all(look["measurable"] for look in looks[:-1])
    assert (design["stopped"] == "no effect measurable") == (not looks[-1]["measurable"])
