"""Shared admin behaviour."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """For records that are written only by services (history, derived scores): the admin
    may list and show them, never add, change or delete."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
