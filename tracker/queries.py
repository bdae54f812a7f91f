"""Read-side querysets shared by the pages and the API, with their joins prefetched
so that the number of SQL queries does not grow with the number of rows."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import Http404

from tracker.arxiv_ids import InvalidArxivId, is_arxiv_id, normalize_arxiv_id
from tracker.models import Authorship, Candidacy, Market, Paper


def markets() -> QuerySet[Market]:
    return Market.objects.annotate(candidacy_count=Count("candidacies")).order_by("title")


def shown_name(prefix: str = "paper__") -> Lower:
    """The name a paper is shown by (its short name, else its title), for sorting: a list
    sorted by full titles while showing short names looks unsorted."""
    return Lower(Coalesce(NullIf(f"{prefix}short_name", Value("")), f"{prefix}title"))


def market_candidacies(market: Market) -> QuerySet[Candidacy]:
    return (
        market.candidacies.select_related("paper", "market", "verdict")
        .prefetch_related(_authorships("paper__"))
        .order_by(shown_name(), "pk")
    )


def papers() -> QuerySet[Paper]:
    return Paper.objects.prefetch_related(
        _authorships(),
        Prefetch(
            "candidacies",
            queryset=Candidacy.objects.select_related("market").prefetch_related("claims"),
        ),
    )


def paper_list() -> QuerySet[Paper]:
    """The papers list: newest first (the ``paper_list_order`` index), with authors."""
    return Paper.objects.prefetch_related(_authorships()).order_by("-published", "title", "id")


def _authorships(prefix: str = "") -> Prefetch:
    return Prefetch(
        f"{prefix}authorships",
        queryset=Authorship.objects.select_related("author").order_by("position"),
    )


def get_paper(public_id: str, queryset: QuerySet[Paper] | None = None) -> Paper:
    """A paper of ``queryset`` (default :func:`papers`) by arXiv id (any version or form)
    or by slug; 404 for an unknown id. The paper page adds its adjudication and
    replication prefetches (``tracker.views.paper_page``)."""
    queryset = papers() if queryset is None else queryset
    if is_arxiv_id(public_id):
        paper = queryset.filter(arxiv_id=normalize_arxiv_id(public_id)).first()
    else:
        paper = queryset.filter(slug=public_id).first()
    if paper is None:
        raise Http404(f"No paper with id {public_id!r}.")
    return paper


__all__ = ["InvalidArxivId", "get_paper", "market_candidacies", "markets", "paper_list",
           "papers"]
