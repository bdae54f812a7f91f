"""Who may do what: adjudicators assess, resolvers (staff with the permission) resolve.

The checks live here so every workflow, view and admin page asks the same question."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied

from evaluations.models import ADJUDICATORS_GROUP

RESOLVE_PERMISSION = "evaluations.resolve_market"

User = AbstractBaseUser | AnonymousUser


class NotAnAdjudicator(PermissionDenied):
    """The user is not an active member of the adjudicators group."""


class NotAResolver(PermissionDenied):
    """Only staff with the resolve permission resolve markets."""


class NotYourAssessment(PermissionDenied):
    """An adjudicator creates and edits only their own assessments."""


def is_adjudicator(user: User | None) -> bool:
    """Cached on the user: pages ask it once per row."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    cached = getattr(user, "_is_adjudicator", None)
    if cached is None:
        cached = user.groups.filter(name=ADJUDICATORS_GROUP).exists()
        user._is_adjudicator = cached
    return cached


def can_resolve(user: User | None) -> bool:
    """Resolving changes what every page shows: staff with the explicit permission only."""
    return bool(
        user is not None and user.is_authenticated and user.is_active and user.is_staff
        and user.has_perm(RESOLVE_PERMISSION)
    )


def require_adjudicator(user: User | None) -> None:
    if not is_adjudicator(user):
        raise NotAnAdjudicator("Only members of the adjudicators group assess candidacies.")


def require_resolver(user: User | None) -> None:
    if not can_resolve(user):
        raise NotAResolver("Only staff with the 'resolve markets' permission resolve markets.")
