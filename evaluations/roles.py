"""Keep the role groups after a database flush.

The groups are created by migration 0002; `flush` (which transactional tests run between
tests) empties auth tables and then sends post_migrate, so the same roles are restored here.
"""

from __future__ import annotations

import importlib

from django.contrib.auth.models import Group, Permission

_roles_migration = importlib.import_module(
    "evaluations.migrations.0002_adjudicator_and_resolver_groups"
)
ROLES: dict[str, list[tuple[str, str]]] = _roles_migration.ROLES


def ensure_role_groups(**kwargs) -> None:
    for name, codes in ROLES.items():
        group, created = Group.objects.get_or_create(name=name)
        if not created and group.permissions.exists():
            continue
        wanted = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codes
        ]
        group.permissions.set(wanted)


def grant_adjudicator(*, user, resolver: bool = False) -> list[str]:
    """Make `user` an adjudicator (staff flag and the adjudicators group), and a resolver
    too when asked. Idempotent; returns what changed, in words."""
    from evaluations.models import ADJUDICATORS_GROUP, RESOLVERS_GROUP
    from evaluations.services.roles import forget_roles

    ensure_role_groups()
    changed = []
    if not user.is_staff or not user.is_active:
        user.is_staff = user.is_active = True
        user.save(update_fields=["is_staff", "is_active"])
        changed.append("staff flag set")
    for name in [ADJUDICATORS_GROUP] + ([RESOLVERS_GROUP] if resolver else []):
        group = Group.objects.get(name=name)
        if not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            changed.append(f"added to {name}")
    forget_roles(user)  # the role check caches per user object
    for cache in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)
    return changed
