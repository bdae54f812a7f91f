"""An adjudicator's assessments: record (create or update, refusing stale forms), submit,
delete a draft. Each write locks the market row, so it cannot interleave with a
resolution, and refreshes the candidacy's verdict (which marks the stored agreement
stale) in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from evaluations.models import Assessment
from evaluations.services.conflicts import ConflictOfInterest, find_conflict
from evaluations.services.roles import (
    Account,
    NotYourAssessment,
    User,
    can_resolve,
    require_adjudicator,
)
from evaluations.services.verdicts import refresh_verdict
from tracker.models import Candidacy, Criterion, Market


class StaleAssessment(ValidationError):
    """The assessment changed since the form was opened (another tab, another session)."""


class MarketLocked(ValidationError):
    """A resolved or annulled market's assessments cannot change; unresolve it first."""


GONE = "This assessment no longer exists (it was deleted in another tab). Reload the page."


def verdict_choices(criterion: Criterion) -> list[tuple[str, str]]:
    """The answers a criterion allows: met, not met, unclear, and "not applicable" where
    the criterion offers it (`Criterion.not_applicable`)."""
    V = Assessment.Verdict
    choices: list[tuple[str, str]] = [
        (V.MET, "Met"), (V.NOT_MET, "Not met"), (V.UNCLEAR, "Unclear")]
    if criterion.offers_not_applicable:
        choices.append((V.NOT_APPLICABLE, "Not applicable"))
    return choices


def allowed_words(criterion: Criterion) -> str:
    """The allowed answers in words, for messages: "met, not met, unclear or not applicable"."""
    words = [label.lower() for _, label in verdict_choices(criterion)]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _check_answer(criterion: Criterion, verdict: str, confidence: int | None,
                  rationale: str, evidence_urls: Sequence[str], transcribed: bool) -> None:
    # A transcription keeps what the published judgement said, even "does not apply" on a
    # criterion that does not offer it here.
    if verdict and not transcribed and verdict not in dict(verdict_choices(criterion)):
        raise ValidationError(
            f"'{criterion.title}': {verdict!r} is not one of its answers "
            f"({allowed_words(criterion)}).")
    if not (verdict or confidence is not None or rationale or evidence_urls):
        raise ValidationError(f"'{criterion.title}': nothing to save (no verdict, "
                              "confidence, rationale or link).")


def incomplete_message(assessment: Assessment, criterion: Criterion) -> str:
    """What a submitted answer to `criterion` still lacks, in words ("" when complete)."""
    missing = assessment.missing()
    if not missing:
        return ""
    if missing == ["verdict"]:
        return f"'{criterion.title}': choose a verdict ({allowed_words(criterion)})"
    return f"'{criterion.title}': give a {' and a '.join(missing)}"


def lock_market(market_id: int) -> Market:
    """The market row, locked for the transaction: assessment writes and resolutions of
    one market take turns."""
    return Market.objects.select_for_update().get(pk=market_id)


def _require_open_for_assessment(market: Market) -> None:
    if market.is_settled:
        raise MarketLocked(
            f"The market is {market.get_status_display().lower()}: its assessments are frozen. "
            "Unresolve it first."
        )


def record_assessment(
    *,
    adjudicator: User,
    candidacy: Candidacy,
    criterion: Criterion,
    verdict: str,
    confidence: int | None,
    rationale: str,
    evidence_urls: Sequence[str] = (),
    expected_version: int | None = None,
    source_url: str = "",
    source_date: str = "",
    conflict_waiver: str = "",
) -> Assessment:
    """Create (expected_version=None) or update (the version the form was opened at) the
    adjudicator's own draft or submitted assessment. A draft may be partial (any of verdict,
    confidence, rationale); a submitted one stays complete. A stale version is refused
    rather than overwriting. A conflicted adjudicator is refused, except for a transcription of a
    judgement already published elsewhere (`source_url`) that states its `conflict_waiver`,
    recorded by a resolver."""
    adjudicator = require_adjudicator(adjudicator)
    with transaction.atomic():
        market = lock_market(candidacy.market_id)
        _require_open_for_assessment(market)
        if criterion.market_id != candidacy.market_id:
            raise ValidationError(
                f"Criterion {criterion.key!r} belongs to another market than this candidacy."
            )
        conflict = _check_conflict(adjudicator, candidacy, source_url, conflict_waiver)
        _check_answer(criterion, verdict, confidence, rationale.strip(), evidence_urls,
                      transcribed=bool(source_url))
        values = {
            "verdict": verdict,
            "confidence": confidence,
            "rationale": rationale.strip(),
            "evidence_urls": list(evidence_urls),
            "source_url": source_url,
            "source_date": source_date if source_url else "",
            "conflict_waiver": conflict_waiver.strip() if conflict else "",
        }
        probe = Assessment(
            candidacy=candidacy, criterion=criterion, adjudicator=adjudicator, **values
        )
        probe.full_clean(validate_unique=False, validate_constraints=False)
        existing = Assessment.objects.filter(
            candidacy=candidacy, criterion=criterion, adjudicator=adjudicator
        ).first()
        if existing is None:
            assessment = _create(probe, expected_version)
        else:
            assessment = _update(existing, probe, values, expected_version)
        refresh_verdict(candidacy=candidacy)
    return assessment


def _check_conflict(
    adjudicator: Account, candidacy: Candidacy, source_url: str, conflict_waiver: str
) -> str:
    """The adjudicator's conflict with the paper ("" if none), once it is allowed: a waiver
    only on a transcription, and only recorded by a resolver."""
    conflict = find_conflict(user=adjudicator, paper=candidacy.paper)
    if conflict_waiver and not source_url:
        raise ValidationError(
            "A conflict waiver is allowed only on a transcription of a published "
            "judgement (give its source URL)."
        )
    if conflict and not conflict_waiver:
        raise ConflictOfInterest(conflict)
    if conflict and not can_resolve(adjudicator):
        # A conflict found from authorship (or declared) is overridden only by a
        # resolver recording the waiver, never by the conflicted adjudicator alone.
        raise ConflictOfInterest(f"{conflict} Only a resolver may record a conflict waiver.")
    return conflict or ""


def _create(probe: Assessment, expected_version: int | None) -> Assessment:
    """A first answer; a form opened on an answer that is now gone, or a second writer that
    got there first, is told so instead of writing."""
    if expected_version is not None:
        raise StaleAssessment(GONE)
    try:
        with transaction.atomic():
            probe.save()
    except IntegrityError:
        if not Assessment.objects.filter(
            candidacy=probe.candidacy, criterion=probe.criterion, adjudicator=probe.adjudicator
        ).exists():
            raise
        raise StaleAssessment(stale_message(probe.criterion)) from None
    return probe


def _update(
    existing: Assessment, probe: Assessment, values: dict[str, Any], expected_version: int | None
) -> Assessment:
    """A conditional update at the version the form was opened at (never a lost write)."""
    criterion = probe.criterion
    if expected_version != existing.version:
        raise StaleAssessment(stale_message(criterion))
    if existing.is_submitted and (lacking := incomplete_message(probe, criterion)):
        raise ValidationError(f"A submitted answer stays complete: {lacking}.")
    changed = Assessment.objects.filter(pk=existing.pk, version=expected_version).update(
        **values, version=F("version") + 1, updated_at=timezone.now()
    )
    if changed != 1:
        raise StaleAssessment(stale_message(criterion))
    return Assessment.objects.get(pk=existing.pk)


def stale_message(criterion: Criterion) -> str:
    """What a form opened before someone else's save says (the service and the forms)."""
    return (
        f"Your assessment of '{criterion.title}' was saved elsewhere (another tab or "
        "session) after you opened this form. Nothing was overwritten: reload the page to "
        "see the saved version, then apply your change again."
    )


def submit_assessments(*, adjudicator: User, candidacy: Candidacy) -> int:
    """Submit the adjudicator's drafts for a candidacy. Every criterion that needs an
    answer must have a complete one; a criterion whose default is "not applicable"
    (`Criterion.needs_answer` False) left unanswered is recorded so. Returns how many
    answers were submitted."""
    adjudicator = require_adjudicator(adjudicator)
    with transaction.atomic():
        market = lock_market(candidacy.market_id)
        _require_open_for_assessment(market)
        own = Assessment.objects.filter(candidacy=candidacy, adjudicator=adjudicator)
        conflict = find_conflict(user=adjudicator, paper=candidacy.paper)
        if conflict and own.filter(conflict_waiver="").exists():
            raise ConflictOfInterest(conflict)
        if conflict and not own.exists():
            raise ConflictOfInterest(conflict)
        assessed = set(own.values_list("criterion_id", flat=True))
        criteria = list(market.criteria.all())
        missing = [c.title for c in criteria if c.id not in assessed and c.needs_answer]
        if missing:
            raise ValidationError(
                f"Assess every criterion before submitting; missing: {', '.join(missing)}."
            )
        by_id = {c.pk: c for c in criteria}
        lacking = [message for a in own.filter(status=Assessment.Status.DRAFT)
                   if (message := incomplete_message(a, by_id[a.criterion_id]))]
        if lacking:
            raise ValidationError(
                f"Complete these answers before submitting: {'; '.join(lacking)}.")
        Assessment.objects.bulk_create([
            Assessment(candidacy=candidacy, criterion=c, adjudicator=adjudicator,
                       verdict=Assessment.Verdict.NOT_APPLICABLE)
            for c in criteria if c.id not in assessed])
        now = timezone.now()
        submitted = own.filter(status=Assessment.Status.DRAFT).update(
            status=Assessment.Status.SUBMITTED, submitted_at=now,
            version=F("version") + 1, updated_at=now,
        )
        refresh_verdict(candidacy=candidacy)
    return submitted


def delete_draft_assessment(*, adjudicator: User, assessment_id: int) -> None:
    """Delete one of the adjudicator's own drafts. Submitted judgements are never deleted
    (they are the record the verdicts and the agreement are computed from). The verdict is
    refreshed in the same transaction, which marks the market's stored agreement stale."""
    adjudicator = require_adjudicator(adjudicator)
    with transaction.atomic():
        market_id = Assessment.objects.filter(pk=assessment_id).values_list(
            "candidacy__market_id", flat=True).first()
        if market_id is not None:
            lock_market(market_id)  # after a submission of the same drafts, not beside it
        draft = Assessment.objects.select_for_update().filter(pk=assessment_id).first()
        if draft is None:
            raise StaleAssessment(GONE)
        if draft.adjudicator_id != adjudicator.pk:
            raise NotYourAssessment("Adjudicators delete only their own drafts.")
        if draft.status != Assessment.Status.DRAFT:
            raise ValidationError("A submitted assessment is kept: change it instead (until "
                                  "the market is resolved).")
        draft.delete()
        refresh_verdict(candidacy=draft.candidacy)
