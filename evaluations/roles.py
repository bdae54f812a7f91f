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
