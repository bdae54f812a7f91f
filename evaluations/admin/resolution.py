"""The resolvers' console: resolve, annul or unresolve a market through the services,
and the append-only history of resolutions."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join

from evaluations import services
from evaluations.admin.common import RoleGuardMixin, format_kappa
from evaluations.aggregates import stored_all
from evaluations.models import MarketResolution, ResolutionEvent
from tracker.admin_mixins import ReadOnlyAdminMixin
from tracker.models import Candidacy, Market
from tracker.queries import shown_name


class CitedField(forms.ModelMultipleChoiceField):
    """Candidacies labelled with their verdict."""

    def label_from_instance(self, obj: Candidacy) -> str:
        return _label_with_verdict(obj)


class ResolveForm(forms.Form):
    ACTIONS = [("yes", "Resolve YES"), ("no", "Resolve NO"), ("annul", "Annul")]

    outcome = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    cited = CitedField(
        queryset=Candidacy.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A YES must cite at least one qualifying candidacy.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 70}))
    effective_at = forms.DateTimeField(
        required=False, label="Effective at",
        help_text="Resolution date (YYYY-MM-DD HH:MM); empty means now.",
    )

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["cited"]
        assert isinstance(field, CitedField)  # declared above
        # Qualifying candidacies first (the ones a YES may cite), then by the name shown.
        field.queryset = market.candidacies.select_related("paper", "verdict").order_by(
            Case(When(verdict__outcome="qualifies", then=Value(0)), default=Value(1)),
            shown_name(), "pk")


def _label_with_verdict(candidacy: Candidacy) -> str:
    verdict = getattr(candidacy, "verdict", None)
    return f"{candidacy.paper} — {verdict.get_outcome_display() if verdict else 'Undecided'}"


@admin.register(MarketResolution)
class MarketResolutionAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["title", "status", "outcome", "resolved_at", "annulled_at", "agreement"]
    readonly_fields = ("title", "status", "outcome", "opened_at", "resolved_at",
                       "annulled_at", "agreement", "agreement_by_criterion", "history")
    fields = readonly_fields
    actions = ["resolve_market", "unresolve_market"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_view_permission(self, request, obj=None) -> bool:
        return services.can_resolve(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # changes happen through the actions only

    def has_resolve_permission(self, request) -> bool:
        return services.can_resolve(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="agreement (Fleiss' κ)")
    def agreement(self, obj) -> str:
        return format_kappa(stored_all(obj).overall)

    @admin.display(description="agreement per criterion")
    def agreement_by_criterion(self, obj) -> str:
        result = stored_all(obj)
        if not result.by_criterion:
            return "No submitted assessments."
        return format_html_join(
            "", "<div>{}: {}</div>",
            ((key, format_kappa(value)) for key, value in sorted(result.by_criterion.items())),
        )

    @admin.display(description="history (append-only)")
    def history(self, obj) -> str:
        events = services.resolution_history(obj)
        if not events:
            return "No resolution yet."
        return format_html_join(
            "", "<div>{} · {} · by {} · {} {}</div>",
            ((f"{e.at:%Y-%m-%d %H:%M}", e.get_action_display(),
              e.actor.get_full_name() or e.actor, e.reason,
              f"(cites {', '.join(str(c.paper) for c in e.cited.all())})" if e.cited.all() else "")
             for e in events),
        )

    @admin.action(description="Resolve market (YES, NO or annul)", permissions=["resolve"])
    def resolve_market(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Resolve one market at a time.", messages.ERROR)
            return None
        market = queryset.get()
        if "apply" in request.POST:
            form = ResolveForm(request.POST, market=market)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if data["outcome"] == "annul":
                        services.annul_market(market=market, actor=request.user,
                                              reason=data["reason"],
                                              annulled_at=data["effective_at"])
                    else:
                        services.resolve_market(
                            market=market, actor=request.user, outcome=data["outcome"],
                            reason=data["reason"], cited=list(data["cited"]),
                            resolved_at=data["effective_at"],
                        )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    self.message_user(request, f"{market}: {data['outcome']} recorded.")
                    return HttpResponseRedirect(request.get_full_path())
        else:
            form = ResolveForm(market=market)  # "Effective at" empty: now, as its help says
        return TemplateResponse(request, "evaluations/admin/resolve_market.html", {
            **self.admin_site.each_context(request),
            "title": f"Resolve: {market}", "market": market, "form": form,
            "opts": self.model._meta, "action": "resolve_market",
            "selected": [market.pk], "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Unresolve market (restore its previous state)",
                  permissions=["resolve"])
    def unresolve_market(self, request, queryset):
        reason = request.POST.get("unresolve_reason", "").strip()
        if queryset.count() != 1:
            self.message_user(request, "Unresolve one market at a time.", messages.ERROR)
            return None
        market = queryset.get()
        if "apply" in request.POST:
            try:
                services.unresolve_market(market=market, actor=request.user, reason=reason)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(request, f"{market}: unresolved.")
            return HttpResponseRedirect(
                reverse("admin:evaluations_marketresolution_changelist"))
        return TemplateResponse(request, "evaluations/admin/unresolve_market.html", {
            **self.admin_site.each_context(request),
            "title": f"Unresolve: {market}", "market": market, "opts": self.model._meta,
            "action": "unresolve_market", "selected": [market.pk],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(ResolutionEvent)
class ResolutionEventAdmin(ReadOnlyAdminMixin, RoleGuardMixin, admin.ModelAdmin):
    list_display = ["at", "market", "action", "actor", "reason", "effective_at"]
    list_filter = ["action", "market"]
    list_select_related = ["market", "actor"]

    def get_actions(self, request):
        return {}

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_insider(request)

