"""The /papers/ list: newest first by the date as the sources give it (a month-only date
sorts within its year, not at the bottom), each paper's verdicts, and filters. Filtering,
ordering and paging happen in the database: the list grows with arXiv ingestion. Badges
and the verdict filter see only what blind review lets the viewer see (``services.sight``,
the rule every page, feed and API answer applies)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, NullIf

from evaluations import services
from evaluations.models import CandidacyVerdict
from tracker import queries
from tracker.models import Candidacy, Paper

VERDICT_CHOICES = [
    ("qualifies", "Qualifies"),
    ("falls_short", "Falls short"),
    ("undecided", "Undecided"),
    ("none", "Not a candidate"),
]


# The badge of a verdict blind review hides (the paper page says why at length).
HIDDEN_LABELS = {services.BLIND: "hidden until you submit",
                 services.UNDER_REVIEW: "under review"}


def kind_choices() -> list[tuple[str, str]]:
    return list(Paper.Kind.choices)


@dataclass(frozen=True)
class Filters:
    q: str = ""
    verdict: str = ""
    kind: str = ""

    @classmethod
    def from_query(cls, query) -> Filters:
        verdict = query.get("verdict", "")
        kind = query.get("kind", "")
        return cls(
            q=query.get("q", "").strip()[:200],
            verdict=verdict if verdict in dict(VERDICT_CHOICES) else "",
            kind=kind if kind in dict(Paper.Kind.choices) else "",
        )

    def query_string(self) -> str:
        """The filters as a query string for the pagination links ('' when none)."""
        pairs = [(k, v) for k, v in (("q", self.q), ("verdict", self.verdict),
                                     ("kind", self.kind)) if v]
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return bool(self.q or self.verdict or self.kind)


def total() -> int:
    return Paper.objects.count()


def papers(*, viewer, filters: Filters) -> QuerySet[Paper]:
    """Papers matching the filters, newest first by the date the sources give:
    'YYYY', 'YYYY-MM' and 'YYYY-MM-DD' texts sort as strings, which puts '2025-02' after
    the days of February 2025 and before January (newest first)."""
    rows = queries.papers().annotate(sort_date=Coalesce(
        NullIf("date_text", Value("")), Cast("published", CharField()),
        output_field=CharField(),
    ))
    if filters.q:
        rows = rows.filter(Q(title__icontains=filters.q) | Q(short_name__icontains=filters.q)
                           | Q(arxiv_id__icontains=filters.q))
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.verdict:
        rows = rows.filter(_verdict_filter(filters.verdict, services.sight(viewer=viewer)))
    return rows.order_by(F("sort_date").desc(nulls_last=True), "title", "pk")


def _verdict_filter(verdict: str, seen: services.Sight) -> Q | Exists:
    """Papers with a live candidacy of this verdict as ``seen`` shows it: a verdict blind
    review hides is "undecided" to that viewer (as on the leaderboard), so what the filter
    matches never depends on it."""
    live = Candidacy.objects.filter(paper=OuterRef("pk")).exclude(
        status=Candidacy.Status.DISMISSED)
    if verdict == "none":
        return ~Q(Exists(live))
    visible = seen.visible()
    undecided = Q(verdict__isnull=True) | Q(verdict__outcome="undecided")
    if verdict == "undecided":
        return Exists(live.filter(undecided if visible is None else undecided | ~visible))
    shown = Q(verdict__outcome=verdict)
    return Exists(live.filter(shown if visible is None else shown & visible))


def attach_verdicts(papers_on_page, viewer) -> None:
    """Each paper's `.verdicts`: (market, outcome key, label) per live candidacy, 'hidden'
    where blind review hides it from the viewer. For one page of papers."""
    papers_on_page = list(papers_on_page)
    verdicts = {v.candidacy_id: v for v in CandidacyVerdict.objects.filter(
        candidacy__paper__in=papers_on_page)}
    seen = services.sight(viewer=viewer)
    labels = dict(CandidacyVerdict.Outcome.choices)
    for paper in papers_on_page:
        found = []
        for candidacy in paper.candidacies.all():
            if candidacy.status == Candidacy.Status.DISMISSED:
                continue
            if why := seen.why(candidacy, candidacy.market):
                found.append((candidacy.market, "hidden", HIDDEN_LABELS[why]))
                continue
            stored = verdicts.get(candidacy.pk)
            outcome = stored.outcome if stored else "undecided"
            found.append((candidacy.market, outcome, labels.get(outcome, "Undecided")))
        paper.verdicts = found
