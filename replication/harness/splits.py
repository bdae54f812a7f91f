"""Train / validation / test splits for each regime, drawn from recorded seeds.

Every method of a task sees exactly the splits made here. Regimes (sparse probing):

- ``normal``: stratified train (``train_size``), validation (``val_size``), test (``test_size``).
- ``scarcity``: as normal, but train and validation each hold ``scarcity_train_size`` rows.
- ``imbalance``: positives are subsampled to ``imbalance_positive_fraction`` of train and
  validation; test keeps the natural balance.
- ``label_noise``: ``label_noise_rate`` of train and validation labels are flipped; test is clean.
- ``covariate_shift``: test comes from the dataset's OOD set where one exists; otherwise,
  within each class, rows are ordered along the first principal direction of the activations
  (no labels used) and train/validation come from the lower 60%, test from the upper 40%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from replication.harness.errors import DataError
from replication.harness.spec import ProtocolSpec


@dataclass(frozen=True)
class Split:
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    test_from_ood: bool = False  # test indices point into the OOD set


def _stratified_take(
    rng: np.random.Generator,
    idx: np.ndarray,
    y: np.ndarray,
    n: int,
    positive_fraction: float | None = None,
) -> np.ndarray:
    """Take up to n of idx, keeping the class ratio (or a set positive share), >= 2 per class."""
    pos, neg = idx[y[idx] == 1], idx[y[idx] == 0]
    if len(pos) < 2 or len(neg) < 2:
        raise DataError("a split needs at least two rows of each class")
    n = min(n, len(idx))
    share = positive_fraction if positive_fraction is not None else len(pos) / len(idx)
    n_pos = int(np.clip(round(n * share), 2, len(pos)))
    n_neg = int(np.clip(n - n_pos, 2, len(neg)))
    return np.concatenate(
        [rng.choice(pos, n_pos, replace=False), rng.choice(neg, n_neg, replace=False)]
    )


def _first_direction_order(X: np.ndarray) -> np.ndarray:
    centred = X - X.mean(0)
    _, _, vt = np.linalg.svd(centred[: min(len(X), 4000)], full_matrices=False)
    return centred @ vt[0]


def make_split(
    y: np.ndarray,
    regime: str,
    protocol: ProtocolSpec,
    seed: int,
    *,
    X: np.ndarray | None = None,
    ood_y: np.ndarray | None = None,
) -> Split:
    rng = np.random.default_rng(seed)
    n = len(y)
    all_idx = np.arange(n)
    test_from_ood = False
    if regime == "covariate_shift" and ood_y is not None and len(np.unique(ood_y)) == 2:
        test = _stratified_take(rng, np.arange(len(ood_y)), ood_y, protocol.test_size)
        rest = all_idx
        test_from_ood = True
    elif regime == "covariate_shift":
        if X is None:
            raise DataError("covariate shift without an OOD set needs activations")
        proj = _first_direction_order(X)
        lower, upper = [], []
        for c in (0, 1):
            members = all_idx[y == c]
            ordered = members[np.argsort(proj[members], kind="mergesort")]
            cut = int(len(ordered) * 0.6)
            lower.append(ordered[:cut])
            upper.append(ordered[cut:])
        rest = np.concatenate(lower)
        upper_idx = np.concatenate(upper)
        test = _stratified_take(rng, upper_idx, y, min(protocol.test_size, len(upper_idx)))
    else:
        test = _stratified_take(rng, all_idx, y, min(protocol.test_size, n // 3))
        rest = np.setdiff1d(all_idx, test)
    train_n, val_n = protocol.train_size, protocol.val_size
    positive_fraction = None
    if regime == "scarcity":
        train_n = val_n = protocol.scarcity_train_size
    elif regime == "imbalance":
        positive_fraction = protocol.imbalance_positive_fraction
    val_n = min(val_n, max(4, len(rest) // 4))
    val = _stratified_take(rng, rest, y, val_n, positive_fraction)
    remaining = np.setdiff1d(rest, val)
    train = _stratified_take(rng, remaining, y, min(train_n, len(remaining)), positive_fraction)
    y_train, y_val = y[train].copy(), y[val].copy()
    if regime == "label_noise":
        for labels in (y_train, y_val):
            flip = rng.random(len(labels)) < protocol.label_noise_rate
            labels[flip] = 1 - labels[flip]
            if len(np.unique(labels)) < 2:  # keep both classes present
                labels[0] = 1 - labels[0]
    return Split(
        train=np.sort(train),
        val=np.sort(val),
        test=np.sort(test),
        y_train=y_train[np.argsort(train)],
        y_val=y_val[np.argsort(val)],
        test_from_ood=test_from_ood,
    )
