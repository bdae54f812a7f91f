"""Who may do what: adjudicators assess, resolvers (staff with the permission) resolve.

The checks live here so every workflow, view and admin page asks the same question."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, TypeGuard

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as Account
from django.core.exceptions import PermissionDenied

from evaluations.models import ADJUDICATORS_GROUP

if TYPE_CHECKING:
    from typing_extensions import TypeIs

RESOLVE_PERMISSION = "evaluations.resolve_market"

# Whoever makes a request: a signed-in account (the project keeps Django's user model) or
# an anonymous reader. Workflows that write narrow it to an Account with `require_*`.
User = Account | AnonymousUser

# is_adjudicator's answers, per user object (a request's user lives as long as the request);
# keyed by identity, not by pk, so a freshly loaded user asks the database again.
_adjudicator_answers: dict[int, bool] = {}


class NotAnAdjudicator(PermissionDenied):
    """The user is not an active member of the adjudicators group."""


class NotAResolver(PermissionDenied):
    """Only staff with the resolve permission resolve markets."""


class NotYourAssessment(PermissionDenied):
    """An adjudicator creates and edits only their own assessments."""


def signed_in(user: User | None) -> TypeIs[Account]:
    """A signed-in account, not an anonymous reader."""
    return user is not None and not isinstance(user, AnonymousUser) and user.is_authenticated


def active_account(user: User | None) -> TypeGuard[Account]:
    """A signed-in, active account (not an anonymous reader, not a deactivated one)."""
    return signed_in(user) and user.is_active


def is_adjudicator(user: User | None) -> TypeGuard[Account]:
    """Cached per user object: pages ask it once per row."""
    if not active_account(user):
        return False
    key = id(user)
    cached = _adjudicator_answers.get(key)
    if cached is None:
        cached = user.groups.filter(name=ADJUDICATORS_GROUP).exists()
        _adjudicator_answers[key] = cached
        weakref.finalize(user, _adjudicator_answers.pop, key, None)
    return cached


def forget_roles(user: Account) -> None:
    """Drop the cached role answer for `user` (after its groups changed)."""
    _adjudicator_answers.pop(id(user), None)


def can_resolve(user: User | None) -> TypeGuard[Account]:
    """Resolving changes what every page shows: staff with the explicit permission only."""
    return bool(
        active_account(user) and user.is_staff and user.has_perm(RESOLVE_PERMISSION)
    )


def require_adjudicator(user: User | None) -> Account:
    """`user`, if an adjudicator; otherwise refused."""
    if not is_adjudicator(user):
        raise NotAnAdjudicator("Only members of the adjudicators group assess candidacies.")
    return user


def require_resolver(user: User | None) -> Account:
    """`user`, if a resolver; otherwise refused."""
    if not can_resolve(user):
        raise NotAResolver("Only staff with the 'resolve markets' permission resolve markets.")
    return user
