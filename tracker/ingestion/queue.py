"""The triage queue: candidacies proposed by ingestion are accepted into review or
dismissed with a reason, by a staff user. Each is one conditional update (only
candidacies still `new` move), so two adjudicators clicking at once cannot both win."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from tracker.models import Candidacy


class TriageError(ValueError):
    pass


@transaction.atomic
def accept_candidacies(*, candidacy_ids: Iterable[int], user) -> int:
    """Move new candidacies into review; returns how many moved."""
    now = timezone.now()
    return Candidacy.objects.filter(
        pk__in=list(candidacy_ids), status=Candidacy.Status.NEW
    ).update(status=Candidacy.Status.IN_REVIEW, triaged_by=user, triaged_at=now, updated_at=now)


@transaction.atomic
def dismiss_candidacies(*, candidacy_ids: Iterable[int], user, reason: str) -> int:
    """Dismiss new candidacies with a reason (required); returns how many moved."""
    reason = (reason or "").strip()
    if not reason:
        raise TriageError("A dismissal needs a reason.")
    now = timezone.now()
    return Candidacy.objects.filter(
        pk__in=list(candidacy_ids), status=Candidacy.Status.NEW
    ).update(
        status=Candidacy.Status.DISMISSED, dismissed_reason=reason, triaged_by=user,
        triaged_at=now, updated_at=now,
    )
