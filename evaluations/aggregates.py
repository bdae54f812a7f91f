"""Stored aggregates of adjudication: a market's agreement (Fleiss' kappa overall and per
criterion) is kept in ``StoredAgreement`` so that pages read one row instead of every
submitted assessment of the market.

Why stored and not computed per request: the overall and per-criterion kappas need every
submitted assessment of the market (65,000 at the large tenant: ~100 ms a request), yet
they change only when an assessment is written. Writes (``services.refresh_verdict``,
called by every assessment change) raise the row's generation in their transaction; the
next reader recomputes and stores the figures if its generation is stale. The conditional
update on the generation the reader started from keeps a reader that raced a writer from
storing figures older than that write. ``manage.py rebuild_aggregates`` recomputes all.

Per-candidacy kappas are not stored: a page shows at most a page of candidacies, and
``candidacy_agreements`` computes those from their own assessments in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from django.db.models import F
from django.utils import timezone

from evaluations import agreement as agreement_maths
from evaluations.models import Assessment, StoredAgreement
from tracker.models import Criterion, Market


def invalidate_agreement(market_id: int) -> None:
    """Mark the market's stored agreement stale (one UPDATE; call inside the write's
    transaction)."""
    StoredAgreement.objects.filter(market_id=market_id).update(generation=F("generation") + 1)


def _submitted_ratings(**filters):
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED, **filters)
        .exclude(criterion__kind=Criterion.Kind.INFORMATIONAL)
        .order_by()  # no inherited Meta.ordering: it would add joins and a sort
    )


def compute_market_agreement(market_id: int) -> dict:
    """The overall and per-criterion kappas of a market, from its submitted assessments
    (the same items as ``services.measure_agreement``)."""
    ratings: dict[tuple[int, str], list[str]] = defaultdict(list)
    for candidacy_id, key, vote in _submitted_ratings(candidacy__market_id=market_id)\
            .values_list("candidacy_id", "criterion__key", "verdict").iterator(chunk_size=5000):
        ratings[(candidacy_id, key)].append(vote)
    per_criterion: dict[str, list[list[str]]] = defaultdict(list)
    for (_, key), votes in ratings.items():
        per_criterion[key].append(votes)
    return {
        "overall": asdict(agreement_maths.fleiss_kappa(list(ratings.values()))),
        "by_criterion": {k: asdict(agreement_maths.fleiss_kappa(v))
                         for k, v in per_criterion.items()},
    }


def _as_agreement(figures: dict) -> agreement_maths.Agreement:
    return agreement_maths.Agreement(**figures)


def market_agreement(market: Market):
    """The market's agreement (``services.MarketAgreement`` with ``by_candidacy`` empty),
    from the stored row when fresh, else recomputed and stored."""
    from evaluations.services import MarketAgreement

    row, _ = StoredAgreement.objects.get_or_create(market_id=market.pk)
    figures = row.figures
    if figures is None or row.computed_generation != row.generation:
        figures = compute_market_agreement(market.pk)
        StoredAgreement.objects.filter(market_id=market.pk, generation=row.generation).update(
            figures=figures, computed_generation=row.generation, computed_at=timezone.now()
        )
    return MarketAgreement(
        overall=_as_agreement(figures["overall"]),
        by_criterion={k: _as_agreement(v) for k, v in figures["by_criterion"].items()},
        by_candidacy={},
    )


def candidacy_agreements(candidacy_ids: Iterable[int]) -> dict[int, agreement_maths.Agreement]:
    """Per candidacy (items: its criteria), Fleiss' kappa of its submitted assessments;
    one query for all the given candidacies (a page of them)."""
    ids = list(candidacy_ids)
    ratings: dict[tuple[int, int], list[str]] = defaultdict(list)
    for candidacy_id, criterion_id, vote in _submitted_ratings(candidacy_id__in=ids)\
            .values_list("candidacy_id", "criterion_id", "verdict"):
        ratings[(candidacy_id, criterion_id)].append(vote)
    per_candidacy: dict[int, list[list[str]]] = defaultdict(list)
    for (candidacy_id, _), votes in ratings.items():
        per_candidacy[candidacy_id].append(votes)
    return {k: agreement_maths.fleiss_kappa(v) for k, v in per_candidacy.items()}


def rebuild_agreements() -> int:
    """Recompute and store every market's agreement; returns how many markets."""
    markets = list(Market.objects.values_list("pk", flat=True))
    for market_id in markets:
        row, _ = StoredAgreement.objects.get_or_create(market_id=market_id)
        StoredAgreement.objects.filter(market_id=market_id, generation=row.generation).update(
            figures=compute_market_agreement(market_id), computed_generation=row.generation,
            computed_at=timezone.now(),
        )
    return len(markets)
