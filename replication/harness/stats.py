"""Statistics of the fair fight: pure numpy (and scipy.special), no torch, no I/O.

- Metrics: :func:`auroc` / :func:`auroc_rows` (rank formula, ties averaged), R^2,
  worst-group accuracy, FPR at 95% TPR; and weighted versions (:data:`WEIGHTED_METRICS`)
  that score many row-resamples of one test set at once.
- :func:`paired_estimate`: the mean over split seeds of metric(a) - metric(b), with a
  standard error that counts both sources of noise and the rows the seeds share.
- :func:`combine_datasets`, :func:`average_estimates`: estimates across datasets / regimes.
- :class:`Estimate`: a delta, its standard error and degrees of freedom, and the margin;
  its p-values for "beats", "loses" and "equivalent" use one t reference for all three.
- :func:`margin_for`: the margin, relative to the error with an absolute floor under it.
- :func:`decide`: the verdict rule (rule :data:`RULE_VERSION`) from family p-values.
- :func:`obf_spent`, :func:`look_alphas`: alpha spending for looks at growing seed counts.
- :func:`holm`, :func:`win_tie_loss`, :func:`bootstrap_metric`.

The rule (docs/REPLICATIONS.md, "Statistics and the verdict"), with margin m (in metric units,
never below the floor) and level alpha. Each comparison has three p-values (:class:`Estimate`);
over the comparators (the baselines) they combine as :func:`family_ps` says, then Holm
corrects them over the family of hypotheses (:func:`correct`):

- **beats**: every comparator's "delta <= +m" rejected (intersection-union: the largest p);
- **loses**: some comparator's "delta >= -m" rejected (union: Bonferroni, K x the smallest p);
- **equivalent**: every comparator's TOST rejected (intersection-union: the largest p);
- otherwise **inconclusive**; also when a comparison has no finite, positive standard error
  (identical outputs, a metric pinned at its bound: no effect is measurable, so never
  "equivalent").

The two directions are not the same test: "beats" needs every baseline, "loses" one. One-sided
p-values are doubled, so "p < alpha" is "the (1 - alpha) two-sided CI clears the bound"; the CI
therefore adds no condition of its own and is reported, not tested.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import stdtr, stdtrit

#: Identifies the verdict rule; part of the resolved spec, so the spec hash changes with it.
#: 1: absolute margin, bootstrap p, "loses" without a p-value. 2: t-based p-values, relative
#: margin. 3: an absolute floor under the margin, equivalence against every comparator, no
#: verdict without a positive standard error, alpha spent over looks at growing seed counts.
#: 4: staged seeds stop at a look with no positive standard error (no effect measurable)
#: rather than spending the seed budget on it; each look's level from the exact
#: group-sequential boundaries instead of the spent increment (a union bound).
RULE_VERSION = 4
#: The default absolute floor under the margin (metric units; see docs/REPLICATIONS.md).
MARGIN_FLOOR = 0.01
#: Below this many datasets the across-datasets test treats the datasets as fixed (the
#: spread of so few deltas says little); from it on, datasets are a random sample.
MIN_DATASETS_RANDOM_EFFECTS = 6
#: Highest value of each metric: margins are shares of the error (ceiling - metric).
METRIC_CEILING = {"auroc": 1.0, "r2": 1.0, "worst_group_accuracy": 1.0}
MARGIN_KINDS = ("relative_error", "absolute", "both")

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
    ranks: np.ndarray = np.empty_like(mean_rank)
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


# --- weighted metrics (row resamples as integer weights) ---------------------------------------


WeightedMetric = Callable[[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray], np.ndarray]


def weighted_auroc(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None, weights: np.ndarray
) -> np.ndarray:
    """AUROC of one test set under each row of ``weights`` [B, n] (a row's copies in a
    resample); ties count half. NaN where a resample holds a single class."""
    labels = np.asarray(labels).astype(bool)
    order = np.argsort(np.asarray(scores, dtype=np.float64), kind="mergesort")
    s, y = np.asarray(scores, dtype=np.float64)[order], labels[order]
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos, neg = w * y, w * ~y
    if len(starts) < len(s):  # sum within runs of tied scores
        pos = np.add.reduceat(pos, starts, axis=1)  # [B, tie groups]
        neg = np.add.reduceat(neg, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    n_pos, n_neg = pos.sum(1), neg.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = (pos * (below + 0.5 * neg)).sum(1) / (n_pos * n_neg)
    return np.where((n_pos > 0) & (n_neg > 0), auc, np.nan)


def weighted_r2(
    targets: np.ndarray, preds: np.ndarray, groups: np.ndarray | None, weights: np.ndarray
) -> np.ndarray:
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    t = np.asarray(targets, dtype=np.float64)
    total = w.sum(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * t).sum(1, keepdims=True) / total
        ss_res = (w * (t - np.asarray(preds, dtype=np.float64)) ** 2).sum(1)
        ss_tot = (w * (t - mean) ** 2).sum(1)
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def weighted_worst_group_accuracy(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None, weights: np.ndarray
) -> np.ndarray:
    if groups is None:
        raise ValueError("worst-group accuracy needs group labels")
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    correct = (np.asarray(scores) > 0.5) == np.asarray(labels).astype(bool)
    worst = np.full(w.shape[0], np.inf)
    for g in np.unique(groups):
        in_g = np.asarray(groups) == g
        n = w[:, in_g].sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            acc = np.where(n > 0, (w[:, in_g] * correct[in_g]).sum(1) / n, np.inf)
        worst = np.minimum(worst, acc)
    return np.where(np.isfinite(worst), worst, np.nan)


WEIGHTED_METRICS: dict[str, WeightedMetric] = {
    "auroc": weighted_auroc,
    "r2": weighted_r2,
    "worst_group_accuracy": weighted_worst_group_accuracy,
}


# --- one comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedOutcome:
    """One split seed's test labels and the two methods' scores on the same test rows.

    ``ids`` names each test row (its index in the dataset, OOD rows offset past it), so a
    row drawn by several seeds is resampled as one row; without ids the seeds' rows are
    taken to be distinct.
    """

    labels: np.ndarray
    scores_a: np.ndarray
    scores_b: np.ndarray
    groups: np.ndarray | None = None
    ids: np.ndarray | None = None


def _t_sf(t: float, df: float) -> float:
    """P(T >= t) for Student's t with df degrees of freedom (normal when df is infinite)."""
    if math.isnan(t):
        return float("nan")
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    if not math.isfinite(df):
        return 0.5 * math.erfc(t / math.sqrt(2))
    return float(stdtr(df, -t))


def _t_quantile(q: float, df: float) -> float:
    if not math.isfinite(df):
        return math.sqrt(2) * _erfinv(2 * q - 1)
    return float(stdtrit(df, q))


def _erfinv(x: float) -> float:
    from scipy.special import erfinv

    return float(erfinv(x))


@dataclass(frozen=True)
class Estimate:
    """delta = metric(a) - metric(b) averaged over seeds; se and a t reference with df.

    ``margin`` is in metric units (see :func:`margin_for`). p-values are two-sided
    equivalents (twice the one-sided value, capped at 1): ``p_beats`` tests
    delta <= +margin, ``p_loses`` tests delta >= -margin, ``p_equivalent`` is the larger of
    the two one-sided tests of the TOST, ``p`` tests delta = 0.
    """

    delta: float
    se: float
    df: float
    margin: float = 0.0
    n_seeds: int = 0
    n_rows: int = 0
    components: dict[str, float] = field(default_factory=dict)
    test: str = "t, seeds x shared rows"

    def _tail_above(self, bound: float) -> float:
        """One-sided p of 'delta <= bound' (evidence that delta > bound)."""
        if not (math.isfinite(self.delta) and math.isfinite(self.se)):
            return 1.0
        if self.se <= 0:
            return 0.0 if self.delta > bound else 1.0
        return _t_sf((self.delta - bound) / self.se, self.df)

    def _tail_below(self, bound: float) -> float:
        if not (math.isfinite(self.delta) and math.isfinite(self.se)):
            return 1.0
        if self.se <= 0:
            return 0.0 if self.delta < bound else 1.0
        return _t_sf((bound - self.delta) / self.se, self.df)

    @property
    def p(self) -> float:
        return min(1.0, 2 * min(self._tail_above(0.0), self._tail_below(0.0)))

    @property
    def p_beats(self) -> float:
        return min(1.0, 2 * self._tail_above(self.margin))

    @property
    def p_loses(self) -> float:
        return min(1.0, 2 * self._tail_below(-self.margin))

    @property
    def p_equivalent(self) -> float:
        return min(1.0, 2 * max(self._tail_above(-self.margin), self._tail_below(self.margin)))

    def ci(self, level: float = 0.95) -> tuple[float, float]:
        if not (math.isfinite(self.delta) and math.isfinite(self.se)):
            return float("nan"), float("nan")
        half = _t_quantile(0.5 + level / 2, self.df) * self.se if self.se > 0 else 0.0
        return self.delta - half, self.delta + half

    def mde(self, alpha: float, power: float = 0.8, family: int = 1) -> float:
        """Smallest true |delta| that clears the margin with the given power at this se
        (Bonferroni level alpha / family: a bound on what the family's correction asks)."""
        if not (math.isfinite(self.se) and self.se > 0):
            return float("nan")
        crit = _t_quantile(1 - alpha / (2 * family), self.df) + _t_quantile(power, self.df)
        return self.margin + crit * self.se

    def as_dict(self, level: float = 0.95) -> dict[str, Any]:
        low, high = self.ci(level)
        return {
            "delta": self.delta,
            "ci_low": low,
            "ci_high": high,
            "p": self.p,
            "se": self.se,
            "df": self.df,
            "margin": self.margin,
            "p_beats": self.p_beats,
            "p_loses": self.p_loses,
            "p_equivalent": self.p_equivalent,
            "test": self.test,
        }


def margin_for(
    metric: str,
    mean_a: float,
    mean_b: float,
    *,
    kind: str,
    absolute: float,
    relative: float,
    floor: float = 0.0,
) -> float:
    """The margin in metric units, never below ``floor``. ``relative_error``: ``relative`` times
    the two methods' mean error (ceiling - metric), so the margin is the same whichever method
    is 'a'; ``absolute``: ``absolute``; ``both``: the larger of the two. Near the ceiling the
    relative margin vanishes (0.00002 at AUROC 0.9996); the floor keeps a gap of a few
    thousandths from ever counting as a win or a loss."""
    if kind not in MARGIN_KINDS:
        raise ValueError(f"unknown margin kind {kind!r} (known: {', '.join(MARGIN_KINDS)})")
    if kind == "absolute":
        return max(absolute, floor)
    ceiling = METRIC_CEILING.get(metric)
    if ceiling is None:
        raise ValueError(f"metric {metric!r} has no ceiling: use an absolute margin")
    means = [m for m in (mean_a, mean_b) if math.isfinite(m)]
    error = max(0.0, ceiling - float(np.mean(means))) if means else float("nan")
    rel = relative * error
    return max(rel if kind == "relative_error" else max(rel, absolute), floor)


def paired_estimate(
    seeds: Sequence[SeedOutcome],
    metric: str,
    *,
    n_boot: int,
    rng: np.random.Generator,
    margin: float = 0.0,
) -> Estimate:
    """Mean over seeds of metric(a) - metric(b), and its standard error.

    Two sources of noise: which rows the dataset holds (every seed draws its test rows from
    the same rows) and which training split each seed drew. The row part is a bootstrap over
    row *identities*, one draw shared by every seed, so a row that several seeds test is
    resampled once (seeds that share rows are not independent; issue 10 item 3). The seed
    part is the spread of the per-seed deltas: it holds the training luck and the row noise
    that differs between seeds. What it cannot see is what the seeds have in common, the
    rows they share: that term is the average covariance between two seeds' deltas under
    the identity bootstrap (a row's own quirk moves every seed that tests it; noise that
    differs per seed does not covary). var = seed_var / S + shared_row_cov, with
    Welch-Satterthwaite degrees of freedom
    (S - 1 for the seed part, distinct rows - 1 for the row part). The p-values then come
    from a t distribution, so they can be as small as the data warrant: no bootstrap
    count limits them.
    """
    if not seeds:
        raise ValueError("no seeds to compare")
    ids = _row_ids(seeds)
    universe, position = np.unique(np.concatenate(ids), return_inverse=True)
    counts = _resample_counts(len(universe), n_boot, rng)
    deltas, draws = _seed_deltas(seeds, WEIGHTED_METRICS[metric], counts, position)
    finite = np.isfinite(deltas)
    if not finite.any():
        return Estimate(float("nan"), float("nan"), float("nan"), margin, len(seeds), 0)
    deltas, draws = deltas[finite], draws[finite]
    n_seeds = len(deltas)
    seed_var, row_var, within = _variance_parts(deltas, draws)
    seed_part = seed_var / n_seeds
    var = seed_part + row_var
    df_rows = max(len(universe) - 1, 1)
    denom = (seed_part**2 / (n_seeds - 1) if n_seeds > 1 else 0.0) + row_var**2 / df_rows
    df = var**2 / denom if denom > 0 else float("inf")
    return Estimate(
        delta=float(deltas.mean()),
        se=math.sqrt(var),
        df=float(df),
        margin=margin,
        n_seeds=n_seeds,
        n_rows=len(universe),
        components={"seed_var": seed_var, "row_var": row_var, "per_seed_row_var": within},
    )


def _seed_deltas(
    seeds: Sequence[SeedOutcome], score: Any, counts: np.ndarray, position: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each seed's delta on its test rows, and its delta under every bootstrap draw of the
    row identities (one draw shared by every seed)."""
    point, draws = [], np.empty((len(seeds), counts.shape[0]))
    offset = 0
    for i, s in enumerate(seeds):
        n = len(s.labels)
        ones = np.ones((1, n))
        point.append(
            float(
                score(s.labels, s.scores_a, s.groups, ones)[0]
                - score(s.labels, s.scores_b, s.groups, ones)[0]
            )
        )
        w = counts[:, position[offset : offset + n]]
        offset += n
        draws[i] = score(s.labels, s.scores_a, s.groups, w) - score(
            s.labels, s.scores_b, s.groups, w
        )
    return np.asarray(point), draws


def _variance_parts(deltas: np.ndarray, draws: np.ndarray) -> tuple[float, float, float]:
    """(seed variance, shared-row variance of the mean, mean per-seed row variance)."""
    n_seeds = len(deltas)
    with np.errstate(invalid="ignore"):
        mean_var = float(np.nanvar(np.nanmean(draws, axis=0), ddof=1))
        per_seed = np.nanvar(draws, axis=1, ddof=1)
    seed_var = float(np.var(deltas, ddof=1)) if n_seeds > 1 else 0.0
    if n_seeds > 1:
        # Var(mean) = (sum of variances + sum of covariances) / S^2 in the bootstrap world;
        # what the seeds share is the covariances: the average one is the shared-row term.
        shared = (n_seeds**2 * mean_var - float(np.nansum(per_seed))) / (n_seeds * (n_seeds - 1))
        row_var = max(0.0, shared) if np.isfinite(shared) else 0.0
    else:  # one seed: its own row bootstrap is all there is
        row_var = mean_var if np.isfinite(mean_var) else 0.0
    return seed_var, row_var, float(np.nanmean(per_seed))


def _resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """[n_boot, n] copies of each row in n draws with replacement (a multinomial, fast)."""
    picks = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
    return np.bincount(picks.ravel(), minlength=n_boot * n).reshape(n_boot, n)


def _row_ids(seeds: Sequence[SeedOutcome]) -> list[np.ndarray]:
    if all(s.ids is not None for s in seeds):
        return [np.asarray(s.ids, dtype=np.int64) for s in seeds]
    # without identities, every seed's rows count as distinct rows
    out, start = [], 0
    for s in seeds:
        out.append(np.arange(start, start + len(s.labels)))
        start += len(s.labels)
    return out


# --- several estimates -------------------------------------------------------------------------


def average_estimates(estimates: Sequence[Estimate]) -> Estimate:
    """The mean of estimates made on the same rows and seeds (one dataset's regimes): the se
    is the mean se, the bound for perfectly correlated estimates, so never too small."""
    if len(estimates) == 1:
        return estimates[0]
    finite = [e for e in estimates if math.isfinite(e.delta) and math.isfinite(e.se)]
    if not finite:
        return Estimate(float("nan"), float("nan"), float("nan"))
    return Estimate(
        delta=float(np.mean([e.delta for e in finite])),
        se=float(np.mean([e.se for e in finite])),
        df=float(min(e.df for e in finite)),
        margin=float(np.mean([e.margin for e in finite])),
        n_seeds=max(e.n_seeds for e in finite),
        n_rows=max(e.n_rows for e in finite),
        test="mean over regimes (se: mean, for correlated regimes)",
    )


def combine_datasets(estimates: Sequence[Estimate]) -> Estimate:
    """Mean delta over datasets. From :data:`MIN_DATASETS_RANDOM_EFFECTS` datasets on, the
    datasets are a sample: se from the spread of their deltas, D - 1 degrees of freedom.
    Below that, the datasets are taken as fixed: se from their own standard errors."""
    finite = [e for e in estimates if math.isfinite(e.delta) and math.isfinite(e.se)]
    if not finite:
        return Estimate(float("nan"), float("nan"), float("nan"))
    if len(finite) == 1:
        return finite[0]
    d = len(finite)
    deltas = np.array([e.delta for e in finite])
    margin = float(np.mean([e.margin for e in finite]))
    if d >= MIN_DATASETS_RANDOM_EFFECTS:
        return Estimate(
            float(deltas.mean()),
            float(deltas.std(ddof=1) / math.sqrt(d)),
            float(d - 1),
            margin,
            test=f"t over {d} datasets (random effects)",
        )
    parts = np.array([e.se**2 for e in finite]) / d**2
    dfs = np.array([e.df for e in finite])
    denom = float(np.sum(np.where(np.isfinite(dfs), parts**2 / dfs, 0.0)))
    df = float(parts.sum() ** 2 / denom) if denom > 0 else float("inf")
    return Estimate(
        float(deltas.mean()),
        float(math.sqrt(parts.sum())),
        df,
        margin,
        test=f"t over {d} datasets (fixed effects: fewer than {MIN_DATASETS_RANDOM_EFFECTS})",
    )


# --- the rule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyPs:
    """The three p-values of one comparison against all its comparators, before correction.

    beats and equivalent: intersection-union over comparators (the largest p; needs no
    correction for the comparators); loses: union (Bonferroni: comparators x the smallest p).
    """

    beats: float
    loses: float
    equivalent: float


def family_ps(against: Mapping[str, Estimate]) -> FamilyPs:
    ests = list(against.values())
    return FamilyPs(
        beats=max(e.p_beats for e in ests),
        loses=min(1.0, len(ests) * min(e.p_loses for e in ests)),
        equivalent=max(e.p_equivalent for e in ests),
    )


def correct(family: Sequence[FamilyPs]) -> list[FamilyPs]:
    """Holm over the family (the datasets of a regime, the regimes, ...), each kind alike."""
    kinds = [holm([getattr(f, k) for f in family]) for k in ("beats", "loses", "equivalent")]
    return [FamilyPs(*values) for values in zip(*kinds, strict=True)]


def measurable(estimate: Estimate) -> bool:
    """A finite delta with a finite, positive standard error: something a verdict can rest on."""
    return math.isfinite(estimate.delta) and math.isfinite(estimate.se) and estimate.se > 0


def decide(against: Mapping[str, Estimate], corrected: FamilyPs, alpha: float) -> str:
    """beats / loses / equivalent / inconclusive from the corrected family p-values (see the
    module docstring); inconclusive whenever a comparison is not :func:`measurable`."""
    ests = list(against.values())
    if not ests or not all(measurable(e) for e in ests):
        return "inconclusive"
    if corrected.beats < alpha:
        return "beats"
    if corrected.loses < alpha:
        return "loses"
    if corrected.equivalent < alpha:
        return "equivalent"
    return "inconclusive"


def verdict(estimate: Estimate, alpha: float, *, family: int = 1) -> str:
    """The rule for a single comparison in a family of ``family`` (Bonferroni): a shortcut
    for summaries that have one comparator and no Holm step."""
    ps = FamilyPs(estimate.p_beats, estimate.p_loses, estimate.p_equivalent)
    scaled = FamilyPs(*(min(1.0, family * p) for p in (ps.beats, ps.loses, ps.equivalent)))
    return decide({"_": estimate}, scaled, alpha)


def obf_spent(fraction: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming spending: the alpha spent by information ``fraction``
    (two-sided), 2 - 2 Phi(z_{1 - alpha/2} / sqrt(fraction)); all of alpha at fraction 1."""
    if fraction <= 0:
        return 0.0
    if fraction >= 1:
        return alpha
    z = _t_quantile(1 - alpha / 2, float("inf")) / math.sqrt(fraction)
    return float(math.erfc(z / math.sqrt(2)))


def look_alphas(seeds: Sequence[int], alpha: float, most: int | None = None) -> list[float]:
    """The nominal two-sided level of each look at ``seeds[i]`` split seeds out of ``most``
    (default: the last look's): the exact group-sequential boundaries of O'Brien-Fleming
    spending.

    Look k's boundary c_k solves P(no earlier look crossed, |Z_k| >= c_k) = the alpha spent
    between looks k - 1 and k, for z-statistics with the canonical joint distribution
    (corr(Z_i, Z_j) = sqrt(n_i / n_j): a mean over seeds that grows); its level is
    2 (1 - Phi(c_k)). So over all looks the chance of a false verdict is the spent alpha, no
    more, without the union bound's waste: with looks at 10, 20 and 30 seeds the last look
    tests at about 0.045 rather than the 0.034 left after the earlier increments (rule 4)."""
    most = most or seeds[-1]
    fractions = [min(1.0, n / most) for n in seeds]
    spent = [obf_spent(t, alpha) for t in fractions]
    bounds: list[float] = []
    levels = []
    for k, total in enumerate(spent):
        if k == 0:
            c = _t_quantile(1 - total / 2, math.inf) if total > 0 else math.inf
        else:
            c = _next_bound(fractions[: k + 1], bounds, 1 - total)
        bounds.append(c)
        levels.append(float(math.erfc(c / math.sqrt(2))) if math.isfinite(c) else 0.0)
    return levels


def _stay_inside(fractions: Sequence[float], bounds: Sequence[float], points: int = 401) -> float:
    """P(|Z_i| < bounds[i] for every look i) under the null, by recursive numerical
    integration (Armitage, McPherson and Rowe): the score S_i = Z_i sqrt(t_i) is a Brownian
    motion at the information fractions t_i, so each look convolves the last one's density
    (kept inside its boundary) with a normal step."""
    from scipy.special import ndtr

    def edge(i: int) -> float:  # the boundary on the score scale (8 sd where none)
        return (bounds[i] if math.isfinite(bounds[i]) else 8.0) * math.sqrt(fractions[i])

    grid = np.linspace(-edge(0), edge(0), points)
    density = np.exp(-(grid**2) / (2 * fractions[0])) / math.sqrt(2 * math.pi * fractions[0])
    for i in range(1, len(fractions)):
        weights = _simpson(grid)
        step = math.sqrt(fractions[i] - fractions[i - 1])
        inner = np.linspace(-edge(i), edge(i), points)
        kernel = np.exp(-((inner[:, None] - grid[None, :]) ** 2) / (2 * step**2))
        density, grid = kernel @ (weights * density) / (math.sqrt(2 * math.pi) * step), inner
    return (
        float(np.sum(_simpson(grid) * density))
        if len(fractions) > 1
        else float(
            ndtr(edge(0) / math.sqrt(fractions[0])) - ndtr(-edge(0) / math.sqrt(fractions[0]))
        )
    )


def _simpson(grid: np.ndarray) -> np.ndarray:
    """Simpson's weights over an evenly spaced grid with an odd number of points."""
    w: np.ndarray = np.ones(len(grid))
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    return w * float(grid[1] - grid[0]) / 3


def _next_bound(fractions: Sequence[float], bounds: Sequence[float], inside: float) -> float:
    """The boundary of the last look that leaves P(no look crossed) = ``inside``."""
    from scipy.optimize import brentq

    before = _stay_inside(fractions[:-1], bounds)
    if inside >= before - 1e-12:
        return math.inf  # nothing left to spend at this look

    def gap(c: float) -> float:
        return _stay_inside(fractions, [*bounds, c]) - inside

    return float(brentq(gap, 1e-3, 8.0, xtol=1e-6))


def resolve_more(estimate: Estimate, alpha: float, power: float = 0.8) -> dict[str, Any]:
    """For an inconclusive result: how many seeds (everything shrinking as 1/seeds) or test
    rows (the row part shrinking as 1/rows) would make the observed delta decisive with the
    given power, if the delta and variances stayed as observed."""
    e = estimate
    if not (math.isfinite(e.delta) and math.isfinite(e.se) and e.se > 0):
        return {"seeds_needed": None, "test_rows_factor": None}
    gap = abs(e.delta) - e.margin if abs(e.delta) > e.margin else e.margin - abs(e.delta)
    crit = _t_quantile(1 - alpha / 2, float("inf")) + _t_quantile(power, float("inf"))
    if gap <= 0:
        return {"seeds_needed": None, "test_rows_factor": None}
    target_var = (gap / crit) ** 2
    factor = e.se**2 / target_var
    seeds = int(math.ceil(max(e.n_seeds, 1) * factor)) if factor > 1 else e.n_seeds
    seed_part = e.components.get("seed_var", 0.0) / max(e.n_seeds, 1)
    row_var = e.components.get("row_var", 0.0)
    rows = None
    if target_var > seed_part and row_var > 0:
        rows = max(1.0, row_var / (target_var - seed_part))
    return {
        "seeds_needed": seeds,
        "test_rows_factor": rows,
        "towards": "equivalent" if abs(e.delta) <= e.margin else "a difference",
    }


# --- corrections and summaries -----------------------------------------------------------------


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
    seeds, then test rows within each seed (a descriptive interval for the methods table; the
    verdict's comparisons use :func:`paired_estimate`)."""
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
