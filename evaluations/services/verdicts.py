"""A candidacy's verdict: always computed from its submitted assessments
(`evaluations.verdicts` holds the rule), stored so that lists read one row."""

from __future__ import annotations

from collections import defaultdict

from django.utils import timezone

from evaluations import verdicts as verdict_rule
from evaluations.models import Assessment, CandidacyVerdict, StoredAgreement
from tracker.models import Candidacy, Criterion
from tracker.queueing import send_on_commit


def compute_verdict(*, candidacy: Candidacy) -> verdict_rule.Verdict:
    """The verdict from the submitted assessment rows (never from the stored verdict)."""
    must_pass = list(
        Criterion.objects.filter(market_id=candidacy.market_id, kind=Criterion.Kind.MUST_PASS)
        .order_by("order", "key").values_list("key", flat=True)
    )
    votes: dict[str, list[str]] = defaultdict(list)
    for key, vote in Assessment.objects.filter(
        candidacy=candidacy, status=Assessment.Status.SUBMITTED
    ).values_list("criterion__key", "verdict"):
        votes[key].append(vote)
    return verdict_rule.decide(must_pass, votes)


def refresh_verdict(*, candidacy: Candidacy) -> CandidacyVerdict:
    """Recompute and store the verdict; saves only when something changed. Marks the
    market's stored agreement stale (its assessments may have changed)."""
    StoredAgreement.invalidate(candidacy.market_id)
    # Recomputed by a task after the commit, never by a reader (a GET writes nothing).
    send_on_commit("evaluations.refresh_agreement", args=[candidacy.market_id])
    result = compute_verdict(candidacy=candidacy)
    submitted = Assessment.objects.filter(
        candidacy=candidacy, status=Assessment.Status.SUBMITTED
    )
    from_sources, sources_date = sources_dating(submitted)
    values = {
        "from_sources": from_sources,
        "sources_date": sources_date,
        "outcome": result.outcome,
        "deciding_criteria": list(result.deciding),
        "criteria_met": list(result.met),
        "criteria_not_met": list(result.not_met),
        "submitted_count": submitted.count(),
        "adjudicator_count": submitted.values("adjudicator").distinct().count(),
    }
    stored = CandidacyVerdict.objects.filter(candidacy=candidacy).first()
    if stored is None:
        return CandidacyVerdict.objects.create(
            candidacy=candidacy, computed_at=timezone.now(), **values
        )
    if any(getattr(stored, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(stored, key, value)
        stored.computed_at = timezone.now()
        stored.save()
    return stored


def sources_dating(submitted) -> tuple[bool, str]:
    """(whether every submitted assessment transcribes a published judgement, the latest of
    their source dates or "" when any is undated). A verdict with an assessment made here
    is dated when it was computed: (False, "")."""
    rows = list(submitted.order_by().values_list("source_url", "source_date"))
    if not rows or any(not url for url, _ in rows):
        return False, ""
    dates = [date for _, date in rows]
    return True, "" if not all(dates) else max(dates)
