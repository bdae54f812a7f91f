"""Fitters shared by the tasks: scikit-learn models wrapped for :func:`tuning.select`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.stats import auroc
from replication.harness.tuning import Fitter

C_GRID = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
#: the sparse-probing paper's k values (Kantamneni et al. 2025 try 1 to 512)
LATENT_COUNTS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    mean = train.mean(0)
    std = train.std(0)
    std[std < 1e-8] = 1.0
    return [(a - mean) / std for a in (train, *others)]


def logistic(C: float, n_rows: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=500, solver="lbfgs" if n_rows > 200 else "liblinear")


def fit_logistic(
    Xtr: np.ndarray,
    ytr: np.ndarray,
    Xva: np.ndarray,
    Xte: np.ndarray,
    C: float,
    penalty: str = "l2",
) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
    tr, va, te = standardise(Xtr, Xva, Xte)
    if penalty == "l1":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=C, penalty="l1", solver="liblinear", max_iter=500)
    else:
        model = logistic(C, len(tr))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(tr, ytr)
    cost = (
        fl.logistic_regression_flops(len(tr), tr.shape[1]) + 2.0 * (len(va) + len(te)) * tr.shape[1]
    )
    return model.decision_function(va), lambda: model.decision_function(te), cost


def mean_activation_normalise(Z: np.ndarray) -> np.ndarray:
    """Each column divided by its mean non-zero |activation| (the sparse-probing paper's
    normalisation before ranking), so rarely-firing latents are not ranked low for their
    small means alone."""
    counts = (Z != 0).sum(0)
    means = np.abs(Z).sum(0) / (counts + 1e-6)
    return Z / (means + 1e-6)


def mean_difference_order(Z: np.ndarray, y: np.ndarray, normalise: bool = False) -> np.ndarray:
    """Columns ordered by |mean(positives) - mean(negatives)| on training rows, largest first;
    with ``normalise``, after :func:`mean_activation_normalise`."""
    A = mean_activation_normalise(Z) if normalise else Z
    diff = np.abs(A[y == 1].mean(0) - A[y == 0].mean(0))
    return np.argsort(-diff, kind="mergesort")


#: SAE probe variants: (rank after mean-activation normalisation, penalty, binarise latents)
PROBE_VARIANTS: dict[str, tuple[bool, str, bool]] = {
    "": (True, "l2", False),
    "l1": (True, "l1", False),
    "binarised": (True, "l2", True),
    "raw": (False, "l2", False),
}


def top_k_probe_fitter(
    Ztr: np.ndarray,
    ytr: np.ndarray,
    Zva: np.ndarray,
    Zte: np.ndarray,
    variant: str = "raw",
) -> Fitter:
    """Select the k columns with the largest train mean difference, then logistic regression
    (``variant``: see :data:`PROBE_VARIANTS`)."""
    normalise, penalty, binarise = PROBE_VARIANTS[variant]
    order = mean_difference_order(Ztr, ytr, normalise)

    def fit(config: dict[str, Any]) -> tuple[np.ndarray, Callable[[], np.ndarray], float]:
        cols = order[: config["k"]]
        parts = [A[:, cols] for A in (Ztr, Zva, Zte)]
        if binarise:
            parts = [(A != 0).astype(np.float32) for A in parts]
        return fit_logistic(parts[0], ytr, parts[1], parts[2], config["C"], penalty)

    return fit


def latent_axes(max_latents: int, width: int) -> dict[str, list[Any]]:
    counts = [k for k in LATENT_COUNTS if k <= min(max_latents, width)]
    return {"k": counts, "C": C_GRID}


def auroc_metric(y: np.ndarray) -> Callable[[np.ndarray], float]:
    return lambda scores: auroc(y, scores) if len(np.unique(y)) == 2 else float("nan")
