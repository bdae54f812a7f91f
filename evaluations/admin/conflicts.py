"""Declared conflicts of interest: an adjudicator declares one, and withdraws it with a
reason (the row stays, as history). Conflicts found from authorship are not rows here:
they are computed from the author list and cannot be withdrawn."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from evaluations import services
from evaluations.admin.common import RoleGuardMixin
from evaluations.forms import WithdrawConflictForm
from evaluations.models import AdjudicatorProfile, DeclaredConflict


class DeclareConflictForm(forms.ModelForm):
    class Meta:
        model = DeclaredConflict
        fields = ["paper", "reason"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        paper, user = cleaned.get("paper"), getattr(self, "declared_by", None)
        if paper is not None and user is not None and DeclaredConflict.objects.filter(
            adjudicator=user, paper=paper, withdrawn_at__isnull=True
        ).exists():
            raise ValidationError(
                "You already declared a conflict with this paper. Withdraw it first if the "
                "reason changed (the old declaration stays in the history)."
            )
        return cleaned


@admin.register(DeclaredConflict)
class DeclaredConflictAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["paper", "adjudicator", "reason", "in_force", "declared_at", "withdrawn_at",
                    "withdrawal_reason"]
    list_filter = [("withdrawn_at", admin.EmptyFieldListFilter)]
    form = DeclareConflictForm
    autocomplete_fields = ["paper"]
    actions = ["withdraw"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("paper", "adjudicator")
        if services.can_resolve(request.user) or request.user.is_superuser:
            return queryset
        return queryset.filter(adjudicator=request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["paper", "reason"]
        return ["paper", "adjudicator", "reason", "declared_at", "withdrawn_at",
                "withdrawal_reason"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        form: Any = super().get_form(request, obj, change, **kwargs)
        form.declared_by = request.user if obj is None else None  # read by its clean()
        return form

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not services.is_adjudicator(request.user):
            actions.pop("withdraw", None)
        return actions

    @admin.display(boolean=True, description="in force")
    def in_force(self, obj) -> bool:
        return obj.in_force

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_insider(request)

    def has_add_permission(self, request) -> bool:
        return services.is_adjudicator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # withdraw instead: the declaration stays in the history

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = services.record_declared_conflict(
            adjudicator=request.user, paper=obj.paper, reason=obj.reason
        )
        obj.pk, obj.adjudicator, obj.declared_at = saved.pk, saved.adjudicator, saved.declared_at

    @admin.action(description="Withdraw my selected declarations (with a reason)")
    def withdraw(self, request: HttpRequest, queryset):
        mine = list(queryset.filter(adjudicator=request.user, withdrawn_at__isnull=True)
                    .select_related("paper"))
        if not mine:
            self.message_user(request, "Select declarations of yours that are still in force.",
                              messages.ERROR)
            return None
        form = WithdrawConflictForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for conflict in mine:
                try:
                    services.withdraw_declared_conflict(
                        adjudicator=request.user, conflict_id=conflict.pk,
                        reason=form.cleaned_data["reason"],
                    )
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, f"{conflict.paper}: {exc}", messages.ERROR)
                else:
                    self.message_user(request, f"{conflict.paper}: declaration withdrawn.")
            return HttpResponseRedirect(reverse("admin:evaluations_declaredconflict_changelist"))
        return TemplateResponse(request, "evaluations/admin/withdraw_conflict.html", {
            **self.admin_site.each_context(request),
            "title": "Withdraw declared conflicts", "conflicts": mine, "form": form,
            "opts": self.model._meta, "action": "withdraw",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(AdjudicatorProfile)
class AdjudicatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "publishes_as"]
    autocomplete_fields = ["user"]
