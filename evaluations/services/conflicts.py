"""Conflicts of interest: found from authorship (by normalised name) or declared by the
adjudicator. A conflicted adjudicator neither assesses the paper nor sees others'
assessments of it before it is settled."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from evaluations.models import AdjudicatorProfile, DeclaredConflict
from evaluations.services.roles import (
    Account,
    NotYourAssessment,
    User,
    require_adjudicator,
    signed_in,
)
from tracker.models import Authorship, Candidacy, Market, Paper, normalize_person_name


class ConflictOfInterest(PermissionDenied):
    """The adjudicator may not assess this paper; `reason` says why (shown to them)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def names_of(user: Account) -> set[str]:
    """The normalised names under which the user may appear as an author."""
    names = {normalize_person_name(user.get_full_name())}
    profile = AdjudicatorProfile.objects.filter(user=user).first()
    if profile is not None:
        names.update(normalize_person_name(name) for name in profile.publishes_as)
    names.discard("")
    return names


def find_conflict(*, user: Account, paper: Paper) -> str | None:
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
    if not signed_in(user):
        return set()
    names = names_of(user)
    scope = Candidacy.objects.all() if market is None else Candidacy.objects.filter(market=market)
    by_author = scope.filter(paper__authorships__author__normalized_name__in=names)
    declared = scope.filter(paper__declared_conflicts__adjudicator=user,
                            paper__declared_conflicts__withdrawn_at__isnull=True)
    # One round trip (a UNION), on every adjudicator's page.
    return set(by_author.order_by().values_list("id", flat=True).union(
        declared.order_by().values_list("id", flat=True)))


def record_declared_conflict(*, adjudicator: User, paper: Paper, reason: str) -> DeclaredConflict:
    """Declare a conflict with `paper`. One declaration is in force at a time: declaring
    again while one is in force is refused (withdraw it first, so the history keeps both)."""
    adjudicator = require_adjudicator(adjudicator)
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
    adjudicator = require_adjudicator(adjudicator)
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
