"""Stored aggregates of adjudication: a market's agreement (Fleiss' kappa overall and per
criterion) is kept in ``StoredAgreement`` so that pages read one row instead of every
submitted assessment of the market.

Why stored and not computed per request: the overall and per-criterion kappas need every
submitted assessment of the market (65,000 at the large tenant: ~100 ms a request), yet
they change only when an assessment is written or a candidacy is settled. Blind review
makes them depend on the reader: the public sees them over settled candidacies, resolvers
over all, an adjudicator over those they may see; the first two are stored (one row per
scope), an adjudicator's are computed per request over their candidacies. Writes
(``services.verdicts.refresh_verdict``, called by every assessment change) raise the rows'
generation in their transaction; the public row also keeps a signature of the settled set
(market status, settled count, latest candidacy change). A stale row is recomputed by the
next reader, conditionally on the generation it read first, so a reader that raced a
writer never stores figures older than that write. ``manage.py rebuild_aggregates``
recomputes all.

Per-candidacy kappas are not stored: a page shows at most a page of candidacies, and
``candidacy_agreements`` computes those from their own assessments in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from django.db.models import Count, F, Max, Q
from django.utils import timezone

from evaluations import agreement as agreement_maths
from evaluations.models import Assessment, StoredAgreement
from tracker.models import Candidacy, Criterion, Market


def invalidate_agreement(market_id: int) -> None:
    """Mark the market's stored agreements stale (one UPDATE; call inside the write's
    transaction)."""
    StoredAgreement.objects.filter(market_id=market_id).update(generation=F("generation") + 1)


def _submitted_ratings(**filters):
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED, **filters)
        .exclude(criterion__kind=Criterion.Kind.INFORMATIONAL)
        .order_by()  # no inherited Meta.ordering: it would add joins and a sort
    )


def compute_market_agreement(market_id: int, visible: Q | None = None) -> dict:
    """The overall and per-criterion kappas of a market, from the submitted assessments
    of the candidacies matching ``visible`` (a filter on candidacies; None: all), the same
    items as ``services.measure_agreement``."""
    ratings: dict[tuple[int, str], list[str]] = defaultdict(list)
    assessments = _submitted_ratings(candidacy__market_id=market_id)
    if visible is not None:
        assessments = assessments.filter(candidacy__in=Candidacy.objects.filter(visible))
    for candidacy_id, key, vote in assessments.values_list(
            "candidacy_id", "criterion__key", "verdict").iterator(chunk_size=5000):
        ratings[(candidacy_id, key)].append(vote)
    per_criterion: dict[str, list[list[str]]] = defaultdict(list)
    for (_, key), votes in ratings.items():
        per_criterion[key].append(votes)
    return {
        "overall": asdict(agreement_maths.fleiss_kappa(list(ratings.values()))),
        "by_criterion": {k: asdict(agreement_maths.fleiss_kappa(v))
                         for k, v in per_criterion.items()},
    }


def _signature(market: Market) -> list:
    """Which of the market's candidacies are settled, cheaply: the market's status, how
    many are settled and the latest change to any of them."""
    from evaluations.services.visibility import settled_candidacies

    figures = Candidacy.objects.filter(market_id=market.pk).order_by().aggregate(
        settled=Count("pk", filter=settled_candidacies()), changed=Max("updated_at"))
    changed = figures["changed"].isoformat() if figures["changed"] else ""
    return [market.status, figures["settled"], changed]


def _as_result(figures: dict):
    from evaluations.services.agreement import MarketAgreement

    return MarketAgreement(
        overall=agreement_maths.Agreement(**figures["overall"]),
        by_criterion={k: agreement_maths.Agreement(**v)
                      for k, v in figures["by_criterion"].items()},
        by_candidacy={},
    )


def stored_agreement(market: Market, scope: str) -> dict:
    """The figures of one scope, from the stored row when fresh, else recomputed and
    stored (conditionally on the generation read first: a reader that raced a write
    does not store figures older than it)."""
    from evaluations.services.visibility import settled_candidacies

    row, _ = StoredAgreement.objects.get_or_create(market_id=market.pk, scope=scope)
    signature = _signature(market) if scope == StoredAgreement.Scope.SETTLED else None
    if (row.figures is not None and row.computed_generation == row.generation
            and row.signature == signature):
        return row.figures
    visible = settled_candidacies() if scope == StoredAgreement.Scope.SETTLED else None
    figures = compute_market_agreement(market.pk, visible)
    StoredAgreement.objects.filter(pk=row.pk, generation=row.generation).update(
        figures=figures, computed_generation=row.generation, signature=signature,
        computed_at=timezone.now(),
    )
    return figures


def stored_all(market: Market):
    """Every submitted assessment's agreement (the resolvers' figures), stored."""
    return _as_result(stored_agreement(market, StoredAgreement.Scope.ALL))


def market_agreement(market: Market, viewer=None, seen=None):
    """The market's agreement as ``viewer`` may see it (``services.MarketAgreement``, with
    ``by_candidacy`` empty: ``candidacy_agreements`` gives a page's). The public's and the
    resolvers' figures are stored; an adjudicator's depend on which candidacies they have
    finished, so theirs are computed over the candidacies they see."""
    from evaluations.leaderboard import sight

    seen = seen or sight(viewer=viewer, market=market)
    if seen.everything:
        return _as_result(stored_agreement(market, StoredAgreement.Scope.ALL))
    if not seen.adjudicator or not _unsettled_in_sight(market, seen):
        # An adjudicator who sees nothing beyond the settled candidacies (every one of a
        # resolved market, or none of theirs still open) sees the public's figures.
        return _as_result(stored_agreement(market, StoredAgreement.Scope.SETTLED))
    return _as_result(compute_market_agreement(market.pk, seen.visible()))


def _unsettled_in_sight(market: Market, seen) -> bool:
    """Whether the adjudicator sees an unsettled candidacy's assessments (one they
    finished, or are conflicted with as a resolver): a query only when they have any."""
    from evaluations.services import settled_candidacies

    ids = set(seen.done) | (set(seen.conflicted) if seen.privileged else set())
    if not ids or market.is_settled:
        return False
    return Candidacy.objects.filter(pk__in=sorted(ids), market_id=market.pk).exclude(
        settled_candidacies()).exists()


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
    """Recompute and store every market's agreement (both scopes); how many markets."""
    markets = list(Market.objects.all())
    for market in markets:
        StoredAgreement.objects.filter(market=market).update(figures=None)
        for scope in StoredAgreement.Scope.values:
            stored_agreement(market, scope)
    return len(markets)
