"""The /papers/ list: newest first by the date as the sources give it (a month-only date
sorts within its year, not at the bottom), each paper's verdicts, and filters."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q

from evaluations import services
from evaluations.models import CandidacyVerdict
from tracker import plain, queries
from tracker.models import Market, Paper

VERDICT_CHOICES = [
    ("qualifies", "Qualifies"),
    ("falls_short", "Falls short"),
    ("undecided", "Undecided"),
    ("none", "Not a candidate"),
]


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


def paper_date(paper: Paper) -> str:
    return paper.date_text or (f"{paper.published:%Y-%m-%d}" if paper.published else "")


def total() -> int:
    return Paper.objects.count()


def rows(*, viewer, filters: Filters) -> list[Paper]:
    """Papers matching the filters, newest first, each with `.verdicts`: a list of
    (market, outcome key, label) for its candidacies that the viewer may see."""
    papers = queries.papers()
    if filters.q:
        papers = papers.filter(Q(title__icontains=filters.q) | Q(short_name__icontains=filters.q)
                               | Q(arxiv_id__icontains=filters.q))
    if filters.kind:
        papers = papers.filter(kind=filters.kind)
    papers = list(papers.prefetch_related("candidacies__verdict"))
    labels = dict(CandidacyVerdict.Outcome.choices)
    blind: set[int] = set()
    by_market: dict[int, list] = {}
    for paper in papers:
        for candidacy in paper.candidacies.all():
            by_market.setdefault(candidacy.market_id, []).append(candidacy)
    for market_id, candidacies in by_market.items():
        blind |= services.blind_candidacy_ids(
            viewer=viewer, market=Market(pk=market_id), candidacies=candidacies)
    kept = []
    for paper in papers:
        verdicts = []
        for candidacy in paper.candidacies.all():
            if candidacy.status == "dismissed":
                continue
            if candidacy.pk in blind:
                verdicts.append((candidacy.market, "hidden", "hidden until you submit"))
                continue
            stored = getattr(candidacy, "verdict", None)
            outcome = stored.outcome if stored else "undecided"
            verdicts.append((candidacy.market, outcome, labels.get(outcome, "Undecided")))
        paper.verdicts = verdicts
        paper.sort_date = paper_date(paper)
        if filters.verdict == "none" and verdicts:
            continue
        if filters.verdict and filters.verdict != "none" and not any(
                v[1] == filters.verdict for v in verdicts):
            continue
        kept.append(paper)
    kept.sort(key=lambda p: p.title.casefold())
    kept.sort(key=lambda p: plain.date_sort_key(p.sort_date), reverse=True)
    return kept
