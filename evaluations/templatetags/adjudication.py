"""Template tags that put adjudication on the catalogue's pages (market and paper) without
changing their views: verdicts, resolution history, agreement, consensus and rationales.
Each tag's queries are fixed in number per page, never per row."""

from __future__ import annotations

from collections import Counter, defaultdict

from django import template

from evaluations import services
from evaluations.aggregates import market_agreement
from evaluations.leaderboard import sight
from evaluations.models import Assessment
from evaluations.verdicts import majority

register = template.Library()


def _why(context, market, candidacy) -> str:
    """Why blind review hides ``candidacy`` from the viewer ("" when it does not): the
    viewer's finished and conflicted ids (few) are read once per market and request,
    never the whole market's candidacies."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if request is None:
        return sight(viewer=viewer, market=market).why(candidacy, market)
    cache = request.__dict__.setdefault("_sight_by_market", {})
    if market.pk not in cache:
        cache[market.pk] = sight(viewer=viewer, market=market)
    return cache[market.pk].why(candidacy, market)


@register.inclusion_tag("evaluations/_verdict_cell.html", takes_context=True)
def verdict_cell(context, candidacy):
    why = _why(context, candidacy.market, candidacy)
    return {"verdict": None if why else getattr(candidacy, "verdict", None),
            "hidden": bool(why), "hidden_why": why}


@register.inclusion_tag("evaluations/_resolution.html")
def resolution_panel(market, events=None):
    """``events``: the market's resolution history when the page has read it already."""
    events = services.resolution_history(market) if events is None else events
    return {"market": market, "events": events,
            "current": services.current_resolution(market, events)}


@register.inclusion_tag("evaluations/_agreement.html", takes_context=True)
def agreement_panel(context, market):
    request = context.get("request")
    # Stored for the public and resolvers: not every assessment per request.
    result = market_agreement(market, getattr(request, "user", None))
    rows = [(criterion.title, result.by_criterion[criterion.key])
            for criterion in market.criteria.all() if criterion.key in result.by_criterion]
    # A table of dashes and zeros says nothing: only criteria with a measured kappa.
    measured = [(title, r) for title, r in rows if r.kappa is not None]
    return {"market": market, "overall": result.overall, "rows": measured,
            "unmeasured": len(rows) - len(measured)}


@register.inclusion_tag("evaluations/_consensus.html", takes_context=True)
def candidacy_consensus(context, candidacy):
    """Per-criterion consensus and the rationales of submitted assessments. Uses the
    `submitted_assessments` and `market.criteria` prefetched by tracker.queries.get_paper."""
    market = candidacy.market
    why = _why(context, market, candidacy)
    if why:
        return {"candidacy": candidacy, "hidden": True, "hidden_message":
                services.HIDDEN_MESSAGES[why], "verdict": None, "consensus": [],
                "assessments": []}
    submitted = getattr(candidacy, "submitted_assessments", None)
    if submitted is None:
        submitted = list(candidacy.assessments.filter(status=Assessment.Status.SUBMITTED)
                         .select_related("criterion", "adjudicator"))
    votes: dict[int, list[str]] = defaultdict(list)
    for assessment in submitted:
        votes[assessment.criterion_id].append(assessment.verdict)
    labels = dict(Assessment.Verdict.choices)
    consensus = []
    for criterion in market.criteria.all():
        these = votes.get(criterion.pk, [])
        winner = majority(these)
        consensus.append({
            "criterion": criterion,
            "majority": (labels.get(winner, "no majority") if winner is not None
                         else "no majority") if these else "not assessed",
            "key": winner or "",
            "counts": ", ".join(f"{labels[v]} {n}" for v, n in Counter(these).most_common()),
        })
    return {
        "candidacy": candidacy,
        "hidden": False,
        "verdict": getattr(candidacy, "verdict", None),
        "consensus": consensus,
        "assessments": sorted(submitted, key=lambda a: (a.criterion.order, a.adjudicator_id)),
    }
