"""Workflows of forecast scoring: typed, keyword-only, each one transaction.

The one write path for predictions' scores: a workflow that changes what a score depends on
(a prediction's probability or outcome, a linked market's resolution) either re-scores in
its own transaction (:func:`do_rescore`, :func:`do_set_outcome`, the importer, the seed) or
says what it enqueues (:func:`save_predictions` -> :func:`enqueue_rescore`, through
``tracker.queueing``). No signal re-scores behind a caller's back: a bulk write (a queryset
``update``) is repaired by the reconciler (:func:`reconcile_scores`), which finds every
score that disagrees with its prediction's outcome or probability.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Q, QuerySet

from evaluations import scoring
from evaluations.forecasts import queries
from evaluations.forecasts.models import Prediction, PredictionSet, Score
from tracker.models import Market
from tracker.queueing import send_on_commit

log = logging.getLogger(__name__)

Outcome = Prediction.Outcome

@dataclass(frozen=True)
class RescoreResult:
    predictions: int  # predictions looked at
    scored: int  # scores written (resolved yes/no)
    outcomes_from_markets: int  # outcomes changed because a linked market resolved


def outcome_from_market(market: Market) -> str | None:
    """The outcome a market's state implies, or None while it is unresolved.

    None means "no news": rescoring never replaces a known outcome with pending.
    """
    if market.status == Market.Status.RESOLVED and market.outcome in ("yes", "no"):
        return Outcome.YES if market.outcome == "yes" else Outcome.NO
    if market.status == Market.Status.ANNULLED:
        return Outcome.ANNULLED
    return None


def _apply_market_outcomes(predictions: Iterable[Prediction]) -> int:
    changed = 0
    for prediction in predictions:
        market = prediction.market
        if market is None:
            continue
        outcome = outcome_from_market(market)
        if outcome is None or outcome == prediction.outcome:
            continue
        prediction.outcome = outcome
        prediction.outcome_evidence = (
            f"The linked market {market.slug!r} resolved {market.outcome.upper()}."
            if outcome != Outcome.ANNULLED
            else f"The linked market {market.slug!r} was annulled."
        )
        when = market.resolved_at or market.annulled_at
        prediction.outcome_date = when.date() if when else None
        prediction.outcome_inferred = False
        Prediction.objects.filter(pk=prediction.pk).update(
            outcome=prediction.outcome,
            outcome_evidence=prediction.outcome_evidence,
            outcome_date=prediction.outcome_date,
            outcome_inferred=False,
        )
        changed += 1
    return changed


def do_rescore(predictions: QuerySet[Prediction], *, everyone: bool = False) -> RescoreResult:
    """Re-score the given predictions: take outcomes from linked resolved markets, delete
    their scores and recreate them from the current outcomes, all in one transaction.

    Annulled, ambiguous and pending predictions get no score. Running it twice gives the
    same scores (idempotent); the predictions are locked first so that two workers
    re-scoring the same rows run one after the other. The forecasters' stored figures
    (leaderboard rows, calibration) are recomputed in the same transaction: for every
    forecaster when ``everyone``, else for those whose predictions were given.
    """
    with transaction.atomic():
        ids = list(predictions.order_by("pk").values_list("pk", flat=True))
        if not ids:
            return RescoreResult(0, 0, 0)
        # Lock the rows (no join, so Postgres accepts FOR UPDATE), then read them.
        list(Prediction.objects.select_for_update().filter(pk__in=ids).order_by("pk")
             .values_list("pk", flat=True))
        rows = list(Prediction.objects.filter(pk__in=ids).select_related("market").order_by("pk"))
        from_markets = _apply_market_outcomes(rows)
        Score.objects.filter(prediction_id__in=ids).delete()
        resolved = [row for row in rows if row.outcome in Prediction.SCORED_OUTCOMES]
        if resolved:
            p = np.fromiter((row.probability for row in resolved), dtype=np.float64)
            y = np.fromiter((row.outcome == Outcome.YES for row in resolved), dtype=bool)
            brier = scoring.brier_score(p, y)
            logs = scoring.log_score(p, y)
            points = scoring.casper_points(p, y)
            Score.objects.bulk_create(
                Score(
                    prediction=row, happened=bool(y[i]), brier=float(brier[i]),
                    log_score=float(logs[i]), points=float(points[i]),
                )
                for i, row in enumerate(resolved)
            )
        forecaster_ids = None if everyone else set(
            PredictionSet.objects.filter(pk__in={row.prediction_set_id for row in rows})
            .values_list("forecaster_id", flat=True)
        )
        queries.store_stats(forecaster_ids)
    return RescoreResult(len(rows), len(resolved), from_markets)


def _score_is_stale(outcome: str, probability: float, happened: bool | None,
                    brier: float | None) -> bool:
    if outcome not in Prediction.SCORED_OUTCOMES:
        return happened is not None
    if happened is None or brier is None or happened != (outcome == Outcome.YES):
        return True
    # The Brier score is (p - y)^2: a probability changed by a bulk write shows here.
    return not math.isclose(brier, (probability - happened) ** 2, abs_tol=1e-9)


def stale_prediction_ids(predictions: QuerySet[Prediction]) -> list[int]:
    """Predictions whose stored score does not match their outcome or probability: resolved
    without a score, scored though not resolved, scored for the other outcome, or scored
    for another probability."""
    rows = predictions.values_list("pk", "outcome", "probability", "score__happened",
                                   "score__brier")
    return [pk for pk, outcome, probability, happened, brier in rows
            if _score_is_stale(outcome, probability, happened, brier)]


def do_rescore_all() -> RescoreResult:
    return do_rescore(Prediction.objects.all(), everyone=True)


def do_rescore_market(*, market_id: int) -> RescoreResult:
    """Re-score predictions linked to a market or to one of its candidacies."""
    return do_rescore(
        Prediction.objects.filter(Q(market_id=market_id) | Q(candidacy__market_id=market_id))
    )


def do_rescore_predictions(*, prediction_ids: Iterable[int]) -> RescoreResult:
    return do_rescore(Prediction.objects.filter(pk__in=list(prediction_ids)))


def drifted_prediction_ids() -> list[int]:
    """Predictions whose score is not what their state implies: a linked market resolved
    (or annulled) to another outcome than theirs, or a score that disagrees with their
    outcome. Empty when every re-score sent after a commit has run."""
    linked = Prediction.objects.filter(
        market__status__in=Market.SETTLED_STATUSES
    ).select_related("market").only("pk", "outcome", "market__status", "market__outcome")
    drifted = {
        p.pk for p in linked
        if p.market is not None
        and (implied := outcome_from_market(p.market)) is not None and implied != p.outcome
    }
    drifted.update(stale_prediction_ids(Prediction.objects.all()))
    return sorted(drifted)


def reconcile_scores() -> dict[str, int]:
    """The reconciler's scoring step: re-score drifted predictions here and now.

    A re-score enqueued on commit is lost when the broker is down at that moment; the
    market's row says what the scores should be, so they are recomputed from it (numpy
    over the drifted rows: milliseconds, no worker needed)."""
    ids = drifted_prediction_ids()
    if not ids:
        return {}
    result = do_rescore_predictions(prediction_ids=ids)
    log.info("Re-scored %s drifted predictions", len(ids))
    return {"rescored": result.predictions, "outcomes_from_markets": result.outcomes_from_markets}


def enqueue_rescore(*, prediction_ids: list[int]) -> None:
    """Queue a re-score of these predictions once the current transaction commits; with
    the broker down, :func:`reconcile_scores` re-scores what drifted."""
    send_on_commit("forecasts.rescore_predictions", args=[prediction_ids])


def save_predictions(*, predictions: Sequence[Prediction]) -> list[int]:
    """Save predictions edited by hand (the admin) and enqueue one re-score, after commit,
    of those whose probability or outcome changed (or that are new and resolved).

    Returns the ids enqueued. The stored values are read here, in one query, rather than
    remembered on every loaded instance."""
    with transaction.atomic():
        rows = Prediction.objects.filter(
            pk__in=[p.pk for p in predictions if p.pk is not None]
        ).values_list("pk", "probability", "outcome")
        stored = {pk: (probability, outcome) for pk, probability, outcome in rows}
        changed = []
        for prediction in predictions:
            before = stored.get(prediction.pk) if prediction.pk is not None else None
            prediction.save()
            if before is None:
                if prediction.outcome in Prediction.SCORED_OUTCOMES:
                    changed.append(prediction.pk)
            elif before != (prediction.probability, prediction.outcome):
                changed.append(prediction.pk)
        if changed:
            enqueue_rescore(prediction_ids=changed)
    return changed


def do_set_outcome(
    *,
    prediction: Prediction,
    outcome: str,
    evidence: str = "",
    outcome_date: dt.date | None = None,
    inferred: bool = False,
) -> Prediction:
    """Record a prediction's outcome and re-score it in the same transaction."""
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown outcome {outcome!r}: use one of {', '.join(Outcome.values)}.")
    with transaction.atomic():
        prediction.outcome = outcome
        prediction.outcome_evidence = evidence
        prediction.outcome_date = outcome_date
        prediction.outcome_inferred = inferred and outcome != Outcome.PENDING
        prediction.full_clean(validate_unique=False)
        prediction.save()
        do_rescore_predictions(prediction_ids=[prediction.pk])
    return prediction
