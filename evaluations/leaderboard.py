"""The candidates leaderboard of a market, for the page and the API (constant queries)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q

from evaluations import services
from evaluations.agreement import Agreement
from evaluations.models import CandidacyVerdict
from replication.status import latest_run_labels
from tracker.models import Authorship, Candidacy, Market

ORDER = {"qualifies": 0, "undecided": 1, "falls_short": 2}


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


def leaderboard(*, market: Market, viewer) -> list[Row]:
    candidacies = list(
        market.candidacies.select_related("paper", "verdict")
        .prefetch_related(Prefetch(
            "paper__authorships",
            queryset=Authorship.objects.select_related("author").order_by("position"),
        ))
        .annotate(conflict_waivers=Count(
            "assessments", filter=Q(assessments__status="submitted")
            & ~Q(assessments__conflict_waiver=""),
        ))
    )
    titles = dict(market.criteria.values_list("key", "title"))
    blind = services.hidden_candidacies(viewer=viewer, market=market, candidacies=candidacies)
    agreement = services.measure_agreement(market=market, exclude=blind).by_candidacy
    replication = latest_run_labels(c.pk for c in candidacies)
    rows = []
    for candidacy in candidacies:
        stored = getattr(candidacy, "verdict", None)
        hidden = candidacy.pk in blind
        rows.append(Row(
            candidacy=candidacy,
            verdict=None if hidden else (stored.outcome if stored else "undecided"),
            criteria_met=[] if hidden or not stored else
            [titles.get(k, k) for k in stored.criteria_met],
            criteria_not_met=[] if hidden or not stored else
            [titles.get(k, k) for k in stored.criteria_not_met],
            adjudicators=stored.adjudicator_count if stored and not hidden else 0,
            agreement=None if hidden else agreement.get(candidacy.pk),
            conflict_waivers=0 if hidden else candidacy.conflict_waivers,
            replication=replication.get(candidacy.pk),
            hidden=hidden,
            hidden_why=blind.get(candidacy.pk, ""),
        ))
    rows.sort(key=lambda r: (
        ORDER.get(r.verdict or "undecided", 1), -len(r.criteria_met), len(r.criteria_not_met),
        r.candidacy.paper.title,
    ))
    return rows
