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
writer never stores figures older than that write. A read never writes (issue 27: a
GET that stored figures moved the content version and expired every cached page): the
rows are recomputed after the write commits (``refresh_verdict`` marks them stale with
``StoredAgreement.invalidate`` and sends the ``evaluations.refresh_agreement`` task on the
commit) and by the reconciler's pass for rows that went stale
another way (a candidacy settled: the signature); a reader that finds a stale row computes
the figures for itself and stores nothing. ``manage.py rebuild_aggregates`` recomputes all.

Per-candidacy kappas are not stored: a page shows at most a page of candidacies, and
``candidacy_agreements`` computes those from their own assessments in one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict

from django.db.models import Count, Max, Q
from django.utils import timezone

from evaluations import agreement as agreement_maths
from evaluations.models import Assessment, StoredAgreement
from tracker.models import Candidacy, Criterion, Market


def _submitted_ratings(**filters):
    return (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED, **filters)
        .exclude(criterion__kind=Criterion.Kind.INFORMATIONAL)
        .order_by()  # no inherited Meta.ordering: it would add joins and a sort
    )


def _ratings(market_id: int, visible: Q | None) -> dict[tuple[int, str], list[str]]:
    """The votes per item (candidacy, criterion key) of the market's submitted assessments
    on the candidacies matching ``visible`` (None: all)."""
    ratings: dict[tuple[int, str], list[str]] = defaultdict(list)
    assessments = _submitted_ratings(candidacy__market_id=market_id)
    if visible is not None:
        assessments = assessments.filter(candidacy__in=Candidacy.objects.filter(visible))
    for candidacy_id, key, vote in assessments.values_list(
            "candidacy_id", "criterion__key", "verdict").iterator(chunk_size=5000):
        ratings[(candidacy_id, key)].append(vote)
    return ratings


# Fleiss' kappa is a function of sums over items (items rated twice or more, the sum of
# their agreeing-pair shares, the ratings per category, the most raters on one item):
# sums over disjoint sets of items add up. The public's stored row keeps them, so that an
# adjudicator's figures (the settled candidacies plus the few unsettled ones they
# finished) read only their own candidacies' assessments.
Sums = dict  # {"items": int, "agree": float, "totals": {category: int}, "raters": int}


def _item_sums(items: Iterable[list[str]]) -> Sums:
    sums: Sums = {"items": 0, "agree": 0.0, "totals": {}, "raters": 0}
    for ratings in items:
        n = len(ratings)
        sums["raters"] = max(sums["raters"], n)
        if n < 2:
            continue
        counts: dict[str, int] = defaultdict(int)
        for vote in ratings:
            counts[vote] += 1
        sums["items"] += 1
        sums["agree"] += sum(c * (c - 1) for c in counts.values()) / (n * (n - 1))
        for vote, c in counts.items():
            sums["totals"][vote] = sums["totals"].get(vote, 0) + c
    return sums


def _add_sums(a: Sums, b: Sums) -> Sums:
    totals = dict(a["totals"])
    for vote, c in b["totals"].items():
        totals[vote] = totals.get(vote, 0) + c
    return {"items": a["items"] + b["items"], "agree": a["agree"] + b["agree"],
            "totals": totals, "raters": max(a["raters"], b["raters"])}


def _kappa_of(sums: Sums) -> agreement_maths.Agreement:
    """``agreement.fleiss_kappa`` from the sums (the same formula and reasons)."""
    if not sums["items"]:
        return agreement_maths.Agreement(None, 0, sums["raters"],
                                         "fewer than two raters on every item")
    observed = sums["agree"] / sums["items"]
    all_ratings = sum(sums["totals"].values())
    expected = sum((c / all_ratings) ** 2 for c in sums["totals"].values())
    if expected >= 1.0:
        return agreement_maths.Agreement(None, sums["items"], sums["raters"],
                                         "every rating is in the same category")
    return agreement_maths.Agreement((observed - expected) / (1.0 - expected), sums["items"],
                                     sums["raters"])


def _sums_of(ratings: dict[tuple[int, str], list[str]]) -> dict:
    per_criterion: dict[str, list[list[str]]] = defaultdict(list)
    for (_, key), votes in ratings.items():
        per_criterion[key].append(votes)
    return {"overall": _item_sums(ratings.values()),
            "by_criterion": {k: _item_sums(v) for k, v in per_criterion.items()}}


def _figures_of(sums: dict) -> dict:
    return {
        "overall": asdict(_kappa_of(sums["overall"])),
        "by_criterion": {k: asdict(_kappa_of(v)) for k, v in sums["by_criterion"].items()},
        "sums": sums,
    }


def _combined(a: dict, b: dict) -> dict:
    """Sums over two disjoint sets of items."""
    empty: Sums = {"items": 0, "agree": 0.0, "totals": {}, "raters": 0}
    keys = set(a["by_criterion"]) | set(b["by_criterion"])
    return {"overall": _add_sums(a["overall"], b["overall"]),
            "by_criterion": {k: _add_sums(a["by_criterion"].get(k, empty),
                                          b["by_criterion"].get(k, empty)) for k in keys}}


def compute_market_agreement(market_id: int, visible: Q | None = None) -> dict:
    """The overall and per-criterion kappas of a market, from the submitted assessments
    of the candidacies matching ``visible`` (a filter on candidacies; None: all), the same
    items as ``services.measure_agreement``; with the sums they come from."""
    return _figures_of(_sums_of(_ratings(market_id, visible)))


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


def _fresh(row: StoredAgreement | None, signature: list | None) -> bool:
    return (row is not None and row.figures is not None and "sums" in row.figures
            and row.computed_generation == row.generation and row.signature == signature)


def _scope_filter(scope: str) -> Q | None:
    from evaluations.services.visibility import settled_candidacies

    return settled_candidacies() if scope == StoredAgreement.Scope.SETTLED else None


def _signature_of(market: Market, scope: str) -> list | None:
    return _signature(market) if scope == StoredAgreement.Scope.SETTLED else None


def stored_agreement(market: Market, scope: str) -> dict:
    """The figures of one scope: the stored row's when fresh, else computed for this reader
    and not stored (a read never writes; the write's commit or the reconciler stores them)."""
    row = StoredAgreement.objects.filter(market_id=market.pk, scope=scope).first()
    if row is not None and row.figures is not None and _fresh(row, _signature_of(market, scope)):
        return row.figures
    return compute_market_agreement(market.pk, _scope_filter(scope))


def refresh_agreement(market_id: int) -> int:
    """Recompute and store the market's stale scopes (conditionally on the generation read
    first: a refresh that raced a later write stores nothing, and that write's own refresh
    follows). How many scopes it stored. The write side: never called by a page."""
    market = Market.objects.filter(pk=market_id).first()
    if market is None:
        return 0
    stored = 0
    for scope in StoredAgreement.Scope.values:
        row, _ = StoredAgreement.objects.get_or_create(market_id=market.pk, scope=scope)
        signature = _signature_of(market, scope)
        if _fresh(row, signature):
            continue
        figures = compute_market_agreement(market.pk, _scope_filter(scope))
        stored += StoredAgreement.objects.filter(pk=row.pk, generation=row.generation).update(
            figures=figures, computed_generation=row.generation, signature=signature,
            computed_at=timezone.now())
    return stored


def refresh_stale_agreements() -> list[int]:
    """The reconciler's step: the markets whose stored agreement it recomputed."""
    return [pk for pk in Market.objects.order_by("pk").values_list("pk", flat=True)
            if refresh_agreement(pk)]


def stored_all(market: Market):
    """Every submitted assessment's agreement (the resolvers' figures), stored."""
    return _as_result(stored_agreement(market, StoredAgreement.Scope.ALL))


def market_agreement(market: Market, viewer=None, seen=None):
    """The market's agreement as ``viewer`` may see it (``services.MarketAgreement``, with
    ``by_candidacy`` empty: ``candidacy_agreements`` gives a page's). The public's and the
    resolvers' figures are stored; an adjudicator's depend on which candidacies they have
    finished, so theirs are computed over the candidacies they see."""
    from evaluations.services.visibility import sight

    seen = seen or sight(viewer=viewer, market=market)
    if seen.everything:
        return _as_result(stored_agreement(market, StoredAgreement.Scope.ALL))
    unsettled = _unsettled_in_sight(market, seen) if seen.adjudicator else []
    if not unsettled:
        # An adjudicator who sees nothing beyond the settled candidacies (every one of a
        # resolved market, or none of theirs still open) sees the public's figures.
        return _as_result(stored_agreement(market, StoredAgreement.Scope.SETTLED))
    # The public's stored sums over the settled candidacies plus the adjudicator's few
    # unsettled ones: their assessments only, not the market's.
    settled = stored_agreement(market, StoredAgreement.Scope.SETTLED)["sums"]
    own = _sums_of(_ratings(market.pk, Q(pk__in=unsettled)))
    return _as_result(_figures_of(_combined(settled, own)))


def _unsettled_in_sight(market: Market, seen) -> list[int]:
    """The unsettled candidacies whose assessments the adjudicator sees (ones they
    finished, or are conflicted with as a resolver): a query only when they have any."""
    from evaluations.services import settled_candidacies

    ids = set(seen.done) | (set(seen.conflicted) if seen.privileged else set())
    if not ids or market.is_settled:
        return []
    return list(Candidacy.objects.filter(pk__in=sorted(ids), market_id=market.pk)
                .exclude(settled_candidacies()).order_by("pk").values_list("pk", flat=True))


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
        refresh_agreement(market.pk)
    return len(markets)
