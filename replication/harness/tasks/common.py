"""Learners shared by the tasks: scikit-learn models wrapped for :func:`tuning.select_cv`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.spec import ProtocolSpec
from replication.harness.stats import auroc
from replication.harness.tuning import Fitted, FoldCache, Folds, Learner, cv_folds

C_GRID = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
LATENT_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256]


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    scale = scaler(train)
    return [scale(a) for a in (train, *others)]


def scaler(train: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Standardisation fitted on ``train``'s columns, applicable to any rows."""
    mean = train.mean(0)
    std = train.std(0)
    std[std < 1e-8] = 1.0
    return lambda a: (a - mean) / std


def logistic(C: float, n_rows: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=500, solver="lbfgs" if n_rows > 200 else "liblinear")


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float) -> Fitted:
    """Standardise on the fit rows, then L2 logistic regression; scores are logits."""
    scale = scaler(X)
    model = logistic(C, len(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(scale(X), y)
    return Fitted(
        predict=lambda A: model.decision_function(scale(A)),
        flops=fl.logistic_regression_flops(len(X), X.shape[1]),
        flops_per_row=2.0 * X.shape[1],
    )


def logistic_learner(config: dict[str, Any], X: np.ndarray, y: np.ndarray) -> Fitted:
    return fit_logistic(X, y, config["C"])


def mean_difference_order(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Columns ordered by |mean(positives) - mean(negatives)| on the fit rows, largest first."""
    diff = np.abs(Z[y == 1].mean(0) - Z[y == 0].mean(0))
    return np.argsort(-diff, kind="mergesort")


def top_k_probe_learner() -> Learner:
    """The k columns with the largest mean difference on the fit rows, then logistic
    regression (the ranking is recomputed per fold, so validation rows never leak into it)."""
    orders = FoldCache()

    def learn(config: dict[str, Any], Z: np.ndarray, y: np.ndarray) -> Fitted:
        cols = orders.get(Z, lambda: mean_difference_order(Z, y))[: config["k"]]
        inner = fit_logistic(Z[:, cols], y, config["C"])
        return Fitted(
            predict=lambda A: inner.predict(A[:, cols]),
            flops=inner.flops,
            flops_per_row=inner.flops_per_row,
        )

    return learn


def latent_axes(max_latents: int, width: int) -> dict[str, list[Any]]:
    counts = [k for k in LATENT_COUNTS if k <= min(max_latents, width)]
    return {"k": counts, "C": C_GRID}


def auroc_metric(y: np.ndarray, scores: np.ndarray) -> float:
    """AUROC, or NaN when the rows hold a single class."""
    return auroc(y, scores) if len(np.unique(y)) == 2 else float("nan")


def dev_folds(strata: np.ndarray | None, n_rows: int, proto: ProtocolSpec, seed: int) -> Folds:
    """The split seed's folds over its development rows, shared by every method."""
    return cv_folds(
        strata, n_rows, k=proto.cv_folds, loo_at_most=proto.cv_loo_at_most, seed=seed + 7
    )
