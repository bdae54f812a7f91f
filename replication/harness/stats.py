"""Statistics of the fair fight: pure numpy functions, no torch, no I/O.

- :func:`auroc` / :func:`auroc_rows`: AUROC of one score vector, or of each row of a matrix
  (rank formula, ties averaged) so that thousands of bootstrap resamples cost one sort.
- :func:`paired_bootstrap`: CI and p-value of the mean difference between two methods,
  resampling seeds and, within each seed, test examples; both methods see the same rows.
- :func:`wilcoxon_signed_rank`: two-sided test across datasets (exact without ties).
- :func:`holm`: Holm's step-down adjustment of a family of p-values.
- :func:`verdict`: beats / equivalent / loses / inconclusive with a pre-set margin.
- :func:`win_tie_loss`: the brittleness fractions over datasets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: A metric over a batch of resamples: (labels [B, n], scores [B, n], groups [B, n] | None) -> [B].
BatchMetric = Callable[[np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]


# --- metrics ---------------------------------------------------------------------------------


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks (1-based, ties averaged) along the last axis."""
    order = np.argsort(values, axis=-1, kind="mergesort")
    sorted_vals = np.take_along_axis(values, order, axis=-1)
    n = values.shape[-1]
    ranks_sorted = np.broadcast_to(np.arange(1, n + 1, dtype=np.float64), values.shape).copy()
    # average the ranks within runs of equal values
    new_run = np.ones(values.shape, dtype=bool)
    new_run[..., 1:] = sorted_vals[..., 1:] != sorted_vals[..., :-1]
    run_id = np.cumsum(new_run, axis=-1)
    flat_ids = run_id + (
        np.arange(int(np.prod(values.shape[:-1]) or 1)).reshape(values.shape[:-1] + (1,)) * (n + 1)
    )
    sums = np.bincount(flat_ids.ravel(), weights=ranks_sorted.ravel())
    counts = np.bincount(flat_ids.ravel())
    mean_rank = (sums / np.maximum(counts, 1))[flat_ids]
    ranks = np.empty_like(mean_rank)
    np.put_along_axis(ranks, order, mean_rank, axis=-1)
    return ranks


def auroc_rows(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """AUROC of each row; rows with a single class give NaN."""
    labels = np.atleast_2d(labels).astype(bool)
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    ranks = _average_ranks(scores)
    n_pos = labels.sum(axis=-1).astype(np.float64)
    n_neg = labels.shape[-1] - n_pos
    rank_sum = np.where(labels, ranks, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def auroc(labels: Sequence[float] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    return float(auroc_rows(np.asarray(labels), np.asarray(scores))[0])


def r2_rows(targets: np.ndarray, preds: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Coefficient of determination of each row."""
    targets = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    preds = np.atleast_2d(np.asarray(preds, dtype=np.float64))
    ss_res = ((targets - preds) ** 2).sum(axis=-1)
    ss_tot = ((targets - targets.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def worst_group_accuracy_rows(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None
) -> np.ndarray:
    """Minimum over groups of accuracy (score > 0.5 predicts 1); absent groups are skipped."""
    if groups is None:
        raise ValueError("worst-group accuracy needs group labels")
    labels = np.atleast_2d(labels)
    correct = (np.atleast_2d(scores) > 0.5) == labels.astype(bool)
    groups = np.atleast_2d(groups)
    worst = np.full(labels.shape[0], np.inf)
    for g in np.unique(groups):
        in_g = groups == g
        n = in_g.sum(axis=-1)
        acc = np.where(n > 0, (correct & in_g).sum(axis=-1) / np.maximum(n, 1), np.inf)
        worst = np.minimum(worst, acc)
    return np.where(np.isfinite(worst), worst, np.nan)


def fpr_at_tpr(labels: np.ndarray, scores: np.ndarray, tpr: float = 0.95) -> float:
    """False-positive rate at the threshold reaching ``tpr`` on positives (OOD = positive)."""
    labels = np.asarray(labels).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.sort(scores[labels])
    if pos.size == 0 or (~labels).sum() == 0:
        return float("nan")
    threshold = pos[int(math.floor((1 - tpr) * pos.size))]
    return float((scores[~labels] >= threshold).mean())


METRICS: dict[str, BatchMetric] = {
    "auroc": auroc_rows,
    "r2": r2_rows,
    "worst_group_accuracy": worst_group_accuracy_rows,
}


# --- paired bootstrap -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOutcome:
    """One split seed's test labels and the two methods' scores on the same test rows."""

    labels: np.ndarray
    scores_a: np.ndarray
    scores_b: np.ndarray
    groups: np.ndarray | None = None


@dataclass(frozen=True)
class Interval:
    delta: float
    ci_low: float
    ci_high: float
    p: float
    draws: np.ndarray

    def as_dict(self) -> dict[str, float]:
        return {"delta": self.delta, "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p}


def bootstrap_p(draws: np.ndarray) -> float:
    """Two-sided bootstrap p-value of 'no difference' from the resampled deltas."""
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return 1.0
    below = (np.sum(draws <= 0) + 1) / (draws.size + 1)
    above = (np.sum(draws >= 0) + 1) / (draws.size + 1)
    return float(min(1.0, 2 * min(below, above)))


def interval_from_draws(delta: float, draws: np.ndarray, level: float = 0.95) -> Interval:
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        return Interval(delta, float("nan"), float("nan"), 1.0, draws)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(float(delta), float(low), float(high), bootstrap_p(finite), draws)


def paired_bootstrap(
    seeds: Sequence[SeedOutcome],
    metric: BatchMetric,
    *,
    n_boot: int = 1000,
    rng: np.random.Generator,
    level: float = 0.95,
) -> Interval:
    """Mean over seeds of metric(a) - metric(b), with a two-level paired bootstrap.

    Each resample draws seeds with replacement, then test rows with replacement within each
    drawn seed; both methods are scored on the same rows, so the interval is paired.
    """
    if not seeds:
        raise ValueError("no seeds to bootstrap")
    per_seed = np.empty((len(seeds), n_boot))
    point = []
    for i, s in enumerate(seeds):
        n = len(s.labels)
        idx = rng.integers(0, n, size=(n_boot, n))
        groups = None if s.groups is None else s.groups[idx]
        per_seed[i] = metric(s.labels[idx], s.scores_a[idx], groups) - metric(
            s.labels[idx], s.scores_b[idx], groups
        )
        g1 = None if s.groups is None else s.groups[None]
        point.append(
            float(
                metric(s.labels[None], s.scores_a[None], g1)[0]
                - metric(s.labels[None], s.scores_b[None], g1)[0]
            )
        )
    pick = rng.integers(0, len(seeds), size=(n_boot, len(seeds)))
    draws = np.nanmean(per_seed[pick, np.arange(n_boot)[:, None]], axis=1)
    return interval_from_draws(float(np.nanmean(point)), draws, level)


def hierarchical_mean(
    intervals: Sequence[Interval], *, rng: np.random.Generator, level: float = 0.95
) -> Interval:
    """Mean delta across datasets; resamples datasets, then each dataset's own bootstrap draw."""
    if len(intervals) == 1:
        return intervals[0]
    draws = np.stack([iv.draws for iv in intervals])  # [datasets, B]
    n_boot = draws.shape[1]
    pick = rng.integers(0, len(intervals), size=(n_boot, len(intervals)))
    pooled = np.nanmean(draws[pick, np.arange(n_boot)[:, None]], axis=1)
    return interval_from_draws(float(np.nanmean([iv.delta for iv in intervals])), pooled, level)


# --- tests across datasets -------------------------------------------------------------------


def _exact_signed_rank_counts(n: int) -> np.ndarray:
    """Number of sign assignments of ranks 1..n giving each positive-rank sum W+."""
    total = n * (n + 1) // 2
    counts = np.zeros(total + 1, dtype=np.float64)
    counts[0] = 1
    for r in range(1, n + 1):
        counts[r:] = counts[r:] + counts[: total + 1 - r].copy()
    return counts


def wilcoxon_signed_rank(deltas: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test that the deltas centre on zero.

    Zeros are dropped (Wilcoxon's convention). Without ties and with n <= 50 the exact null
    distribution is used; otherwise the normal approximation with tie correction.
    """
    d = np.asarray(deltas, dtype=np.float64)
    d = d[np.isfinite(d) & (d != 0)]
    n = d.size
    if n == 0:
        return 1.0
    ranks = _average_ranks(np.abs(d)[None])[0]
    w_plus = float(ranks[d > 0].sum())
    has_ties = np.unique(np.abs(d)).size < n
    if not has_ties and n <= 50:
        counts = _exact_signed_rank_counts(n)
        w = int(round(w_plus))
        total = counts.sum()
        lower = counts[: w + 1].sum() / total
        upper = counts[w:].sum() / total
        return float(min(1.0, 2 * min(lower, upper)))
    mean = n * (n + 1) / 4
    _, tie_counts = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - (tie_counts**3 - tie_counts).sum() / 48
    if var <= 0:
        return 1.0
    z = (abs(w_plus - mean) - 0.5) / math.sqrt(var)
    return float(min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2))))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the input order."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="mergesort")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return [float(x) for x in adjusted]


# --- verdicts --------------------------------------------------------------------------------


def verdict(ci_low: float, ci_high: float, p: float, margin: float, alpha: float = 0.05) -> str:
    """The pre-registered rule, on the difference SAE minus best baseline.

    beats: CI lower bound above +margin and (corrected) p below alpha;
    loses: CI upper bound below -margin; equivalent: CI inside (-margin, +margin);
    otherwise inconclusive.
    """
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return "inconclusive"
    if ci_low > margin and p < alpha:
        return "beats"
    if ci_high < -margin:
        return "loses"
    if -margin < ci_low and ci_high < margin:
        return "equivalent"
    return "inconclusive"


def win_tie_loss(verdicts: Sequence[str]) -> dict[str, float]:
    """Fractions of datasets won (beats), tied (equivalent), lost (loses) and inconclusive."""
    n = len(verdicts)
    if n == 0:
        return {"n": 0, "won": 0.0, "tied": 0.0, "lost": 0.0, "inconclusive": 0.0}
    return {
        "n": n,
        "won": sum(v == "beats" for v in verdicts) / n,
        "tied": sum(v == "equivalent" for v in verdicts) / n,
        "lost": sum(v == "loses" for v in verdicts) / n,
        "inconclusive": sum(v == "inconclusive" for v in verdicts) / n,
    }


def across_datasets(
    intervals: Sequence[Interval], *, rng: np.random.Generator, min_wilcoxon: int = 6
) -> Interval:
    """Summary across datasets: hierarchical-bootstrap CI of the mean delta, and a p-value
    from the Wilcoxon signed-rank test over the per-dataset deltas when there are at least
    ``min_wilcoxon`` datasets (fewer cannot reach p < 0.05), else the bootstrap p-value."""
    pooled = hierarchical_mean(intervals, rng=rng)
    if len(intervals) >= min_wilcoxon:
        p = wilcoxon_signed_rank([iv.delta for iv in intervals])
        return Interval(pooled.delta, pooled.ci_low, pooled.ci_high, p, pooled.draws)
    return pooled


def bootstrap_metric(
    labels: Sequence[np.ndarray],
    scores: Sequence[np.ndarray],
    groups: Sequence[np.ndarray | None],
    metric: BatchMetric,
    *,
    n_boot: int = 1000,
    rng: np.random.Generator,
    level: float = 0.95,
) -> tuple[float, float, float, list[float]]:
    """(mean over seeds, CI low, CI high, per-seed values) of one method's metric, resampling
    seeds and test rows as :func:`paired_bootstrap` does."""
    per_seed_values = []
    per_seed = np.empty((len(labels), n_boot))
    for i, (y, s, g) in enumerate(zip(labels, scores, groups, strict=True)):
        g1 = None if g is None else g[None]
        per_seed_values.append(float(metric(y[None], s[None], g1)[0]))
        idx = rng.integers(0, len(y), size=(n_boot, len(y)))
        per_seed[i] = metric(y[idx], s[idx], None if g is None else g[idx])
    pick = rng.integers(0, len(labels), size=(n_boot, len(labels)))
    draws = np.nanmean(per_seed[pick, np.arange(n_boot)[:, None]], axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(draws, [tail, 100 - tail])
    return float(np.nanmean(per_seed_values)), float(low), float(high), per_seed_values
