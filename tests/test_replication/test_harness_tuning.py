"""Cross-validated tuning: folds, the choice, the single refit and the single test pass."""

from __future__ import annotations

import numpy as np
import pytest

from replication.harness.tuning import (
    Fitted,
    FoldCache,
    budgeted_grid,
    cv_folds,
    fixed_fit_folds,
    select_cv,
)

pytestmark = pytest.mark.harness


@pytest.mark.parametrize(
    ("n_pos", "n_neg", "k", "loo_at_most", "kind", "n_folds"),
    [
        (30, 30, 5, 40, "stratified_kfold", 5),
        (3, 40, 5, 20, "stratified_kfold", 3),  # k capped at the smallest class
        (8, 8, 5, 40, "leave_one_out", 16),  # tiny: leave-one-out
        (16, 16, 5, 32, "leave_one_out", 32),
    ],
)
def test_folds_cover_every_row_once_and_keep_both_classes(
    n_pos, n_neg, k, loo_at_most, kind, n_folds
):
    y = np.array([1] * n_pos + [0] * n_neg)
    folds = cv_folds(y, len(y), k=k, loo_at_most=loo_at_most, seed=3)
    assert folds.kind == kind and len(folds) == n_folds
    scored = np.concatenate([score for _, score in folds.parts])
    assert sorted(scored.tolist()) == list(range(len(y)))
    for fit, score in folds.parts:
        assert not set(fit.tolist()) & set(score.tolist())
        assert set(y[fit].tolist()) == {0, 1}


def test_stratified_folds_keep_the_class_mix():
    y = np.array([1] * 10 + [0] * 40)
    folds = cv_folds(y, 50, k=5, loo_at_most=0, seed=0)
    assert [int(y[score].sum()) for _, score in folds.parts] == [2, 2, 2, 2, 2]


def test_continuous_targets_get_plain_k_fold():
    folds = cv_folds(None, 23, k=4, loo_at_most=0, seed=0)
    assert folds.kind == "kfold" and sorted(len(s) for _, s in folds.parts) == [5, 6, 6, 6]


def test_too_few_rows_is_a_clear_error():
    with pytest.raises(ValueError, match="at least two development rows"):
        cv_folds(np.array([1]), 1, k=5, loo_at_most=0, seed=0)


def _auc(y, s):
    from replication.harness.stats import auroc

    return auroc(y, s)


def test_select_cv_picks_by_cross_validation_then_refits_once_on_every_dev_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 1))
    y = (X[:, 0] > 0).astype(int)
    X_test = np.array([[-1.0], [1.0]])
    calls = []

    def learn(config, X_fit, y_fit):
        calls.append((config["sign"], len(X_fit)))
        sign = config["sign"]
        return Fitted(lambda A: sign * A[:, 0], flops=1.0, flops_per_row=0.5)

    folds = cv_folds(y, 60, k=5, loo_at_most=0, seed=1)
    run = select_cv([{"sign": -1}, {"sign": 1}], learn, X, y, X_test, _auc, folds)
    assert run.config == {"sign": 1} and run.val_metric == 1.0
    assert run.test_scores.tolist() == [-1.0, 1.0]
    assert run.selection == "stratified_kfold"
    # 5 folds per setting, then one refit of the chosen setting on all 60 rows
    assert calls[-1] == (1, 60) and len(calls) == 11
    assert run.flops == pytest.approx(11 * 1.0 + 0.5 * (2 * 60 + 2))


def test_fixed_fit_folds_reuse_the_model_for_the_test_pass():
    calls = []

    def learn(config, X_fit, y_fit):
        calls.append(len(X_fit))
        return Fitted(lambda A: A[:, 0] * config["w"])

    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    run = select_cv([{"w": 1}, {"w": -1}], learn, X, y, X, _auc, fixed_fit_folds(4))
    assert calls == [0, 0] and run.config == {"w": 1} and run.selection == "fixed_fit"


def test_select_cv_refuses_mismatched_rows():
    with pytest.raises(ValueError, match="folds cover 4 rows"):
        select_cv(
            [{}],
            lambda c, X, y: Fitted(lambda A: A[:, 0]),
            np.zeros((3, 1)),
            np.zeros(3),
            np.zeros((1, 1)),
            _auc,
            fixed_fit_folds(4),
        )


def test_fold_cache_computes_once_per_fit_array():
    cache, A, B = FoldCache(), np.zeros(3), np.zeros(3)
    counter = []
    for X in (A, A, B):
        cache.get(X, lambda: counter.append(1))
    assert len(counter) == 2 and A in cache and np.ones(2) not in cache


def test_a_small_grid_is_tried_whole():
    axes = {"k": [1, 2], "C": [0.1, 1.0]}
    assert budgeted_grid(axes, 4, np.random.default_rng(0)) == [
        {"k": 1, "C": 0.1},
        {"k": 1, "C": 1.0},
        {"k": 2, "C": 0.1},
        {"k": 2, "C": 1.0},
    ]


@pytest.mark.parametrize("seed", range(20))
def test_a_budgeted_draw_spans_every_axis(seed):
    """Four draws from a 10-value grid land one in each quarter of it, for a one-axis grid
    and along each axis of a two-axis grid: every method is searched the same way."""
    values = list(range(10))
    one = budgeted_grid({"C": values}, 4, np.random.default_rng(seed))
    assert len(one) == 4 and len({c["C"] for c in one}) == 4
    two = budgeted_grid({"k": values, "C": values}, 4, np.random.default_rng(seed))
    assert len(two) == 4 and len({(c["k"], c["C"]) for c in two}) == 4
    for draws in ([c["C"] for c in one], [c["k"] for c in two], [c["C"] for c in two]):
        # strata of 2.5 values: [0, 2], [2, 4], [5, 7], [7, 9]
        assert min(draws) <= 2 and max(draws) >= 7
        assert any(2 <= v <= 4 for v in draws) and any(5 <= v <= 7 for v in draws)


def test_a_budgeted_draw_is_reproducible_and_never_repeats():
    axes = {"k": [1, 2, 4], "C": [0.1, 1.0]}  # 6 settings, strata narrower than one value
    for seed in range(30):
        first = budgeted_grid(axes, 5, np.random.default_rng(seed))
        assert first == budgeted_grid(axes, 5, np.random.default_rng(seed))
        assert len({(c["k"], c["C"]) for c in first}) == 5
