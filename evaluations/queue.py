"""Each adjudicator's queue: candidacies awaiting their assessment, their drafts, those
they are done with, and those closed to scoring before they began (a resolved market, a
decided candidacy). Used by the scoring list's filter and column and the admin index
counts, so the list and the index always agree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, QuerySet

from evaluations import services
from tracker.models import Candidacy

if TYPE_CHECKING:
    from evaluations.queries import ProgressCandidacy

AWAITING, DRAFTS, DONE, CONFLICT, CLOSED = "awaiting", "drafts", "done", "conflict", "closed"
LABELS = {
    AWAITING: "Awaiting my assessment",
    DRAFTS: "My drafts",
    DONE: "Done (submitted)",
    CONFLICT: "I have a conflict",
    CLOSED: "Closed before I began (resolved market or decided)",
}


def with_my_progress(queryset: QuerySet[Candidacy], user) -> QuerySet[ProgressCandidacy]:
    """Annotate my_submitted, my_total (my assessments) and criteria_total: per-row
    subquery counts (evaluations.queries), not COUNT(DISTINCT) over a join of candidacies
    x assessments x criteria."""
    from evaluations import queries

    return queries.with_my_progress(queryset, user)


def in_queue(queryset: QuerySet[ProgressCandidacy], user, which: str,
             conflicted: set[int] | None = None) -> QuerySet[ProgressCandidacy]:
    """`queryset` (annotated by `with_my_progress`) narrowed to one part of the queue.
    Awaiting: nothing recorded yet, no conflict, the candidacy still under review. Drafts:
    something recorded, not every criterion submitted. Done: every criterion submitted."""
    if conflicted is None:
        conflicted = services.conflicted_candidacy_ids(user=user)
    if which == AWAITING:
        return queryset.filter(my_total=0).exclude(pk__in=conflicted).exclude(
            services.settled_candidacies())
    if which == CLOSED:
        return queryset.filter(services.settled_candidacies(), my_total=0).exclude(
            pk__in=conflicted)
    if which == DRAFTS:
        return queryset.filter(my_total__gt=0).exclude(
            my_submitted__gte=F("criteria_total"))
    if which == DONE:
        return queryset.filter(criteria_total__gt=0, my_submitted__gte=F("criteria_total"))
    if which == CONFLICT:
        return queryset.filter(pk__in=conflicted)
    return queryset


def my_status(candidacy: ProgressCandidacy, conflicted: set[int]) -> str:
    """One annotated candidacy's place in the viewer's queue (for the list column)."""
    if candidacy.pk in conflicted and not candidacy.my_total:
        return CONFLICT
    if candidacy.criteria_total and candidacy.my_submitted >= candidacy.criteria_total:
        return DONE
    if candidacy.my_total:
        return DRAFTS
    if services.is_settled(candidacy):
        return CLOSED
    return AWAITING


def queue_counts(user) -> dict[str, int]:
    """How many candidacies are awaiting the adjudicator, in draft, done, and (when there
    are any) closed before they began: the same sets as ``in_queue``, counted from the
    candidacies the adjudicator touched or is conflicted with (few, whatever the tenant's
    size) and one count of all candidacies, settled or not. Every other candidacy has none
    of the adjudicator's assessments and no conflict, so it is awaiting (under review) or
    closed (settled): four per-row subquery counts over every candidacy, as this was, grew
    with the tenant."""
    from django.db.models import BooleanField, Case, Count, Q, Value, When

    from evaluations.models import Assessment

    if not services.is_adjudicator(user):
        return {}
    conflicted = services.conflicted_candidacy_ids(user=user)
    settled = services.settled_candidacies()
    totals = Candidacy.objects.order_by().aggregate(
        all=Count("pk"), settled=Count("pk", filter=settled))
    touched = Assessment.objects.filter(adjudicator=user).order_by().values("candidacy_id")
    rows = with_my_progress(
        Candidacy.objects.filter(Q(pk__in=touched) | Q(pk__in=sorted(conflicted))), user,
    ).annotate(settled=Case(When(settled, then=Value(True)), default=Value(False),
                            output_field=BooleanField())).order_by()
    counts = {AWAITING: totals["all"] - totals["settled"], DRAFTS: 0, DONE: 0,
              CLOSED: totals["settled"]}
    for my_total, my_submitted, criteria_total, is_settled in rows.values_list(
            "my_total", "my_submitted", "criteria_total", "settled"):
        # Touched or conflicted: neither awaiting nor closed (in_queue's filters).
        counts[CLOSED if is_settled else AWAITING] -= 1
        if my_total and my_submitted < criteria_total:
            counts[DRAFTS] += 1
        if criteria_total and my_submitted >= criteria_total:
            counts[DONE] += 1
    if not counts[CLOSED]:
        del counts[CLOSED]
    return counts
