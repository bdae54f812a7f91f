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

import numpy as np
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


def test_the_near_margin_cases_plant_what_they_say():
    """win_2x: the unflipped win's rows with only about 28% of the positives carrying atom 0;
    loss_2x: the loss's rows with about a quarter of the labels flipped."""
    atoms, _ = calibration.world()
    along = atoms[0]
    win, win_2x = calibration.CASES["win"], calibration.CASES["win_2x"]
    X_full, y_full = calibration.labelled_rows(win, atoms, 3)
    X, y = calibration.labelled_rows(win_2x, atoms, 3)
    assert (y == y_full).all()  # the same labels; only the atom's presence thins out
    carrying = np.abs(X @ along - X_full @ along) < 1e-5
    positives = y == 1
    share = (np.abs(X[positives] @ along) > 0.4).mean()
    assert 0.2 < share < 0.36, share
    assert carrying[~positives].all()  # negatives never carry it in either case

    loss, loss_2x = calibration.CASES["loss"], calibration.CASES["loss_2x"]
    X_loss, y_loss = calibration.labelled_rows(loss, atoms, 3)
    X2, y2 = calibration.labelled_rows(loss_2x, atoms, 3)
    assert np.array_equal(X_loss, X2)
    assert 0.22 < (y_loss != y2).mean() < 0.28


@pytest.mark.parametrize(
    ("against", "expected"),
    [
        ({"a": (0.05, 0.02), "b": (0.09, 0.03)}, 2.5),  # a win: the nearest baseline's lead
        ({"a": (-0.06, 0.02), "b": (0.01, 0.02)}, -3.0),  # a loss: the one furthest ahead
        ({"a": (0.01, 0.0)}, float("nan")),  # no margin: nothing to scale by
        ({}, float("nan")),
    ],
)
def test_the_worst_baseline_in_margins(against, expected):
    overall = {"against": {k: {"delta": d, "margin": m} for k, (d, m) in against.items()}}
    got = calibration.worst_in_margins(overall)
    assert got == pytest.approx(expected, nan_ok=True)
