"""The candidates leaderboard of a market, for the page and the API.

The order is computed in SQL (assessed candidates first; then verdict, must-pass criteria
met, not met, and the name shown), so a page is a LIMIT and nothing outside it is read;
rows are built only for the page. Blind review (``services.Sight``): a candidacy whose
verdict the viewer may not see (under review, or one an adjudicator has not finished) ranks
as unassessed and shows nothing derived from others' assessments, exactly as if its verdict
were unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from evaluations.aggregates import candidacy_agreements
from evaluations.agreement import Agreement
from evaluations.models import Assessment, CandidacyVerdict
from evaluations.services.visibility import Sight, sight
from replication.status import latest_run_labels
from tracker.models import Candidacy, Market
from tracker.queries import shown_name

ORDER = {"qualifies": 0, "undecided": 1, "falls_short": 2}


class JSONArrayLength(Func):
    """Length of a JSON array column: jsonb_array_length on Postgres, json_array_length
    on SQLite."""

    function = "jsonb_array_length"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="json_array_length", **extra)


@dataclass
class Row:
    candidacy: Candidacy
    verdict: str | None
    criteria_met: list[str]
    criteria_not_met: list[str]
    adjudicators: int
    agreement: Agreement | None
    conflict_waivers: int
    replication: str | None  # the latest replication run's verdict or state
    hidden: bool
    hidden_why: str = ""  # services.BLIND or services.UNDER_REVIEW when hidden

    @property
    def verdict_label(self) -> str:
        return dict(CandidacyVerdict.Outcome.choices).get(self.verdict or "", "")


def visible_filter(*, viewer, market: Market) -> Q | None:
    """The candidacies of ``market`` whose verdict ``viewer`` sees (``Sight.visible``)."""
    return sight(viewer=viewer, market=market).visible()


def ranked(*, market: Market, viewer, seen: Sight | None = None) -> QuerySet[Candidacy]:
    """The market's candidacies in leaderboard order, as a queryset to paginate: those with
    submitted assessments first (qualifying, then undecided, then falling short, most
    must-pass criteria met first), then the unassessed, each by the name shown. A row
    hidden from ``viewer`` ranks as unassessed."""
    outcome = Case(
        When(verdict__outcome="qualifies", then=Value(ORDER["qualifies"])),
        When(verdict__outcome="falls_short", then=Value(ORDER["falls_short"])),
        default=Value(ORDER["undecided"]),
    )
    met: Expression = Coalesce(JSONArrayLength(F("verdict__criteria_met")), 0)
    not_met: Expression = Coalesce(JSONArrayLength(F("verdict__criteria_not_met")), 0)
    unassessed: Expression = Case(When(verdict__submitted_count__gt=0, then=Value(0)),
                                  default=Value(1))
    visible = (seen or sight(viewer=viewer, market=market)).visible()
    if visible is not None:
        outcome = Case(When(visible, then=outcome), default=Value(ORDER["undecided"]))
        met = Case(When(visible, then=met), default=Value(0))
        not_met = Case(When(visible, then=not_met), default=Value(0))
        unassessed = Case(When(visible, then=unassessed), default=Value(1))
    # No authors: neither the page nor the API shows them (a query and a few hundred
    # objects a page); a caller that shows them prefetches them itself.
    return (
        market.candidacies.select_related("paper", "verdict")
        .annotate(rank_unassessed=unassessed, rank_outcome=outcome, rank_met=met,
                  rank_not_met=not_met)
        .order_by("rank_unassessed", "rank_outcome", "-rank_met", "rank_not_met",
                  shown_name(), "pk")
    )


def rows_for(candidacies: Iterable[Candidacy], *, market: Market, viewer,
             seen: Sight | None = None) -> list[Row]:
    """Leaderboard rows of these candidacies (a page of ``ranked``): three queries
    whatever their number (agreement, conflict waivers, replication runs)."""
    candidacies = list(candidacies)
    ids = [c.pk for c in candidacies]
    titles = dict(market.criteria.order_by().values_list("key", "title"))
    agreement = candidacy_agreements(ids)
    waivers = dict(
        Assessment.objects.filter(candidacy_id__in=ids, status=Assessment.Status.SUBMITTED)
        .exclude(conflict_waiver="").order_by().values("candidacy_id")
        .annotate(n=Count("pk")).values_list("candidacy_id", "n")
    )
    replication = latest_run_labels(ids)
    seen = seen or sight(viewer=viewer, market=market)
    rows = []
    for candidacy in candidacies:
        stored = getattr(candidacy, "verdict", None)
        why = seen.why(candidacy, market)
        hidden = bool(why)
        rows.append(Row(
            candidacy=candidacy,
            verdict=None if hidden else (stored.outcome if stored else "undecided"),
            criteria_met=[] if hidden or not stored else
            [titles.get(k, k) for k in stored.criteria_met],
            criteria_not_met=[] if hidden or not stored else
            [titles.get(k, k) for k in stored.criteria_not_met],
            adjudicators=stored.adjudicator_count if stored and not hidden else 0,
            agreement=None if hidden else agreement.get(candidacy.pk),
            conflict_waivers=0 if hidden else waivers.get(candidacy.pk, 0),
            replication=replication.get(candidacy.pk),
            hidden=hidden,
            hidden_why=why,
        ))
    return rows


def leaderboard(*, market: Market, viewer) -> list[Row]:
    """Every row, best first (for commands and tests; pages use ``ranked`` + ``rows_for``
    on one page)."""
    return rows_for(ranked(market=market, viewer=viewer), market=market, viewer=viewer)
