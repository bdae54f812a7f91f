"""Store triage results: a relevance per (paper, market) and candidacies above threshold."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from tracker.ingestion import embeddings
from tracker.ingestion.triage import Profile, score_paper
from tracker.models import Candidacy, Paper, PaperRelevance, SavedSearch, TriageProfile


@dataclass(frozen=True)
class MarketProfile:
    market_id: int
    profile: Profile
    #: The market's title and description, when its profile asks for MiniLM similarity
    #: and the harness extra is installed; None otherwise.
    reference_text: str | None = None


def active_profiles() -> list[MarketProfile]:
    """Every active market profile (one query; read once per run)."""
    rows = list(
        TriageProfile.objects.filter(active=True).select_related("market").order_by("market_id")
    )
    use_embeddings = any(row.use_embeddings for row in rows) and embeddings.available()
    return [
        MarketProfile(
            market_id=row.market_id,
            profile=Profile(
                method_terms=tuple(row.method_terms),
                baseline_terms=tuple(row.baseline_terms),
                task_terms=tuple(row.task_terms),
                threshold=row.threshold,
            ),
            reference_text=(
                f"{row.market.title}\n{row.market.description}"
                if use_embeddings and row.use_embeddings else None
            ),
        )
        for row in rows
    ]


def triage_papers(
    papers: list[Paper], profiles: list[MarketProfile], *, found_by: SavedSearch | None
) -> int:
    """Score papers against each market; returns the number of candidacies created."""
    if not papers or not profiles:
        return 0
    now = timezone.now()
    relevances: list[PaperRelevance] = []
    proposals: dict[tuple[int, int], Candidacy] = {}
    similarity: dict[int, list[float]] = {}
    for mp in profiles:
        if mp.reference_text is not None:
            similarity[mp.market_id] = embeddings.similarities(
                [f"{p.title}\n{p.abstract}" for p in papers], mp.reference_text
            )
    for index, paper in enumerate(papers):
        for mp in profiles:
            result = score_paper(
                paper.title, paper.abstract, mp.profile, withdrawn=paper.withdrawn,
                similarity=similarity[mp.market_id][index] if mp.market_id in similarity else None,
            )
            relevances.append(
                PaperRelevance(
                    paper_id=paper.pk, market_id=mp.market_id, score=result.score,
                    signals=result.signals, explanation=result.explanation,
                    version=paper.arxiv_version, scored_at=now,
                )
            )
            if result.passes(mp.profile.threshold):
                proposals[(paper.pk, mp.market_id)] = Candidacy(
                    paper_id=paper.pk, market_id=mp.market_id,
                    status=Candidacy.Status.NEW, source=Candidacy.Source.ARXIV,
                    found_by=found_by, relevance_score=result.score,
                    relevance_signals={**result.signals, "explanation": result.explanation},
                    created_at=now, updated_at=now,
                )
    PaperRelevance.objects.bulk_create(
        relevances,
        update_conflicts=True,
        unique_fields=["paper", "market"],
        update_fields=["score", "signals", "explanation", "version", "scored_at"],
    )
    if not proposals:
        return 0
    # A candidacy that exists (by hand, from the seed, or dismissed) is left as it is.
    existing = set(
        Candidacy.objects.filter(
            paper_id__in={p for p, _ in proposals},
            market_id__in={m for _, m in proposals},
        ).values_list("paper_id", "market_id")
    )
    new = [c for key, c in proposals.items() if key not in existing]
    Candidacy.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
