"""Calibration through the real harness (issue 24): planted cases with known answers run by
``run_spec`` on a ``source = "arrays"`` sparse-probing spec, with the default baselines (so
``compare.judge_family`` judges the SAE against three of them) and the shipped verdict rule.

A fast, seeded subset of ``benchmarks/verdict_calibration.py --harness`` (whose table, with
rates and Wilson intervals over many replicates, is in docs/BENCHMARKS.md): one replicate per
case, each a full run. The planted effects are large (docs/BENCHMARKS.md gives the methods'
AUROCs), so these verdicts are the expected answers, not lucky draws.
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


def test_a_planted_win_beats_every_baseline(planted):
    atoms, sae, work = planted
    row = calibration.one_run(calibration.CASES["win"], atoms, sae, 0, work)
    overall = row["results"]["overall"]
    assert set(overall["against"]) == {"logreg", "pca_logreg", "knn"}
    assert row["verdict"] == "beats"
    # beats means beating each baseline by more than its margin, never below the floor
    for est in overall["against"].values():
        assert est["margin"] >= stats.MARGIN_FLOOR
        assert est["ci_low"] > est["margin"]


def test_a_planted_loss_loses(planted):
    atoms, sae, work = planted
    row = calibration.one_run(calibration.CASES["loss"], atoms, sae, 0, work)
    assert row["verdict"] == "loses"
    assert row["results"]["overall"]["delta"] < -2 * row["results"]["overall"]["margin"]


def test_a_true_null_neither_beats_nor_loses_and_records_every_look(planted):
    atoms, sae, work = planted
    row = calibration.one_run(
        calibration.CASES["null"], atoms, sae, 1, work, split_seeds=4, max_split_seeds=16
    )
    assert row["verdict"] in ("equivalent", "inconclusive")
    looks = row["results"]["looks"]
    assert [look["seeds"] for look in looks][0] == 4
    assert all(b["seeds"] > a["seeds"] for a, b in zip(looks, looks[1:], strict=False))
    assert sum(look["alpha"] for look in looks) <= 0.05 + 1e-12
    design = row["results"]["design"]
    assert design["max_split_seeds"] == 16
    stopped_early = looks[-1]["seeds"] < 16
    assert (design["stopped"] == "decided") == (row["verdict"] == "equivalent" or stopped_early)


def test_near_the_ceiling_no_gap_of_thousandths_is_a_win_or_a_loss(planted):
    atoms, sae, work = planted
    row = calibration.one_run(calibration.CASES["ceiling"], atoms, sae, 0, work)
    overall = row["results"]["overall"]
    assert abs(overall["delta"]) < stats.MARGIN_FLOOR
    assert row["verdict"] in ("equivalent", "inconclusive")
