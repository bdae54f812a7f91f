"""Workflows of adjudication and resolution: typed, keyword-only, one transaction each.

Naming: `record_*`, `submit_*`, `resolve_*`, `annul_*`, `unresolve_*` change state;
`access_assessment` is the one permission-checked fetch; `find_conflict`,
`compute_verdict` and the `can_*` / `is_*` helpers only read.

Permission failures raise `PermissionDenied` subclasses (a 403 in views and the admin);
refused operations raise `ValidationError` subclasses whose message says why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from evaluations import agreement as agreement_maths
from evaluations import verdicts
from evaluations.models import (
    ADJUDICATORS_GROUP,
    AdjudicatorProfile,
    Assessment,
    CandidacyVerdict,
    DeclaredConflict,
    ResolutionEvent,
)
from tracker.models import Authorship, Candidacy, Criterion, Market, Paper, normalize_person_name

logger = logging.getLogger(__name__)

RESCORE_TASK = "forecasts.rescore_market"
RESOLVE_PERMISSION = "evaluations.resolve_market"
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

User = AbstractBaseUser | AnonymousUser


# --- Errors ------------------------------------------------------------------------------


class NotAnAdjudicator(PermissionDenied):
    """The user is not an active member of the adjudicators group."""


class NotAResolver(PermissionDenied):
    """Only staff with the resolve permission resolve markets."""


class NotYourAssessment(PermissionDenied):
    """An adjudicator creates and edits only their own assessments."""


class ConflictOfInterest(PermissionDenied):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StaleAssessment(ValidationError):
    """The assessment changed since the form was opened (another tab, another session)."""


class MarketLocked(ValidationError):
    """A resolved or annulled market's assessments cannot change; unresolve it first."""


class ResolutionRefused(ValidationError):
    """The resolution would break a rule; the message says which."""


# --- Roles ---------------------------------------------------------------------------------


def is_adjudicator(user: User | None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_is_adjudicator", None)
    if cached is None:
        cached = user.groups.filter(name=ADJUDICATORS_GROUP).exists()
        user._is_adjudicator = cached
    return cached


def can_resolve(user: User | None) -> bool:
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.is_staff
        and user.has_perm(RESOLVE_PERMISSION)
    )


def _require_adjudicator(user: User | None) -> None:
    if not is_adjudicator(user):
        raise NotAnAdjudicator("Only members of the adjudicators group assess candidacies.")


def _require_resolver(user: User | None) -> None:
    if not can_resolve(user):
        raise NotAResolver("Only staff with the 'resolve markets' permission resolve markets.")


# --- Conflicts of interest -------------------------------------------------------------------


def names_of(user: User) -> set[str]:
    """The normalised names under which the user may appear as an author."""
    names = {normalize_person_name(user.get_full_name())}
    profile = AdjudicatorProfile.objects.filter(user=user).first()
    if profile is not None:
        names.update(normalize_person_name(name) for name in profile.publishes_as)
    names.discard("")
    return names


def find_conflict(*, user: User, paper: Paper) -> str | None:
    """Why `user` may not assess `paper`, or None. Authorship is matched by normalised
    name against the ordered author list; declared conflicts come next."""
    names = names_of(user)
    authorships = list(
        Authorship.objects.filter(paper=paper).select_related("author").order_by("position")
    )
    for authorship in authorships:
        if authorship.author.normalized_name in names:
            return (
                f"{user.get_full_name() or user.get_username()} is an author of this paper "
                f"(author {authorship.position} of {len(authorships)}: "
                f"{authorship.author.name})."
            )
    declared = DeclaredConflict.objects.filter(
        adjudicator=user, paper=paper, withdrawn_at__isnull=True
    ).first()
    if declared is not None:
        return f"Declared conflict of interest: {declared.reason}"
    return None


def conflicted_candidacy_ids(*, user: User, market: Market | None = None) -> set[int]:
    """Candidacies (of `market`, or of every market) whose paper `user` has a conflict
    with: authorship by normalised name, or a declared conflict."""
    if not user.is_authenticated:
        return set()
    names = names_of(user)
    scope = Candidacy.objects.all() if market is None else Candidacy.objects.filter(market=market)
    by_author = scope.filter(paper__authorships__author__normalized_name__in=names)
    declared = scope.filter(paper__declared_conflicts__adjudicator=user,
                            paper__declared_conflicts__withdrawn_at__isnull=True)
    return set(by_author.values_list("id", flat=True)) | set(
        declared.values_list("id", flat=True)
    )


def record_declared_conflict(*, adjudicator: User, paper: Paper, reason: str) -> DeclaredConflict:
    """Declare a conflict with `paper`. One declaration is in force at a time: declaring
    again while one is in force is refused (withdraw it first, so the history keeps both)."""
    _require_adjudicator(adjudicator)
    if not reason.strip():
        raise ValidationError("Say what the conflict is.")
    with transaction.atomic():
        current = DeclaredConflict.objects.select_for_update().filter(
            adjudicator=adjudicator, paper=paper, withdrawn_at__isnull=True
        ).first()
        if current is not None:
            raise ValidationError(
                f"You already declared a conflict with this paper ({current.reason}). "
                "Withdraw it first if the reason changed."
            )
        return DeclaredConflict.objects.create(
            adjudicator=adjudicator, paper=paper, reason=reason.strip()
        )


def withdraw_declared_conflict(*, adjudicator: User, conflict_id: int,
                               reason: str) -> DeclaredConflict:
    """The adjudicator who declared a conflict withdraws it, saying why; the row stays as
    history. Conflicts found from authorship are not declarations and cannot be withdrawn
    (only a resolver's recorded waiver on a transcription lets such an assessment stand)."""
    _require_adjudicator(adjudicator)
    if not reason.strip():
        raise ValidationError("Say why the conflict no longer holds: it is kept in the history.")
    with transaction.atomic():
        conflict = DeclaredConflict.objects.select_for_update().filter(pk=conflict_id).first()
        if conflict is None or conflict.adjudicator_id != adjudicator.pk:
            raise NotYourAssessment("Adjudicators withdraw only the conflicts they declared.")
        if conflict.withdrawn_at is not None:
            raise ValidationError(
                f"This declaration was already withdrawn on {conflict.withdrawn_at:%Y-%m-%d}."
            )
        conflict.withdrawn_at = timezone.now()
        conflict.withdrawal_reason = reason.strip()[:300]
        conflict.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    return conflict


# --- Visibility (blind review, and what readers see of a candidacy under review) ---------
#
# The rule (README, "Blind review"): a candidacy is *settled* once its status is decided or
# dismissed, or its market is resolved or annulled; then its submitted assessments, its
# verdict and its agreement are public. Until then it is *under review*, and
#   - an adjudicator who has not submitted every criterion of it (and has no conflict with
#     the paper) sees only their own assessments: nothing of the others', of the verdict or
#     of the agreement ("blind");
#   - an adjudicator who has submitted every criterion sees everything submitted;
#   - resolvers (and superusers) see everything submitted, unless they are blind as above;
#   - everyone else (the anonymous, readers, staff without a role, an adjudicator with a
#     conflict) sees that it is under review and nothing of its assessments, verdict,
#     counts or agreement.
# Nobody but its author ever sees a draft.

BLIND = "blind"
UNDER_REVIEW = "under_review"
HIDDEN_MESSAGES = {
    BLIND: "Hidden until you have submitted your assessment of every criterion (blind review).",
    UNDER_REVIEW: "Under review: the assessments and the verdict are published once the "
    "candidacy is decided or the market resolved.",
}
SETTLED_CANDIDACY_STATUSES = (Candidacy.Status.DECIDED, Candidacy.Status.DISMISSED)
FROZEN_MARKET_STATUSES = (Market.Status.RESOLVED, Market.Status.ANNULLED)


def settled_candidacies(prefix: str = "") -> Q:
    """Q for settled candidacies; `prefix` is the path to the candidacy ("candidacy__")."""
    return (Q(**{f"{prefix}status__in": SETTLED_CANDIDACY_STATUSES})
            | Q(**{f"{prefix}market__status__in": FROZEN_MARKET_STATUSES}))


def is_settled(candidacy: Candidacy, market: Market | None = None) -> bool:
    market = market if market is not None else candidacy.market
    return (candidacy.status in SETTLED_CANDIDACY_STATUSES
            or market.status in FROZEN_MARKET_STATUSES)


def sees_all_submitted(user: User | None) -> bool:
    """Resolvers and superusers read every submitted assessment (unless blind)."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and (user.is_superuser or can_resolve(user)))


def completed_candidacy_ids(*, user: User, candidacies: Iterable[Candidacy]) -> set[int]:
    """Candidacies for which `user` has submitted an assessment of every criterion."""
    candidacies = list(candidacies)
    if user is None or not user.is_authenticated or not candidacies:
        return set()
    needed = {
        row["market_id"]: row["n"]
        for row in Criterion.objects.filter(
            market_id__in={c.market_id for c in candidacies}
        ).values("market_id").annotate(n=Count("id"))
    }
    submitted = (
        Assessment.objects.filter(
            adjudicator=user, status=Assessment.Status.SUBMITTED,
            candidacy__in=candidacies,
        ).values("candidacy_id").annotate(n=Count("criterion_id", distinct=True))
    )
    market_of = {c.id: c.market_id for c in candidacies}
    return {
        row["candidacy_id"] for row in submitted
        if row["n"] >= needed.get(market_of[row["candidacy_id"]], 0) > 0
    }


def hidden_candidacies(*, viewer: User | None, market: Market,
                       candidacies: Iterable[Candidacy]) -> dict[int, str]:
    """Candidacies of `market` whose others' assessments, verdict and agreement `viewer`
    must not see, each with why (BLIND or UNDER_REVIEW). The one place the rule is applied
    to candidacies; pages, the API and the admin all call it (or its queryset twin)."""
    pending = [c for c in candidacies if not is_settled(c, market)]
    if not pending:
        return {}
    if is_adjudicator(viewer):
        done = completed_candidacy_ids(user=viewer, candidacies=pending)
        conflicted = conflicted_candidacy_ids(user=viewer, market=market)
        privileged = sees_all_submitted(viewer)
        hidden = {}
        for c in pending:
            if c.id in done:
                continue
            if c.id not in conflicted:
                hidden[c.id] = BLIND
            elif not privileged:
                hidden[c.id] = UNDER_REVIEW
        return hidden
    if sees_all_submitted(viewer):
        return {}
    return {c.id: UNDER_REVIEW for c in pending}


def blind_candidacy_ids(*, viewer: User | None, market: Market,
                        candidacies: Iterable[Candidacy]) -> set[int]:
    """The ids of `hidden_candidacies` (whatever the reason)."""
    return set(hidden_candidacies(viewer=viewer, market=market, candidacies=candidacies))


def assessments_visible_to(viewer: User | None) -> QuerySet[Assessment]:
    """Every assessment `viewer` may see, as one queryset (the rule above)."""
    submitted = Q(status=Assessment.Status.SUBMITTED)
    settled = settled_candidacies("candidacy__")
    if viewer is None or not viewer.is_authenticated:
        return Assessment.objects.filter(submitted & settled)
    own = Q(adjudicator=viewer)
    if not is_adjudicator(viewer):
        if sees_all_submitted(viewer):
            return Assessment.objects.filter(own | submitted)
        return Assessment.objects.filter(own | (submitted & settled))
    from evaluations.queries import completed_by

    # The finished candidacies are read first (an index range over the viewer's own
    # assessments), so the filter is a hashed IN list, not a grouped join beside an OR.
    seen = completed_by(viewer)
    if sees_all_submitted(viewer):
        seen |= conflicted_candidacy_ids(user=viewer)
    return Assessment.objects.filter(
        own | (submitted & (settled | Q(candidacy_id__in=sorted(seen)))))


def can_view_assessment(*, viewer: User | None, assessment: Assessment,
                        blind: set[int] | None = None) -> bool:
    if viewer is not None and viewer.is_authenticated and assessment.adjudicator_id == viewer.pk:
        return True
    if assessment.status != Assessment.Status.SUBMITTED:
        return False  # nobody but its author ever sees a draft
    if blind is None:
        blind = blind_candidacy_ids(
            viewer=viewer, market=assessment.candidacy.market,
            candidacies=[assessment.candidacy],
        )
    return assessment.candidacy_id not in blind


def visible_assessments(*, viewer: User | None, candidacy: Candidacy) -> list[Assessment]:
    rows = list(
        Assessment.objects.filter(candidacy=candidacy)
        .select_related("criterion", "adjudicator").order_by("criterion__order", "adjudicator")
    )
    blind = blind_candidacy_ids(viewer=viewer, market=candidacy.market, candidacies=[candidacy])
    return [a for a in rows if can_view_assessment(viewer=viewer, assessment=a, blind=blind)]


def access_assessment(*, user: User, assessment_id: int, for_change: bool = False) -> Assessment:
    """The one permission-checked fetch of an assessment."""
    assessment = (
        Assessment.objects.select_related("candidacy__market", "candidacy__paper", "criterion")
        .filter(pk=assessment_id).first()
    )
    if for_change:
        _require_adjudicator(user)
        if assessment is None:
            raise Assessment.DoesNotExist(f"No assessment {assessment_id}.")
        if assessment.adjudicator_id != user.pk:
            raise NotYourAssessment("Adjudicators change only their own assessments.")
        return assessment
    if assessment is None or not can_view_assessment(viewer=user, assessment=assessment):
        # The same answer for "missing" and "hidden", so blind review leaks nothing.
        raise PermissionDenied("You cannot see this assessment (yet).")
    return assessment


# --- Assessments ----------------------------------------------------------------------------


def _lock_market(market_id: int) -> Market:
    return Market.objects.select_for_update().get(pk=market_id)


def _require_open_for_assessment(market: Market) -> None:
    if market.status in (Market.Status.RESOLVED, Market.Status.ANNULLED):
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
    confidence: int,
    rationale: str,
    evidence_urls: Sequence[str] = (),
    expected_version: int | None = None,
    source_url: str = "",
    conflict_waiver: str = "",
) -> Assessment:
    """Create (expected_version=None) or update (the version the form was opened at) the
    adjudicator's own draft or submitted assessment. A stale version is refused rather
    than overwriting. A conflicted adjudicator is refused, except for a transcription of a
    judgement already published elsewhere (`source_url`) that states its `conflict_waiver`,
    recorded by a resolver."""
    _require_adjudicator(adjudicator)
    with transaction.atomic():
        market = _lock_market(candidacy.market_id)
        _require_open_for_assessment(market)
        if criterion.market_id != candidacy.market_id:
            raise ValidationError(
                f"Criterion {criterion.key!r} belongs to another market than this candidacy."
            )
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
            raise ConflictOfInterest(
                f"{conflict} Only a resolver may record a conflict waiver."
            )
        values = {
            "verdict": verdict,
            "confidence": confidence,
            "rationale": rationale.strip(),
            "evidence_urls": list(evidence_urls),
            "source_url": source_url,
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
            if expected_version is not None:
                raise StaleAssessment(
                    "This assessment no longer exists (it was deleted in another tab). "
                    "Reload the page."
                )
            try:
                with transaction.atomic():
                    probe.save()
            except IntegrityError:
                if not Assessment.objects.filter(
                    candidacy=candidacy, criterion=criterion, adjudicator=adjudicator
                ).exists():
                    raise
                raise StaleAssessment(_stale_message(criterion)) from None
            assessment = probe
        else:
            if expected_version != existing.version:
                raise StaleAssessment(_stale_message(criterion))
            changed = Assessment.objects.filter(pk=existing.pk, version=expected_version).update(
                **values, version=F("version") + 1, updated_at=timezone.now()
            )
            if changed != 1:
                raise StaleAssessment(_stale_message(criterion))
            assessment = Assessment.objects.get(pk=existing.pk)
        refresh_verdict(candidacy=candidacy)
    return assessment


def _stale_message(criterion: Criterion) -> str:
    return (
        f"Your assessment of '{criterion.title}' was saved elsewhere (another tab or "
        "session) after you opened this form. Nothing was overwritten: reload the page to "
        "see the saved version, then apply your change again."
    )


def submit_assessments(*, adjudicator: User, candidacy: Candidacy) -> int:
    """Submit the adjudicator's drafts for a candidacy; every criterion must be assessed.
    Returns how many drafts were submitted."""
    _require_adjudicator(adjudicator)
    with transaction.atomic():
        market = _lock_market(candidacy.market_id)
        _require_open_for_assessment(market)
        own = Assessment.objects.filter(candidacy=candidacy, adjudicator=adjudicator)
        conflict = find_conflict(user=adjudicator, paper=candidacy.paper)
        if conflict and own.filter(conflict_waiver="").exists():
            raise ConflictOfInterest(conflict)
        if conflict and not own.exists():
            raise ConflictOfInterest(conflict)
        assessed = set(own.values_list("criterion_id", flat=True))
        missing = [c.title for c in market.criteria.all() if c.id not in assessed]
        if missing:
            raise ValidationError(
                f"Assess every criterion before submitting; missing: {', '.join(missing)}."
            )
        now = timezone.now()
        submitted = own.filter(status=Assessment.Status.DRAFT).update(
            status=Assessment.Status.SUBMITTED, submitted_at=now,
            version=F("version") + 1, updated_at=now,
        )
        refresh_verdict(candidacy=candidacy)
    return submitted


# --- Verdicts --------------------------------------------------------------------------------


def compute_verdict(*, candidacy: Candidacy) -> verdicts.Verdict:
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
    return verdicts.decide(must_pass, votes)


def refresh_verdict(*, candidacy: Candidacy) -> CandidacyVerdict:
    """Recompute and store the verdict; saves only when something changed. Marks the
    market's stored agreement stale (its assessments may have changed)."""
    from evaluations.aggregates import invalidate_agreement

    invalidate_agreement(candidacy.market_id)
    result = compute_verdict(candidacy=candidacy)
    submitted = Assessment.objects.filter(
        candidacy=candidacy, status=Assessment.Status.SUBMITTED
    )
    values = {
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


# --- Agreement -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarketAgreement:
    overall: agreement_maths.Agreement
    by_criterion: dict[str, agreement_maths.Agreement]
    by_candidacy: dict[int, agreement_maths.Agreement]


def measure_agreement(*, market: Market, exclude: Iterable[int] = ()) -> MarketAgreement:
    """Fleiss' kappa over submitted assessments: items are (candidacy, criterion) pairs
    for the market; per criterion, items are candidacies; per candidacy, criteria.
    Informational criteria are left out: they are marked "not applicable" by convention,
    and that unanimity would inflate the agreement. `exclude`: candidacy ids left out (those
    hidden from the viewer under the blind-review rule)."""
    ratings: dict[tuple[int, str], list[str]] = defaultdict(list)
    for candidacy_id, key, vote in Assessment.objects.filter(
        candidacy__market=market, status=Assessment.Status.SUBMITTED,
    ).exclude(criterion__kind=Criterion.Kind.INFORMATIONAL).exclude(
        candidacy_id__in=list(exclude)
    ).order_by().values_list(
        "candidacy_id", "criterion__key", "verdict"
    ):
        ratings[(candidacy_id, key)].append(vote)
    per_criterion: dict[str, list[list[str]]] = defaultdict(list)
    per_candidacy: dict[int, list[list[str]]] = defaultdict(list)
    for (candidacy_id, key), votes in ratings.items():
        per_criterion[key].append(votes)
        per_candidacy[candidacy_id].append(votes)
    return MarketAgreement(
        overall=agreement_maths.fleiss_kappa(list(ratings.values())),
        by_criterion={k: agreement_maths.fleiss_kappa(v) for k, v in per_criterion.items()},
        by_candidacy={k: agreement_maths.fleiss_kappa(v) for k, v in per_candidacy.items()},
    )


# --- Resolution ------------------------------------------------------------------------------


def _enqueue_rescore(market_id: int) -> None:
    """Re-score the market's predictions after the commit; with the broker down the
    resolution stands and the reconciler re-scores what drifted (tracker.queueing)."""
    from tracker.queueing import send_on_commit

    send_on_commit(RESCORE_TASK, args=(market_id,))


def _record_event(
    market: Market, *, action: str, actor: User, reason: str,
    effective_at: dt.datetime | None, cited: Sequence[Candidacy] = (),
    status_after: str, outcome_after: str,
) -> ResolutionEvent:
    event = ResolutionEvent.objects.create(
        market=market, action=action, actor=actor, at=timezone.now(),
        effective_at=effective_at, reason=reason,
        status_before=market.status, outcome_before=market.outcome,
        resolved_at_before=market.resolved_at, annulled_at_before=market.annulled_at,
        status_after=status_after, outcome_after=outcome_after,
    )
    if cited:
        event.cited.set(cited)
    return event


def _check_reason_and_date(market: Market, reason: str, when: dt.datetime) -> None:
    if not reason.strip():
        raise ResolutionRefused("Give a reason: it is shown in the market's history.")
    if market.opened_at is not None and when < market.opened_at:
        raise ResolutionRefused(
            f"The date {when:%Y-%m-%d %H:%M} is before the market opened "
            f"({market.opened_at:%Y-%m-%d %H:%M})."
        )
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ResolutionRefused(f"The date {when:%Y-%m-%d %H:%M} is in the future.")


def _require_unresolved(market: Market) -> None:
    if market.status in (Market.Status.RESOLVED, Market.Status.ANNULLED):
        raise ResolutionRefused(
            f"The market is already {market.get_status_display().lower()}; unresolve it first."
        )


def resolve_market(
    *,
    market: Market,
    actor: User,
    outcome: str,
    reason: str,
    cited: Sequence[Candidacy] = (),
    resolved_at: dt.datetime | None = None,
) -> ResolutionEvent:
    """Resolve YES (citing at least one qualifying candidacy, verdicts recomputed from the
    assessments) or NO. Enqueues the re-scoring of the market's predictions on commit."""
    _require_resolver(actor)
    if outcome not in (Market.Outcome.YES, Market.Outcome.NO):
        raise ResolutionRefused(f"Outcome must be 'yes' or 'no', not {outcome!r}.")
    with transaction.atomic():
        market = _lock_market(market.pk)
        _require_unresolved(market)
        when = resolved_at or timezone.now()
        _check_reason_and_date(market, reason, when)
        cited = list(cited)
        strangers = [c for c in cited if c.market_id != market.pk]
        if strangers:
            raise ResolutionRefused(
                f"{', '.join(str(c.paper) for c in strangers)}: not a candidate for this market."
            )
        if outcome == Market.Outcome.YES:
            _check_yes_citations(market, cited)
        event = _record_event(
            market, action=f"resolve_{outcome}", actor=actor, reason=reason.strip(),
            effective_at=when, cited=cited,
            status_after=Market.Status.RESOLVED, outcome_after=outcome,
        )
        market.status, market.outcome = Market.Status.RESOLVED, outcome
        market.resolved_at, market.annulled_at = when, None
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def _check_yes_citations(market: Market, cited: list[Candidacy]) -> None:
    if not cited:
        qualifying = [
            str(c.paper) for c in market.candidacies.select_related("paper")
            if compute_verdict(candidacy=c).outcome == verdicts.QUALIFIES
        ]
        hint = (f" Qualifying now: {', '.join(qualifying)}." if qualifying
                else " No candidacy qualifies yet.")
        raise ResolutionRefused("A YES resolution must cite at least one qualifying candidacy."
                                + hint)
    problems = []
    for candidacy in cited:
        verdict = refresh_verdict(candidacy=candidacy)
        if verdict.outcome != verdicts.QUALIFIES:
            detail = (
                f"not met: {', '.join(verdict.criteria_not_met)}"
                if verdict.outcome == verdicts.FALLS_SHORT
                else f"no majority yet on: {', '.join(verdict.deciding_criteria)}"
            )
            problems.append(f"{candidacy.paper} {verdict.get_outcome_display().lower()} "
                            f"({detail})")
    if problems:
        raise ResolutionRefused(
            "A YES resolution may cite only qualifying candidacies: " + "; ".join(problems) + "."
        )


def annul_market(
    *, market: Market, actor: User, reason: str, annulled_at: dt.datetime | None = None
) -> ResolutionEvent:
    _require_resolver(actor)
    with transaction.atomic():
        market = _lock_market(market.pk)
        _require_unresolved(market)
        when = annulled_at or timezone.now()
        _check_reason_and_date(market, reason, when)
        event = _record_event(
            market, action=ResolutionEvent.Action.ANNUL, actor=actor, reason=reason.strip(),
            effective_at=when, status_after=Market.Status.ANNULLED, outcome_after="",
        )
        market.status, market.outcome = Market.Status.ANNULLED, ""
        market.annulled_at, market.resolved_at = when, None
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def unresolve_market(*, market: Market, actor: User, reason: str) -> ResolutionEvent:
    """Undo the last resolution or annulment: the market returns to the state it had
    before it (status, outcome and dates)."""
    _require_resolver(actor)
    with transaction.atomic():
        market = _lock_market(market.pk)
        if market.status not in (Market.Status.RESOLVED, Market.Status.ANNULLED):
            raise ResolutionRefused("The market is not resolved or annulled.")
        if not reason.strip():
            raise ResolutionRefused("Give a reason: it is shown in the market's history.")
        last = (
            ResolutionEvent.objects.filter(market=market)
            .exclude(action=ResolutionEvent.Action.UNRESOLVE).order_by("-at", "-id").first()
        )
        if last is None:
            raise ResolutionRefused("No recorded resolution of this market to undo.")
        event = _record_event(
            market, action=ResolutionEvent.Action.UNRESOLVE, actor=actor,
            reason=reason.strip(), effective_at=None,
            status_after=last.status_before, outcome_after=last.outcome_before,
        )
        market.status, market.outcome = last.status_before, last.outcome_before
        market.resolved_at, market.annulled_at = last.resolved_at_before, last.annulled_at_before
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def current_resolution(market: Market) -> ResolutionEvent | None:
    """The event that put the market in its resolved or annulled state, if it is in one."""
    if market.status not in (Market.Status.RESOLVED, Market.Status.ANNULLED):
        return None
    return (
        ResolutionEvent.objects.filter(market=market)
        .exclude(action=ResolutionEvent.Action.UNRESOLVE)
        .select_related("actor").prefetch_related("cited__paper")
        .order_by("-at", "-id").first()
    )


__all__ = [
    "ConflictOfInterest", "MarketLocked", "NotAResolver", "NotAnAdjudicator",
    "NotYourAssessment", "ResolutionRefused", "StaleAssessment",
    "access_assessment", "annul_market", "assessments_visible_to", "blind_candidacy_ids",
    "can_resolve", "hidden_candidacies", "is_settled", "withdraw_declared_conflict",
    "can_view_assessment", "compute_verdict", "current_resolution", "find_conflict",
    "is_adjudicator", "measure_agreement", "record_assessment", "record_declared_conflict",
    "refresh_verdict", "resolve_market", "submit_assessments", "unresolve_market",
    "visible_assessments",
]
