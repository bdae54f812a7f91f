"""Scoring maths for binary forecasts: pure functions over array-likes, no database.

Conventions used throughout:

* ``p`` is the probability a forecaster gave that the event happens, in [0, 1].
* ``y`` is what happened: 1 (or True) if it did, 0 (or False) if not. Annulled and
  ambiguous outcomes are not scored at all; callers leave them out before calling.
* Per-forecast functions (``brier_score``, ``log_score``, ``casper_points``) return one
  number per forecast, as a float64 array of the same length; aggregates (means, skill,
  the calibration table, the Murphy decomposition) are computed from those arrays.

The functions validate their input (equal lengths, probabilities in [0, 1], outcomes in
{0, 1}) and raise ``ValueError`` with a message that says what is wrong.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

#: The Brier score of the forecaster who always says 50%: (0.5 - y)**2 = 0.25 whatever y is.
UNIFORM_BRIER = 0.25
#: The log score of the forecaster who always says 50%: ln(0.5).
UNIFORM_LOG_SCORE = float(np.log(0.5))
#: Probabilities are clamped to [LOG_SCORE_EPS, 1 - LOG_SCORE_EPS] before taking logs, so a
#: confident miss (p = 0 for something that happened) scores ln(0.001) ~ -6.91, not -infinity.
LOG_SCORE_EPS = 1e-3

Floats = NDArray[np.float64]


def _forecasts(p: ArrayLike, y: ArrayLike) -> tuple[Floats, Floats]:
    """Both inputs as 1-d float64 arrays, checked; raises ValueError on bad input."""
    probs = np.asarray(p, dtype=np.float64).reshape(-1)
    raw = np.asarray(y)
    if raw.dtype == np.bool_:
        outcomes = raw.reshape(-1).astype(np.float64)
    else:
        outcomes = np.asarray(raw, dtype=np.float64).reshape(-1)
        if outcomes.size and not ((outcomes == 0.0) | (outcomes == 1.0)).all():
            raise ValueError("Outcomes must be 0 or 1 (or booleans).")
    if probs.shape != outcomes.shape:
        raise ValueError(
            f"p and y differ in length: {probs.shape[0]} forecasts, {outcomes.shape[0]} outcomes."
        )
    if probs.size:
        lowest, highest = probs.min(), probs.max()
        # NaN fails both comparisons, so this also rejects missing probabilities.
        if not (lowest >= 0.0 and highest <= 1.0):
            raise ValueError("Probabilities must lie in [0, 1] (no NaN).")
    return probs, outcomes


def brier_score(p: ArrayLike, y: ArrayLike) -> Floats:
    """Brier score of each forecast, on the 0-1 scale: (p - y)**2.

    0 is a perfect forecast, 1 the worst possible, 0.25 what saying 50% always earns.
    Lower is better. (Some sites double it to a 0-2 scale; this module never does.)
    """
    probs, outcomes = _forecasts(p, y)
    diff = probs - outcomes
    return np.multiply(diff, diff, out=diff)  # in place: one array allocated, not two


def log_score(p: ArrayLike, y: ArrayLike, *, eps: float = LOG_SCORE_EPS) -> Floats:
    """Natural-log score of each forecast: ln(p) if it happened, ln(1 - p) if not.

    Higher (closer to 0) is better; saying 50% always earns ln(0.5) ~ -0.693.
    Probabilities are first clamped to [eps, 1 - eps] (eps = 0.001 by default), so the
    worst possible score is ln(eps) ~ -6.91 instead of minus infinity, and a forecast of
    exactly 0 or 1 that comes true scores ln(1 - eps) ~ -0.001 rather than 0.
    """
    if not 0.0 < eps < 0.5:
        raise ValueError("eps must lie in (0, 0.5).")
    probs, outcomes = _forecasts(p, y)
    # Probability given to what actually happened: (1 - y) + (2y - 1) * p, which is exactly
    # p when y = 1 and 1 - p when y = 0; branch-free, since a mask over random outcomes
    # (np.where) costs several times more.
    given = np.clip(probs, eps, 1.0 - eps)
    sign = np.multiply(outcomes, 2.0)
    sign -= 1.0
    given *= sign
    given += np.subtract(1.0, outcomes, out=sign)
    return np.log(given, out=given)


def casper_points(p: ArrayLike, y: ArrayLike) -> Floats:
    """Points of each forecast under Stephen Casper's rule: 1 - p if it happened, -p if not.

    The total over a set equals (number that happened) - (sum of probabilities): how a
    result compared with the forecaster's expectations. This is NOT a proper scoring rule:
    expected points are q - p for a true belief q, maximised by reporting p = 0 whatever
    one believes. Show it beside Brier and log scores, never instead of them.
    """
    probs, outcomes = _forecasts(p, y)
    return outcomes - probs


def mean_brier_score(p: ArrayLike, y: ArrayLike) -> float:
    """Mean Brier score (0-1 scale); NaN for no forecasts."""
    scores = brier_score(p, y)
    return float(scores.mean()) if scores.size else float("nan")


def brier_skill_score(p: ArrayLike, y: ArrayLike, reference: ArrayLike = 0.5) -> float:
    """1 - BS / BS_ref: the share of a reference forecaster's Brier score avoided.

    ``reference`` is the reference's probability for each of the same events (a scalar is
    broadcast; the default 0.5 is the forecaster who always says 50%, with BS_ref = 0.25).
    Positive is better than the reference, 0 equal, negative worse. NaN when there are no
    forecasts, or when the reference is perfect (BS_ref = 0) and the ratio is undefined.
    """
    probs, outcomes = _forecasts(p, y)
    ref = np.broadcast_to(np.asarray(reference, dtype=np.float64), probs.shape)
    if not probs.size:
        return float("nan")
    ours = brier_score(probs, outcomes).mean()
    theirs = brier_score(ref, outcomes).mean()
    if theirs == 0.0:
        return float("nan")
    return float(1.0 - ours / theirs)


def shrunk_mean(
    scores: ArrayLike, *, prior: float, pseudo_count: float
) -> float:
    """Mean of ``scores`` shrunk toward ``prior`` as if ``pseudo_count`` extra forecasts had
    scored exactly ``prior``: (sum + k * prior) / (n + k).

    With prior = 0.25 (the 50% forecaster's Brier score), one lucky perfect forecast with
    k = 5 gives 1.25 / 6 ~ 0.208, not 0: a leaderboard sorted on it rewards a record, not a
    single hit. No forecasts give the prior itself.
    """
    if pseudo_count < 0:
        raise ValueError("pseudo_count must be >= 0.")
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    denominator = values.size + pseudo_count
    if denominator == 0:
        return float("nan")
    return float((values.sum() + pseudo_count * prior) / denominator)


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, *, confidence: float = 0.95
) -> tuple[Floats, Floats]:
    """Wilson score interval for a binomial proportion, elementwise; NaN where trials = 0.

    centre = (k + z^2/2) / (n + z^2), half-width = z / (n + z^2) * sqrt(k (n - k) / n + z^2/4).
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = n + z2
        centre = (k + z2 / 2.0) / denominator
        half = z / denominator * np.sqrt(k * (n - k) / n + z2 / 4.0)
        low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def calibration_table(
    p: ArrayLike, y: ArrayLike, bins: int = 10, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Forecasts grouped into ``bins`` equal-width probability bins, one row per bin.

    Bin i holds forecasts in [i/bins, (i+1)/bins); the last bin also holds p = 1. Columns:
    ``bin_low``, ``bin_high``, ``n`` (forecasts in the bin), ``happened`` (how many came
    true), ``mean_forecast``, ``observed_rate`` (happened / n) and ``ci_low``/``ci_high``,
    the Wilson interval for the observed rate. Empty bins have n = 0 and NaN rates.
    A calibrated forecaster's observed rates sit near their mean forecasts.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError("bins must be a positive integer.")
    bins = int(bins)
    probs, outcomes = _forecasts(p, y)
    index = (probs * bins).astype(np.intp)
    np.minimum(index, bins - 1, out=index)
    counts = np.bincount(index, minlength=bins)
    happened = np.bincount(index, weights=outcomes, minlength=bins)
    forecast_sums = np.bincount(index, weights=probs, minlength=bins)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_forecast = np.where(counts > 0, forecast_sums / counts, np.nan)
        observed = np.where(counts > 0, happened / counts, np.nan)
    low, high = wilson_interval(happened, counts, confidence=confidence)
    edges = np.linspace(0.0, 1.0, bins + 1)
    return pd.DataFrame(
        {
            "bin_low": edges[:-1],
            "bin_high": edges[1:],
            "n": counts.astype(np.int64),
            "happened": happened.astype(np.int64),
            "mean_forecast": mean_forecast,
            "observed_rate": observed,
            "ci_low": low,
            "ci_high": high,
        }
    )


class MurphyDecomposition(NamedTuple):
    """Brier score = reliability - resolution + uncertainty (+ residual when binned)."""

    brier: float
    reliability: float
    resolution: float
    uncertainty: float
    #: brier - (reliability - resolution + uncertainty): 0 (up to rounding) when forecasts
    #: are grouped by their exact values; the within-bin terms when they are binned.
    residual: float


def murphy_decomposition(
    p: ArrayLike, y: ArrayLike, bins: int | None = None
) -> MurphyDecomposition:
    """Murphy's decomposition of the mean Brier score.

    Forecasts are grouped by their distinct values (``bins=None``, the exact identity) or
    into equal-width bins. With N forecasts, groups k of size n_k, mean forecast f_k,
    observed rate o_k and overall rate o:

    * reliability = sum n_k (f_k - o_k)^2 / N   (lower is better: calibration error)
    * resolution  = sum n_k (o_k - o)^2 / N     (higher is better: telling events apart)
    * uncertainty = o (1 - o)                   (the events' own variance; no forecaster's doing)
    """
    probs, outcomes = _forecasts(p, y)
    if not probs.size:
        nan = float("nan")
        return MurphyDecomposition(nan, nan, nan, nan, nan)
    if bins is None:
        _, group = np.unique(probs, return_inverse=True)
    else:
        if int(bins) != bins or bins < 1:
            raise ValueError("bins must be a positive integer.")
        group = np.minimum((probs * int(bins)).astype(np.intp), int(bins) - 1)
    group = group.reshape(-1)
    counts = np.bincount(group)
    used = counts > 0
    counts = counts[used]
    mean_f = np.bincount(group, weights=probs)[used] / counts
    rate = np.bincount(group, weights=outcomes)[used] / counts
    total = probs.size
    base_rate = outcomes.mean()
    reliability = float((counts * (mean_f - rate) ** 2).sum() / total)
    resolution = float((counts * (rate - base_rate) ** 2).sum() / total)
    uncertainty = float(base_rate * (1.0 - base_rate))
    brier = float(brier_score(probs, outcomes).mean())
    residual = brier - (reliability - resolution + uncertainty)
    return MurphyDecomposition(brier, reliability, resolution, uncertainty, residual)
