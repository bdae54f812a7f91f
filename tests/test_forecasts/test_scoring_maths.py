"""The pure scoring module, against hand-computed tables (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evaluations import scoring

# p, y, Brier (p - y)^2, log score ln(prob. given to what happened), Casper points (y - p)
PER_FORECAST = [
    (0.99, 1, 0.0001, math.log(0.99), 0.01),
    (0.95, 1, 0.0025, math.log(0.95), 0.05),
    (0.8, 1, 0.04, math.log(0.8), 0.2),
    (0.63, 1, 0.1369, math.log(0.63), 0.37),
    (0.5, 1, 0.25, math.log(0.5), 0.5),
    (0.5, 0, 0.25, math.log(0.5), -0.5),
    (0.2, 0, 0.04, math.log(0.8), -0.2),
    (0.2, 1, 0.64, math.log(0.2), 0.8),
    (0.15, 1, 0.7225, math.log(0.15), 0.85),
    (0.0, 0, 0.0, math.log(0.999), 0.0),
    (1.0, 1, 0.0, math.log(0.999), 0.0),
    (0.0, 1, 1.0, math.log(0.001), 1.0),
    (1.0, 0, 1.0, math.log(0.001), -1.0),
    (0.0005, 1, 0.99900025, math.log(0.001), 0.9995),
]


@pytest.mark.parametrize(("p", "y", "brier", "log", "points"), PER_FORECAST)
def test_each_rule_scores_a_single_forecast_as_computed_by_hand(p, y, brier, log, points):
    assert scoring.brier_score([p], [y]) == pytest.approx([brier])
    assert scoring.log_score([p], [y]) == pytest.approx([log])
    assert scoring.casper_points([p], [y]) == pytest.approx([points])


def test_the_rules_are_vectorised_and_keep_the_order_of_forecasts():
    p = [row[0] for row in PER_FORECAST]
    y = [row[1] for row in PER_FORECAST]
    assert scoring.brier_score(p, y) == pytest.approx([row[2] for row in PER_FORECAST])
    assert scoring.log_score(p, y) == pytest.approx([row[3] for row in PER_FORECAST])
    assert scoring.casper_points(np.array(p), np.array(y, dtype=bool)) == pytest.approx(
        [row[4] for row in PER_FORECAST]
    )


MAY_2024 = ([0.99, 0.95, 0.8, 0.2, 0.2, 0.25, 0.05, 0.15, 0.1, 0.05], [1, 1, 1] + [0] * 7)
OCT_2024 = ([0.6, 0.2, 0.2, 0.15, 0.15, 0.15, 0.1, 0.1], [1, 1, 0, 1, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("forecasts", "points_total", "brier_mean"),
    [
        # 3 happened, probabilities sum to 3.74: 3 - 3.74; Brier sum 0.2226 over 10.
        (MAY_2024, -0.74, 0.02226),
        # 3 happened, probabilities sum to 1.65: 3 - 1.65; Brier sum 1.6275 over 8.
        (OCT_2024, 1.35, 0.2034375),
        (([0.63], [1]), 0.37, 0.1369),
    ],
)
def test_published_sets_total_as_their_authors_reported(forecasts, points_total, brier_mean):
    p, y = forecasts
    assert scoring.casper_points(p, y).sum() == pytest.approx(points_total)
    assert scoring.mean_brier_score(p, y) == pytest.approx(brier_mean)


@pytest.mark.parametrize(
    ("p", "y", "eps", "expected"),
    [
        ([0.0], [1], 0.01, math.log(0.01)),
        ([1.0], [1], 0.01, math.log(0.99)),
        ([0.3], [0], 0.01, math.log(0.7)),
        ([0.3], [0], 0.4, math.log(0.6)),
    ],
)
def test_log_score_clamps_probabilities_to_eps_and_one_minus_eps(p, y, eps, expected):
    assert scoring.log_score(p, y, eps=eps) == pytest.approx([expected])


@pytest.mark.parametrize(
    ("p", "y", "reference", "expected"),
    [
        ([0.5], [1], 0.5, 0.0),
        ([1.0], [1], 0.5, 1.0),
        ([0.0], [1], 0.5, -3.0),  # 1 - 1 / 0.25
        ([0.8, 0.2], [1, 0], 0.5, 1 - 0.04 / 0.25),  # 0.84
        ([0.63], [1], [0.8], 1 - 0.1369 / 0.04),  # crowd at 80% did better: -2.4225
        ([0.9, 0.1], [1, 1], [0.5, 0.5], 1 - ((0.01 + 0.81) / 2) / 0.25),  # -0.64
    ],
)
def test_skill_is_the_share_of_the_reference_brier_score_avoided(p, y, reference, expected):
    assert scoring.brier_skill_score(p, y, reference) == pytest.approx(expected)


def test_skill_is_undefined_without_forecasts_or_against_a_perfect_reference():
    assert math.isnan(scoring.brier_skill_score([], []))
    assert math.isnan(scoring.brier_skill_score([0.5], [1], [1.0]))


@pytest.mark.parametrize(
    ("scores", "prior", "k", "expected"),
    [
        ([0.0], 0.25, 5, 1.25 / 6),
        ([0.1, 0.1], 0.25, 0, 0.1),
        ([], 0.25, 5, 0.25),
        ([0.04, 0.16], 0.25, 2, (0.2 + 0.5) / 4),
    ],
)
def test_shrunk_mean_adds_pseudo_forecasts_at_the_prior(scores, prior, k, expected):
    assert scoring.shrunk_mean(scores, prior=prior, pseudo_count=k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (3, 10, 0.10779, 0.60322),
        (0, 1, 0.0, 0.79346),
        (1, 1, 0.20654, 1.0),
        (5, 10, 0.23659, 0.76341),
        (0, 10, 0.0, 0.27754),
    ],
)
def test_wilson_interval_matches_hand_computed_bounds(k, n, low, high):
    lo, hi = scoring.wilson_interval([k], [n])
    assert lo[0] == pytest.approx(low, abs=1e-5)
    assert hi[0] == pytest.approx(high, abs=1e-5)


def test_calibration_table_counts_each_bin_with_its_interval():
    p = [0.05, 0.05, 0.15, 0.85, 0.95, 0.95, 1.0, 0.1]
    y = [0, 1, 0, 1, 1, 1, 1, 0]
    table = scoring.calibration_table(p, y, bins=10)
    assert list(table["n"]) == [2, 2, 0, 0, 0, 0, 0, 0, 1, 3]
    assert list(table["happened"]) == [1, 0, 0, 0, 0, 0, 0, 0, 1, 3]
    assert table.loc[0, "mean_forecast"] == pytest.approx(0.05)
    assert table.loc[1, "mean_forecast"] == pytest.approx(0.125)  # 0.1 falls in [0.1, 0.2)
    assert table.loc[9, "mean_forecast"] == pytest.approx((0.95 + 0.95 + 1.0) / 3)
    assert table.loc[0, "observed_rate"] == pytest.approx(0.5)
    assert table.loc[9, "observed_rate"] == pytest.approx(1.0)
    # Wilson 1 of 2: centre (1 + 1.92) / 5.84, half-width 1.96 / 5.84 * sqrt(0.5 + 0.96)
    assert table.loc[0, "ci_low"] == pytest.approx(0.09453, abs=1e-5)
    assert table.loc[0, "ci_high"] == pytest.approx(0.90547, abs=1e-5)
    assert math.isnan(table.loc[4, "observed_rate"]) and math.isnan(table.loc[4, "ci_low"])
    assert table.loc[9, "bin_low"] == pytest.approx(0.9) and table.loc[9, "bin_high"] == 1.0


@pytest.mark.parametrize(("bins", "counts"), [(1, [4]), (2, [2, 2]), (4, [2, 0, 0, 2])])
def test_calibration_table_takes_any_number_of_bins(bins, counts):
    table = scoring.calibration_table([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], bins=bins)
    assert list(table["n"]) == counts


@pytest.mark.parametrize(
    ("p", "y", "bins", "reliability", "resolution", "uncertainty", "brier"),
    [
        # Groups 0.2 (rate 1/2) and 0.8 (rate 1); base rate 3/4.
        # REL = (2 * 0.3^2 + 2 * 0.2^2) / 4 = 0.065; RES = (2 * 0.25^2 * 2) / 4 = 0.0625;
        # UNC = 0.75 * 0.25 = 0.1875; BS = (0.04 + 0.64 + 0.04 + 0.04) / 4 = 0.19.
        ([0.2, 0.2, 0.8, 0.8], [0, 1, 1, 1], None, 0.065, 0.0625, 0.1875, 0.19),
        # Casper May 2024: every group is all-yes or all-no, so REL = BS and RES = UNC = 0.21.
        (*MAY_2024, None, 0.02226, 0.21, 0.21, 0.02226),
        # Always 50%: no resolution, reliability (0.5 - 0.5)^2 = 0, UNC = 0.25 = BS.
        ([0.5] * 4, [0, 1, 0, 1], None, 0.0, 0.0, 0.25, 0.25),
    ],
)
def test_murphy_decomposition_adds_up_to_the_brier_score(
    p, y, bins, reliability, resolution, uncertainty, brier
):
    parts = scoring.murphy_decomposition(p, y, bins=bins)
    assert parts.reliability == pytest.approx(reliability)
    assert parts.resolution == pytest.approx(resolution)
    assert parts.uncertainty == pytest.approx(uncertainty)
    assert parts.brier == pytest.approx(brier)
    assert parts.reliability - parts.resolution + parts.uncertainty == pytest.approx(brier)
    assert parts.residual == pytest.approx(0.0, abs=1e-12)


def test_binned_murphy_decomposition_reports_the_within_bin_residual():
    # One bin of [0.1, 0.3] with outcomes [0, 1]: f = 0.2, o = 0.5, base rate 0.5.
    # REL = 0.09, RES = 0, UNC = 0.25; BS = (0.01 + 0.49) / 2 = 0.25, residual = -0.09.
    parts = scoring.murphy_decomposition([0.1, 0.3], [0, 1], bins=1)
    assert parts.reliability == pytest.approx(0.09)
    assert parts.residual == pytest.approx(-0.09)


@pytest.mark.parametrize(
    ("p", "y", "message"),
    [
        ([1.2], [1], "Probabilities must lie in"),
        ([-0.1], [0], "Probabilities must lie in"),
        ([float("nan")], [0], "Probabilities must lie in"),
        ([0.5], [2], "Outcomes must be 0 or 1"),
        ([0.5, 0.5], [1], "differ in length"),
    ],
)
def test_bad_input_is_refused_with_a_reason(p, y, message):
    for rule in (scoring.brier_score, scoring.log_score, scoring.casper_points):
        with pytest.raises(ValueError, match=message):
            rule(p, y)
    with pytest.raises(ValueError, match=message):
        scoring.calibration_table(p, y)


def test_no_forecasts_give_empty_arrays_and_an_empty_calibration_table():
    assert scoring.brier_score([], []).size == 0
    assert math.isnan(scoring.mean_brier_score([], []))
    assert list(scoring.calibration_table([], [], bins=2)["n"]) == [0, 0]


def test_the_scoring_module_imports_nothing_from_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(scoring))
    imported = {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name and name.startswith("django") for name in imported)
