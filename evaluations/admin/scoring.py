"""Scoring in the admin: the adjudicator's queue (the candidacies list) and the scoring
sheet of one candidacy (its change page), laid out by criteria. Writes go through
`evaluations.scoresheet` and so through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from evaluations import queries, queue, scoresheet, services
from evaluations.admin.common import (
    RoleGuardMixin,
    conflict_of,
    conflicted_ids,
    format_kappa,
    request_cache,
    submit_for,
)
from evaluations.aggregates import candidacy_agreements
from evaluations.comparison import compare
from evaluations.models import CandidacyScoring
from tracker.models import Candidacy, Market
from tracker.pagination import NarrowPaginator


def frozen_markets() -> list[Market]:
    """Resolved or annulled markets: their sheets are read-only until unresolved."""
    return list(Market.objects.filter(status__in=Market.SETTLED_STATUSES).order_by("title"))


class MyQueueFilter(admin.SimpleListFilter):
    title = "my queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [(key, queue.LABELS[key]) for key in
                (queue.AWAITING, queue.DRAFTS, queue.DONE, queue.CONFLICT, queue.CLOSED)]

    def queryset(self, request, queryset):
        chosen = self.value()
        if not chosen:
            return queryset
        return queue.in_queue(queryset, request.user, chosen, conflicted_ids(request))


@admin.register(CandidacyScoring)
class CandidacyScoringAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_filter = [MyQueueFilter, "market", "status"]
    search_fields = ["paper__title", "paper__arxiv_id", "paper__slug", "paper__short_name"]
    actions = ["submit_my_assessments"]
    list_per_page = 50
    show_full_result_count = False  # one COUNT a page, not two
    # A page's keys are sorted as narrow rows (market and paper titles and the key), then
    # those 50 rows are read in full: not every candidacy's wide row joined and sorted.
    paginator = NarrowPaginator

    def get_queryset(self, request: HttpRequest):
        return queue.with_my_progress(
            super().get_queryset(request).select_related("paper", "market", "verdict"),
            request.user,
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not services.is_adjudicator(request.user):
            actions.pop("submit_my_assessments", None)
        return actions

    # Permissions: adjudicators score; resolvers may look.
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return services.is_adjudicator(request.user) or services.can_resolve(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return services.is_adjudicator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # The list: what an adjudicator needs first, the market by its slug last. Built per
    # request, since the columns depend on who looks (the admin instance is shared).
    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        request_cache(request).scoring_page = list(changelist.result_list)
        return changelist

    def get_list_display(self, request: HttpRequest):
        def page_figures() -> dict:
            # Blind review, per-candidacy kappas and conflict reasons for the page's rows
            # only, a few queries in all (not the whole market's candidacies and every
            # assessment, nor three queries per conflicted row): evaluations.queries.
            cache = request_cache(request)
            figures = cache.scoring_figures
            if figures is None:
                rows = cache.scoring_page
                hidden: dict[int, str] = {}
                for market_id in {c.market_id for c in rows}:
                    of_market = [c for c in rows if c.market_id == market_id]
                    hidden.update(services.hidden_candidacies(
                        viewer=request.user, market=of_market[0].market,
                        candidacies=of_market))
                conflicted = [c for c in rows if c.pk in conflicted_ids(request)]
                user = request.user
                figures = cache.scoring_figures = {
                    "hidden": hidden,
                    "agreement": candidacy_agreements(c.pk for c in rows if c.pk not in hidden),
                    # Only a signed-in user has conflicts.
                    "conflict": queries.conflict_reasons(
                        user=user, names=services.names_of(user),
                        candidacies=conflicted) if conflicted and services.signed_in(user) else {},
                }
            return figures

        def hidden(obj) -> bool:
            return obj.pk in page_figures()["hidden"]

        @admin.display(description="paper", ordering="paper__title")
        def paper(obj) -> str:
            return str(obj.paper)

        @admin.display(description="my status")
        def my_status(obj) -> str:
            if not services.is_adjudicator(request.user):
                return "—"  # a resolver who does not score
            status = queue.my_status(obj, conflicted_ids(request))
            if status == queue.CLOSED:
                return ("closed: market " + obj.market.get_status_display().lower()
                        if obj.market.is_settled else "closed: candidacy decided")
            label = {queue.AWAITING: "awaiting", queue.DRAFTS: "draft", queue.DONE: "done",
                     queue.CONFLICT: "conflict"}[status]
            return f"{label} ({obj.my_total} of {obj.criteria_total} answered)" \
                if status == queue.DRAFTS else label

        @admin.display(description="verdict")
        def verdict(obj) -> str:
            if hidden(obj):
                return "hidden until you submit"  # blind review (see the agreement column)
            stored = getattr(obj, "verdict", None)
            return stored.get_outcome_display() if stored else "Undecided"

        @admin.display(description="agreement")
        def agreement(obj) -> str:
            if hidden(obj):
                return "hidden"
            result = page_figures()["agreement"].get(obj.pk)
            if result is None or result.kappa is None:
                return "—"
            return f"κ {result.kappa:.2f} ({result.raters} raters)"

        @admin.display(description="conflict")
        def conflict(obj) -> str:
            if obj.pk not in conflicted_ids(request):
                return "—"
            reason = page_figures()["conflict"].get(obj.pk)
            return (reason if reason is not None else conflict_of(request, obj)) or "—"

        @admin.display(description="market", ordering="market__slug")
        def market(obj) -> str:
            return obj.market.slug

        columns = [paper, my_status, verdict, agreement, conflict]
        # The market column only where there is a choice of markets: with one, it is in
        # the title, and its slug would take a third of a 1,280 px screen.
        cache = request_cache(request)
        if cache.markets is None:
            cache.markets = Market.objects.count()
        return columns + [market] if cache.markets > 1 else columns

    change_list_template = "evaluations/admin/scoring_list.html"

    def changelist_view(self, request: HttpRequest, extra_context=None):
        markets = list(Market.objects.values_list("slug", flat=True)[:2])
        title = "My scoring queue"
        if len(markets) == 1:
            title += f" — market {markets[0]}"
        return super().changelist_view(request, {
            **(extra_context or {}), "title": title, "frozen_markets": frozen_markets()})

    # The scoring sheet replaces the change form.
    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        # The paper's authors (the sheet's byline: one query per author without this)
        # and the market's criteria (read by the sheet, the comparison and its kappa) once.
        candidacy = (Candidacy.objects.select_related("paper", "market")
                     .prefetch_related("paper__authorships__author", "market__criteria")
                     .filter(pk=object_id).first() if str(object_id).isdigit() else None)
        if candidacy is None:
            raise Http404("No such candidacy.")
        if not self.has_view_permission(request, candidacy):
            raise PermissionDenied("Adjudicators and resolvers only.")
        if request.method != "POST":
            return self._sheet_page(
                request, candidacy, scoresheet.load_sheet(user=request.user, candidacy=candidacy),
                errors=[])
        if not services.is_adjudicator(request.user):
            raise PermissionDenied("Only adjudicators score candidacies.")
        errors: list[str] = []
        submit = "_submit" in request.POST
        sheet = scoresheet.load_sheet(user=request.user, candidacy=candidacy,
                                      data=request.POST, submitting=submit)
        if sheet.state == scoresheet.FROZEN:
            errors.append("Nothing was saved. " + scoresheet.frozen_explanation(
                candidacy.market, sheet.resolution))
        elif sheet.state == scoresheet.CONFLICTED:
            errors.append(f"Nothing was saved: you cannot assess this paper. {sheet.conflict}")
        else:
            was_complete = sheet.all_submitted
            try:
                saved, submitted = scoresheet.save_sheet(user=request.user, sheet=sheet,
                                                         submit=submit)
            except (ValidationError, PermissionDenied) as exc:
                errors.append(scoresheet.refused_message(exc))
            else:
                if was_complete:
                    messages.success(request, f"Saved: {saved} submitted answers changed.")
                elif submit:
                    messages.success(request, f"Submitted: {submitted} answers now count. "
                                     "The others' answers are shown below.")
                else:
                    messages.success(request, f"Draft saved ({saved} answers changed). "
                                     "Only you can see your drafts.")
                url = reverse("admin:evaluations_candidacyscoring_change",
                              args=[candidacy.pk])
                return HttpResponseRedirect(url + ("#comparison" if submit else ""))
        return self._sheet_page(request, candidacy, sheet, errors)

    def _sheet_page(self, request, candidacy, sheet, errors) -> TemplateResponse:
        return TemplateResponse(request, "evaluations/admin/scoring_sheet.html",
                                self._sheet_context(request, candidacy, sheet, errors))

    def _sheet_context(self, request, candidacy, sheet, errors) -> dict:
        # The viewer's Sight is read once for the three blind-review checks below (five
        # queries each), and not at all for a settled candidacy (nothing is hidden).
        seen = None if services.is_settled(candidacy, candidacy.market) else services.sight(
            viewer=request.user, market=candidacy.market)
        hidden = services.hidden_candidacies(viewer=request.user, market=candidacy.market,
                                             candidacies=[candidacy], seen=seen)
        why = hidden.get(candidacy.pk)
        frozen = sheet.state == scoresheet.FROZEN
        return {
            **self.admin_site.each_context(request),
            "title": f"Score {candidacy.paper}",
            "subtitle": None,
            "opts": self.model._meta,
            "app_label": self.model._meta.app_label,
            "has_view_permission": True,
            "original": candidacy,
            "candidacy": candidacy,
            "paper": candidacy.paper,
            "claims": list(candidacy.claims.all()),
            "sheet": sheet,
            "errors": errors,
            "comparison": compare(viewer=request.user, candidacy=candidacy, seen=seen),
            "hidden_message": services.HIDDEN_MESSAGES[why] if why else "",
            "frozen_message": scoresheet.frozen_explanation(candidacy.market, sheet.resolution)
            if frozen else "",
            "can_resolve": services.can_resolve(request.user),
            "format_kappa": format_kappa,
        }

    @admin.action(description="Submit my assessments")
    def submit_my_assessments(self, request: HttpRequest, queryset) -> None:
        submit_for(request, list(queryset.select_related("paper", "market")))
