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

#: inverse L2 strength on standardised columns: 10 values like sae-probes' grid, with its floor
#: (1e-5, where the probe is close to a mean-difference classifier, which scarce rows favour)
C_GRID = [10.0**e for e in range(-5, 5)]
#: the sparse-probing paper's k values (Kantamneni et al. 2025 try 1 to 512)
LATENT_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


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


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float, penalty: str = "l2") -> Fitted:
    """Standardise on the fit rows, then L2 (or L1) logistic regression; scores are logits."""
    scale = scaler(X)
    if penalty == "l1":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=C, penalty="l1", solver="liblinear", max_iter=500)
    else:
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


def mean_activation_normalise(Z: np.ndarray) -> np.ndarray:
    """Each column divided by its mean non-zero |activation| (the sparse-probing paper's
    normalisation before ranking), so a rarely-firing latent is not ranked low for its small
    mean alone."""
    counts = (Z != 0).sum(0)
    means = np.abs(Z).sum(0) / (counts + 1e-6)
    return Z / (means + 1e-6)


def mean_difference_order(Z: np.ndarray, y: np.ndarray, normalise: bool = False) -> np.ndarray:
    """Columns ordered by |mean(positives) - mean(negatives)| on the fit rows, largest first;
    with ``normalise``, after :func:`mean_activation_normalise`."""
    A = mean_activation_normalise(Z) if normalise else Z
    diff = np.abs(A[y == 1].mean(0) - A[y == 0].mean(0))
    return np.argsort(-diff, kind="mergesort")


#: probe variants: (rank after mean-activation normalisation, penalty, binarise the columns)
PROBE_VARIANTS: dict[str, tuple[bool, str, bool]] = {
    "": (True, "l2", False),  # the sparse-probing paper's SAE probe
    "l1": (True, "l1", False),
    "binarised": (True, "l2", True),
    "raw": (False, "l2", False),  # the top-k rule on raw dimensions
}


def top_k_probe_learner(variant: str = "raw") -> Learner:
    """The k columns with the largest mean difference on the fit rows, then logistic
    regression (the ranking is recomputed per fold, so validation rows never leak into it);
    ``variant`` is a key of :data:`PROBE_VARIANTS`."""
    normalise, penalty, binarise = PROBE_VARIANTS[variant]
    orders = FoldCache()

    def prepare(A: np.ndarray) -> np.ndarray:
        return (A != 0).astype(np.float32) if binarise else A

    def learn(config: dict[str, Any], Z: np.ndarray, y: np.ndarray) -> Fitted:
        cols = orders.get(Z, lambda: mean_difference_order(Z, y, normalise))[: config["k"]]
        inner = fit_logistic(prepare(Z[:, cols]), y, config["C"], penalty)
        return Fitted(
            predict=lambda A: inner.predict(prepare(A[:, cols])),
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
