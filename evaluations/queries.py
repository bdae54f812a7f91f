"""Read-side querysets of adjudication for the admin lists, written so that their cost
does not grow with the tenant: per-candidacy counts as correlated subqueries (not
COUNT(DISTINCT) over a candidacies x assessments x criteria join), no inherited ordering
in aggregates, and per-page batches instead of per-row queries.

``evaluations.admin`` and ``evaluations.services`` call these; they compute the same
figures as the code they replace.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from evaluations.models import Assessment, DeclaredConflict
from tracker.models import Authorship, Candidacy, Criterion, Paper


class MyProgress(TypedDict):
    """What ``with_my_progress`` annotates on each candidacy."""

    my_submitted: int
    my_total: int
    criteria_total: int


if TYPE_CHECKING:  # django_stubs_ext is a dev tool, not a runtime dependency
    from django_stubs_ext import WithAnnotations

    ProgressCandidacy = WithAnnotations[Candidacy, MyProgress]


def _count(queryset: QuerySet, group: str) -> Coalesce:
    """COUNT(*) of ``queryset`` for the outer row, as a subquery (0 when none)."""
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(n=Count("pk")).values("n"),
                 output_field=IntegerField()),
        Value(0),
    )


def criteria_count() -> Coalesce:
    """Criteria of the outer candidacy's market."""
    return _count(Criterion.objects.filter(market_id=OuterRef("market_id")), "market_id")


def with_my_progress(candidacies: QuerySet[Candidacy], user) -> QuerySet[ProgressCandidacy]:
    """Annotate ``my_submitted``, ``my_total`` (the user's assessments of each candidacy)
    and ``criteria_total``, each one indexed subquery per row of the page."""
    if not user.is_authenticated:
        return candidacies.annotate(my_submitted=Value(0), my_total=Value(0),
                                    criteria_total=criteria_count())
    mine = Assessment.objects.filter(candidacy_id=OuterRef("pk"), adjudicator=user)
    return candidacies.annotate(
        my_submitted=_count(mine.filter(status=Assessment.Status.SUBMITTED), "candidacy_id"),
        my_total=_count(mine, "candidacy_id"),
        criteria_total=criteria_count(),
    )


def completed_by(user, market_id: int | None = None) -> set[int]:
    """Ids of the candidacies (of one market, or all) for which ``user`` submitted every
    criterion of the market: the user's own submitted assessments grouped by candidacy
    (an index range on the adjudicator), compared in the same query with each market's
    criteria count (a subquery per group: one round trip on every adjudicator's page)."""
    needed = Subquery(
        Criterion.objects.filter(market_id=OuterRef("candidacy__market_id")).order_by()
        .values("market_id").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )
    mine = Assessment.objects.filter(adjudicator=user, status=Assessment.Status.SUBMITTED)
    if market_id is not None:
        mine = mine.filter(candidacy__market_id=market_id)
    return {
        candidacy_id for candidacy_id, done, total in
        mine.order_by().values("candidacy_id", "candidacy__market_id")
        .annotate(done=Count("criterion_id", distinct=True), needed=needed)
        .values_list("candidacy_id", "done", "needed")
        if total and done >= total
    }


def conflict_reasons(*, user, names: set[str], candidacies: Iterable[Candidacy]
                     ) -> dict[int, str]:
    """Per candidacy, why ``user`` may not assess its paper (the text of
    ``services.find_conflict``), for a page of candidacies in two queries."""
    candidacies = list(candidacies)
    papers = {c.paper_id for c in candidacies}
    by_paper: dict[int, str] = {}
    authored = (
        Authorship.objects.filter(paper_id__in=papers, author__normalized_name__in=names)
        .select_related("author").order_by("paper_id", "position")
        .annotate(n_authors=Subquery(
            Authorship.objects.filter(paper_id=OuterRef("paper_id")).order_by()
            .values("paper_id").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ))
    )
    who = user.get_full_name() or user.get_username()
    for authorship in authored:
        by_paper.setdefault(
            authorship.paper_id,
            f"{who} is an author of this paper (author {authorship.position} of "
            f"{authorship.n_authors}: {authorship.author.name}).",
        )
    for paper_id, reason in DeclaredConflict.objects.filter(
        adjudicator=user, paper_id__in=papers
    ).order_by().values_list("paper_id", "reason"):  # authorship, found first, wins
        by_paper.setdefault(paper_id, f"Declared conflict of interest: {reason}")
    return {c.pk: by_paper[c.paper_id] for c in candidacies if c.paper_id in by_paper}


def with_adjudication(queryset: QuerySet[Paper]) -> QuerySet[Paper]:
    """Each candidacy's stored verdict, its market's criteria and its submitted assessments
    (for the paper page's consensus and rationales)."""
    return queryset.prefetch_related(
        "candidacies__verdict",
        "candidacies__market__criteria",
        Prefetch(
            "candidacies__assessments",
            queryset=Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
            .select_related("criterion", "adjudicator").order_by("criterion__order", "id"),
            to_attr="submitted_assessments",
        ),
    )
