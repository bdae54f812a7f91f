"""Equal-budget hyper-parameter search by cross-validation, then one refit and one test pass.

Each method declares a grid; :func:`budgeted_grid` draws at most ``budget`` settings from it
(all of them when the grid is small; a Latin-hypercube draw over its axes otherwise).
:func:`select_cv` scores every setting by cross-validation over the *development* rows
(training and validation together), keeps the best, refits it on all development rows and
scores the test rows once, for that setting only.

Why cross-validation: under scarcity the validation split holds 8-16 rows, so a choice made
on it is mostly noise (issue 10, item 5). Folds come from :func:`cv_folds`: stratified
k-fold, or leave-one-out when the development rows are few. Every method of a split seed
gets the same folds. The cross-validated metric is computed once on the pooled out-of-fold
scores (defined for leave-one-out too, where a fold holds one row); it is the run's
``val_metric``, which is also what picks the SAE method and the best baseline.

A method is a :data:`Learner`: ``learn(config, X_fit, y_fit) -> Fitted``, where ``X_fit`` and
``y_fit`` are the rows it may fit on (a fold's training part, then all development rows)
and ``Fitted.predict`` scores any rows. ``y`` may be 2-D when a task needs more than the
label (spurious-correlation removal passes the label and the attribute).
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

    val_metric: float  # the chosen setting's cross-validated metric (the selection score)
    test_scores: np.ndarray
    config: dict[str, Any]
    flops: float
    extra: dict[str, float] = field(default_factory=dict)
    selection: str = "validation"  # how the setting was chosen: a Folds.kind


def budgeted_grid(
    axes: dict[str, list[Any]], budget: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """At most ``budget`` settings of the grid ``axes`` (all of them when it is no larger).

    Larger grids get a Latin-hypercube draw over the axes' positions: each axis is cut into
    ``budget`` equal strata of its values and every stratum gets one setting, paired at
    random across axes. So four draws from a 10-value C grid span its whole range (a plain
    random draw can miss every value below 1e-2, say), and a grid with two axes gets the
    same coverage of each axis as a one-axis grid: every method is searched the same way.
    A setting drawn twice is replaced by a random unused one, so the count is exact.
    """
    names = list(axes)
    combos = [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(axes[n] for n in names))
    ]
    if len(combos) <= budget:
        return combos
    sizes = [len(axes[n]) for n in names]
    strata = np.arange(budget)
    positions = [
        rng.permutation(np.floor((strata + rng.random(budget)) * size / budget).astype(int))
        for size in sizes
    ]
    picks = {int(np.ravel_multi_index(tuple(p[i] for p in positions), sizes)) for i in strata}
    unused = [i for i in range(len(combos)) if i not in picks]
    extra = rng.choice(len(unused), size=budget - len(picks), replace=False)
    picks.update(unused[i] for i in extra)
    return [combos[i] for i in sorted(picks)]


def grid_notes(grids: dict[str, dict[str, list[Any]]]) -> dict[str, dict[str, Any]]:
    """Each method's grid and its size, as results list them (``notes.grids``)."""
    return {
        name: {"axes": axes, "size": int(np.prod([len(v) for v in axes.values()]))}
        for name, axes in grids.items()
    }


# --- folds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Folds:
    """Cross-validation folds over the development rows (positions 0..n-1 of X_dev)."""

    kind: str  # "stratified_kfold", "kfold", "leave_one_out" or "fixed_fit"
    parts: tuple[tuple[np.ndarray, np.ndarray], ...]  # (fit positions, score positions)
    n_rows: int

    def __len__(self) -> int:
        return len(self.parts)


def cv_folds(
    strata: np.ndarray | None,
    n_rows: int,
    *,
    k: int,
    loo_at_most: int,
    seed: int,
) -> Folds:
    """Stratified k-fold over ``n_rows`` development rows, or leave-one-out when tiny.

    ``strata`` (labels, or groups) keeps each fold's class mix; ``None`` gives plain shuffled
    k-fold (continuous targets). Leave-one-out is used when ``n_rows <= loo_at_most``. With
    strata, k is capped at the smallest stratum's size so that every training part keeps
    every stratum.
    """
    if n_rows < 2:
        raise ValueError("cross-validation needs at least two development rows")
    positions = np.arange(n_rows)
    if n_rows <= loo_at_most:
        parts = tuple((np.delete(positions, i), positions[i : i + 1]) for i in range(n_rows))
        return Folds("leave_one_out", parts, n_rows)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(n_rows, dtype=np.int64)
    if strata is None:
        k = max(2, min(k, n_rows))
        fold_of[rng.permutation(n_rows)] = np.arange(n_rows) % k
        kind = "kfold"
    else:
        strata = np.asarray(strata)
        if strata.shape[0] != n_rows:
            raise ValueError(f"strata has {strata.shape[0]} rows, expected {n_rows}")
        _, counts = np.unique(strata, return_counts=True)
        k = max(2, min(k, int(counts.min())))
        offset = 0
        for value in np.unique(strata):
            members = rng.permutation(np.flatnonzero(strata == value))
            # continue the round-robin across strata so fold sizes stay balanced
            fold_of[members] = (np.arange(len(members)) + offset) % k
            offset += len(members)
        kind = "stratified_kfold"
    parts = tuple((positions[fold_of != f], positions[fold_of == f]) for f in range(k))
    return Folds(kind, parts, n_rows)


def fixed_fit_folds(n_rows: int) -> Folds:
    """One part that scores every development row: for methods whose fit set is fixed and
    unlabelled (OOD detection), where there is nothing for cross-validation to vary."""
    positions = np.arange(n_rows)
    return Folds("fixed_fit", ((positions[:0], positions),), n_rows)


# --- selection -------------------------------------------------------------------------------


@dataclass
class Fitted:
    """A method fitted on some rows: a scorer, the fitting cost, and what to record."""

    predict: Callable[[np.ndarray], np.ndarray]
    flops: float = 0.0
    flops_per_row: float = 0.0  # cost of scoring one row
    info: dict[str, Any] = field(default_factory=dict)  # merged into the run's config


#: learn(config, X_fit, y_fit) -> Fitted.
Learner = Callable[[dict[str, Any], np.ndarray, np.ndarray], Fitted]
#: metric(labels, scores) -> float; higher is better; NaN counts as the worst.
RowMetric = Callable[[np.ndarray, np.ndarray], float]


def cross_validated(
    config: dict[str, Any],
    learn: Learner,
    X_dev: np.ndarray,
    y_dev: np.ndarray,
    metric: RowMetric,
    folds: Folds,
    fold_data: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None,
) -> tuple[float, float, list[Fitted]]:
    """(metric on the pooled out-of-fold scores, flops, the fold models) of one setting."""
    oof = np.full(folds.n_rows, np.nan)
    flops = 0.0
    models = []
    data = fold_data or _slice_folds(X_dev, y_dev, folds)
    for (_, score), (X_fit, y_fit, X_score) in zip(folds.parts, data, strict=True):
        fitted = learn(config, X_fit, y_fit)
        models.append(fitted)
        oof[score] = np.asarray(fitted.predict(X_score), dtype=np.float64)
        flops += fitted.flops + fitted.flops_per_row * len(score)
    value = metric(y_dev, oof)
    return (float(value) if np.isfinite(value) else -np.inf), flops, models


def _slice_folds(
    X_dev: np.ndarray, y_dev: np.ndarray, folds: Folds
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    # Sliced once and shared by every setting: a learner may cache per-fold work (a feature
    # ranking, a Lasso path) keyed on the identity of X_fit. A part covering every row is
    # X_dev itself, so a scorer can recognise rows it has already encoded.
    def take(A: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return A if len(positions) == folds.n_rows else A[positions]

    return [(take(X_dev, fit), take(y_dev, fit), take(X_dev, score)) for fit, score in folds.parts]


def select_cv(
    configs: list[dict[str, Any]],
    learn: Learner,
    X_dev: np.ndarray,
    y_dev: np.ndarray,
    X_test: np.ndarray,
    metric: RowMetric,
    folds: Folds,
) -> MethodRun:
    """Best setting by cross-validation, refit on all development rows, one test pass."""
    if not configs:
        raise ValueError("no settings to choose from")
    if len(X_dev) != folds.n_rows or len(y_dev) != folds.n_rows:
        raise ValueError(f"folds cover {folds.n_rows} rows, got {len(X_dev)} / {len(y_dev)}")
    data = _slice_folds(X_dev, y_dev, folds)
    best: tuple[float, dict[str, Any], list[Fitted]] | None = None
    flops = 0.0
    for config in configs:
        score, cost, models = cross_validated(config, learn, X_dev, y_dev, metric, folds, data)
        flops += cost
        if best is None or score > best[0]:
            best = (score, config, models)
    assert best is not None
    # a fixed fit set makes the refit the same model: reuse it rather than fit (and charge) twice
    if folds.kind == "fixed_fit":
        refit = best[2][0]
    else:
        refit = learn(best[1], X_dev, y_dev)
        flops += refit.flops
    test_scores = np.asarray(refit.predict(X_test), dtype=np.float64)
    flops += refit.flops_per_row * len(X_test)
    return MethodRun(
        val_metric=float(best[0]),
        test_scores=test_scores,
        config={**best[1], **refit.info},
        flops=flops,
        selection=folds.kind,
    )


class FoldCache:
    """Per-fold memo for learners: work that depends on the fit rows but not the setting."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[np.ndarray, Any]] = {}

    def __contains__(self, X_fit: object) -> bool:
        hit = self._items.get(id(X_fit))
        return hit is not None and hit[0] is X_fit

    def get(self, X_fit: np.ndarray, compute: Callable[[], Any]) -> Any:
        hit = self._items.get(id(X_fit))
        if hit is not None and hit[0] is X_fit:
            return hit[1]
        value = compute()
        self._items[id(X_fit)] = (X_fit, value)  # holding X_fit keeps its id from being reused
        return value


# --- strength search (steering) ----------------------------------------------------------------
#
# A steering method's strength is searched the way AxBench picks its factor: settings are tried
# on validation prompts and the one with the best headline kept. The grid is not fixed in
# advance, so that it holds interior, effective strengths: a first stage spreads half the
# budget over the span (geometrically, ends excluded), then the rest of the budget goes inside
# the bracket around the best point, on the side the concept/quality trade-off points to (too
# little concept: stronger; too little quality: weaker). Zero is never tried.


@dataclass(frozen=True)
class StrengthPoint:
    """One tried strength on the validation prompts."""

    strength: float
    headline: float
    concept: float
    quality: float
    effective: bool  # False: the intervention left the residual stream unchanged (a no-op)


def strength_span(values: list[float]) -> tuple[float, float]:
    """(smallest positive, largest) of a spec's strength list; zero (a no-op) never counts."""
    positive = sorted(float(v) for v in values if float(v) > 0)
    if not positive:
        raise ValueError(f"no positive strength in {values}: strength 0 is the unsteered model")
    return positive[0], positive[-1]


def interior_ladder(low: float, high: float, n: int) -> list[float]:
    """``n`` strengths spread geometrically over [low, high] at the centres of n equal log-bins,
    so neither end is tried (the ends of a span are its no-op and gibberish extremes)."""
    if n < 1:
        return []
    if high <= low:
        return [low] * n
    centres = (np.arange(n) + 0.5) / n
    return [float(v) for v in np.exp(np.log(low) + centres * (np.log(high) - np.log(low)))]


def refine_strengths(
    points: list[StrengthPoint], low: float, high: float, n: int
) -> list[float]:
    """``n`` new strengths strictly inside the bracket around the best effective point."""
    if n < 1 or not points:
        return []
    ordered = sorted(points, key=lambda p: p.strength)
    best = ordered[choose_strength(ordered)]
    i = ordered.index(best)
    stronger = best.concept < best.quality  # the trade-off says: more concept is affordable
    up = ordered[i + 1].strength if i + 1 < len(ordered) else high
    down = ordered[i - 1].strength if i > 0 else low
    edge = up if stronger else down
    if np.isclose(edge, best.strength):  # the best sits at the span's edge: look the other way
        edge = down if stronger else up
    lo, hi = sorted((best.strength, edge))
    if np.isclose(lo, hi):  # a span of one value
        return [lo] * n
    tried = {p.strength for p in points}
    inside = np.exp(np.log(lo) + (np.arange(1, n + 1) / (n + 1)) * (np.log(hi) - np.log(lo)))
    return [float(v) for v in inside if float(v) not in tried][:n] or [float(np.sqrt(lo * hi))]


def choose_strength(points: list[StrengthPoint]) -> int:
    """Index of the best effective point by headline; a no-op is chosen only when every point is
    one (the caller records that the method had no effective setting)."""
    if not points:
        raise ValueError("no strengths were tried")
    effective = [i for i, p in enumerate(points) if p.effective]
    pool = effective or list(range(len(points)))
    return max(pool, key=lambda i: (points[i].headline, -points[i].strength))
