"""Equal-budget hyper-parameter search on validation data only.

Each method declares a grid; :func:`budgeted_grid` draws at most ``budget`` settings from it
(all of them when the grid is small), and :func:`select` fits each setting on the training
rows, scores it on validation, and returns the best setting's test scores. Test rows are
scored once, for the chosen setting only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class MethodRun:
    """One method on one split seed."""

    val_metric: float
    test_scores: np.ndarray
    config: dict[str, Any]
    flops: float
    extra: dict[str, float] = field(default_factory=dict)


def budgeted_grid(
    axes: dict[str, list[Any]], budget: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    names = list(axes)
    combos = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(axes[n] for n in names))
    ]
    if len(combos) <= budget:
        return combos
    picks = rng.choice(len(combos), size=budget, replace=False)
    return [combos[i] for i in sorted(picks)]


#: fit(config) -> (val_scores, predict_test, flops); predict_test() gives the test scores.
Fitter = Callable[[dict[str, Any]], tuple[np.ndarray, Callable[[], np.ndarray], float]]


def select(
    configs: list[dict[str, Any]], fit: Fitter, val_metric: Callable[[np.ndarray], float]
) -> MethodRun:
    best: tuple[float, dict[str, Any], Callable[[], np.ndarray]] | None = None
    flops = 0.0
    for config in configs:
        val_scores, predict_test, cost = fit(config)
        flops += cost
        score = val_metric(val_scores)
        if not np.isfinite(score):
            score = -np.inf
        if best is None or score > best[0]:
            best = (score, config, predict_test)
    assert best is not None
    return MethodRun(
        val_metric=float(best[0]),
        test_scores=np.asarray(best[2](), dtype=np.float64),
        config=best[1],
        flops=flops,
    )
