"""Roles on user accounts: actions on the admin's user list that make the selected users
adjudicators (staff flag + group), or adjudicators and resolvers."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from evaluations.roles import grant_adjudicator

User = get_user_model()


def _grant(request, queryset, *, resolver: bool) -> None:
    for user in queryset:
        changed = grant_adjudicator(user=user, resolver=resolver)
        messages.info(request, f"{user.get_username()}: {', '.join(changed) or 'unchanged'}.")


class RolesUserAdmin(UserAdmin):
    # UserAdmin has no actions of its own (delete_selected is a site-wide action).
    actions = ["make_adjudicators", "make_adjudicators_and_resolvers"]

    @admin.action(description="Make the selected users adjudicators", permissions=["change"])
    def make_adjudicators(self, request, queryset):
        _grant(request, queryset, resolver=False)

    @admin.action(description="Make the selected users adjudicators and resolvers",
                  permissions=["change"])
    def make_adjudicators_and_resolvers(self, request, queryset):
        _grant(request, queryset, resolver=True)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RolesUserAdmin)
