"""The adjudicators' and resolvers' console.

Every write goes through `evaluations.services`, so the admin enforces the same rules as
the code: own assessments only, conflicts of interest, blind review, stale forms refused.
Logged-in users outside the roles get 403 here (not the admin's login page).
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from evaluations import queries, services
from evaluations.aggregates import candidacy_agreements, market_agreement
from evaluations.models import (
    AdjudicatorProfile,
    Assessment,
    CandidacyScoring,
    CandidacyVerdict,
    DeclaredConflict,
    MarketResolution,
    ResolutionEvent,
)
from replication.evidence import evidence_for_candidacy
from tracker.admin_mixins import ReadOnlyAdminMixin
from tracker.models import Candidacy, Criterion, Market


def _blank(value: object) -> str:
    return "—" if value in (None, "", []) else str(value)


def format_kappa(result) -> str:
    if result is None or result.kappa is None:
        why = result.undefined_because if result is not None else "no submitted assessments"
        return f"undefined ({why})"
    return f"κ = {result.kappa:.3f} over {result.items} items, up to {result.raters} raters"


class RoleGuardMixin:
    """Authenticated users who are neither adjudicators nor resolvers get 403 on these
    pages; the anonymous still go to the login page."""

    def get_urls(self) -> list[URLPattern]:
        return [self._guard(pattern) for pattern in super().get_urls()]

    @staticmethod
    def _guard(pattern: URLPattern) -> URLPattern:
        view = pattern.callback

        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if user.is_authenticated and not (
                user.is_superuser or services.is_adjudicator(user) or services.can_resolve(user)
            ):
                raise PermissionDenied("Adjudicators and resolvers only.")
            return view(request, *args, **kwargs)

        return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)

    def _is_insider(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_superuser or services.is_adjudicator(user) or services.can_resolve(user)


# --- Scoring a candidacy: all criteria on one page --------------------------------------------


class EvidenceField(forms.CharField):
    """One URL a line in the form; a list in the model."""

    widget = forms.Textarea(attrs={"rows": 2, "cols": 30})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        from evaluations.models import validate_url_list

        validate_url_list(value)


class AssessmentForm(forms.ModelForm):
    evidence_urls = EvidenceField(required=False, label="Evidence links (one a line)")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Assessment
        fields = ["criterion", "verdict", "confidence", "rationale", "evidence_urls"]
        widgets = {"rationale": forms.Textarea(attrs={"rows": 3, "cols": 50})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            if "version" in self.fields:
                self.fields["version"].initial = self.instance.version
            if "criterion" in self.fields:
                self.fields["criterion"].disabled = True

    def clean(self):
        cleaned = super().clean()
        stale = "version" in self.fields and cleaned.get("version") != self.instance.version
        if self.instance.pk and stale:
            raise ValidationError(services._stale_message(self.instance.criterion))
        return cleaned


class AssessmentInline(admin.TabularInline):
    model = Assessment
    form = AssessmentForm
    fields = ["criterion", "verdict", "confidence", "rationale", "evidence_urls", "version",
              "status", "submitted_at"]
    readonly_fields = ["status", "submitted_at"]
    can_delete = False
    verbose_name = "my assessment"
    verbose_name_plural = "my assessments (only you see your drafts; submit to make them count)"

    def get_queryset(self, request: HttpRequest):
        return (
            super().get_queryset(request).filter(adjudicator=request.user)
            # Each row's label (Assessment.__str__) names the adjudicator and the paper.
            .select_related("criterion", "adjudicator", "candidacy__paper")
            .order_by("criterion__order")
        )

    def _may_write(self, request: HttpRequest, obj) -> bool:
        if obj is None or not services.is_adjudicator(request.user):
            return False
        if obj.market.status in (Market.Status.RESOLVED, Market.Status.ANNULLED):
            return False
        return _conflict(request, obj) is None

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return services.is_adjudicator(request.user)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._may_write(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_extra(self, request: HttpRequest, obj=None, **kwargs) -> int:
        if not self._may_write(request, obj):
            return 0
        return len(_unassessed(request, obj))

    def get_max_num(self, request: HttpRequest, obj=None, **kwargs) -> int | None:
        return obj.market.criteria.count() if obj is not None else 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "criterion":
            candidacy = getattr(request, "_scoring_candidacy", None)
            kwargs["queryset"] = (
                Criterion.objects.filter(market_id=candidacy.market_id)
                if candidacy is not None else Criterion.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        request._scoring_candidacy = obj
        return super().get_formset(request, obj, **kwargs)


def _conflict(request: HttpRequest, candidacy: Candidacy) -> str | None:
    cache = request.__dict__.setdefault("_conflicts", {})
    if candidacy.pk not in cache:
        cache[candidacy.pk] = (
            services.find_conflict(user=request.user, paper=candidacy.paper)
            if request.user.is_authenticated else None
        )
    return cache[candidacy.pk]


def _conflicted_ids(request: HttpRequest) -> set[int]:
    """Every candidacy the requesting user has a conflict with (two queries a request)."""
    if "_conflicted_ids" not in request.__dict__:
        request._conflicted_ids = services.conflicted_candidacy_ids(user=request.user)
    return request._conflicted_ids


def _unassessed(request: HttpRequest, candidacy: Candidacy) -> list[Criterion]:
    done = set(
        Assessment.objects.filter(candidacy=candidacy, adjudicator=request.user)
        .values_list("criterion_id", flat=True)
    )
    return [c for c in candidacy.market.criteria.all() if c.pk not in done]


@admin.register(CandidacyScoring)
class CandidacyScoringAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["paper", "market", "my_progress"]
    list_filter = ["market", "status"]
    search_fields = ["paper__title", "paper__arxiv_id", "paper__slug"]
    inlines = [AssessmentInline]
    actions = ["submit_my_assessments"]
    change_form_template = "evaluations/admin/scoring_change_form.html"
    show_full_result_count = False  # one COUNT a page, not two

    def get_queryset(self, request: HttpRequest):
        # Per-row subquery counts, not COUNT(DISTINCT) over a join (evaluations.queries).
        return queries.with_my_progress(
            super().get_queryset(request).select_related("paper", "market", "verdict"),
            request.user,
        )

    def get_changelist_instance(self, request: HttpRequest):
        changelist = super().get_changelist_instance(request)
        request._scoring_page = list(changelist.result_list)  # the rows this page shows
        return changelist

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # Permissions: adjudicators score; resolvers may look.
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._is_insider(request) and (
            services.is_adjudicator(request.user) or services.can_resolve(request.user)
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return services.is_adjudicator(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    # Blind review, per request.
    def _blind(self, request: HttpRequest, candidacy) -> bool:
        if not services.is_adjudicator(request.user):
            return False
        finished = candidacy.my_submitted >= candidacy.criteria_total > 0
        return not finished and candidacy.pk not in _conflicted_ids(request)

    def get_object(self, request: HttpRequest, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            request._blind_now = self._blind(request, obj)
        return obj

    @admin.display(description="my assessments")
    def my_progress(self, obj) -> str:
        drafts = obj.my_total - obj.my_submitted
        return f"{obj.my_submitted} submitted, {drafts} drafts, of {obj.criteria_total}"

    # Columns and fields that depend on who is looking are built per request (the admin
    # instance is shared between requests, so the request is never stored on it).
    def get_list_display(self, request: HttpRequest):
        def page_figures() -> dict:
            # Per-candidacy kappas and conflict reasons for the page's rows only, each in
            # one or two queries (not an agreement over every assessment, nor three
            # queries per conflicted row).
            figures = request.__dict__.get("_scoring_figures")
            if figures is None:
                rows = request.__dict__.get("_scoring_page", [])
                conflicted = [c for c in rows if c.pk in _conflicted_ids(request)]
                figures = request._scoring_figures = {
                    "agreement": candidacy_agreements(c.pk for c in rows),
                    "conflict": queries.conflict_reasons(
                        user=request.user, names=services.names_of(request.user),
                        candidacies=conflicted) if conflicted else {},
                }
            return figures

        def verdict(obj) -> str:
            if self._blind(request, obj):
                return "hidden until you submit"
            stored = getattr(obj, "verdict", None)
            return stored.get_outcome_display() if stored else "Undecided"

        def agreement(obj) -> str:
            if self._blind(request, obj):
                return "hidden until you submit"
            return format_kappa(page_figures()["agreement"].get(obj.pk))

        def conflict(obj) -> str:
            if not request.user.is_authenticated or obj.pk not in _conflicted_ids(request):
                return "—"
            reason = page_figures()["conflict"].get(obj.pk)
            return _blank(reason if reason is not None else _conflict(request, obj))

        verdict.short_description = "verdict"
        agreement.short_description = "agreement"
        conflict.short_description = "conflict of interest"
        return ["paper", "market", "my_progress", verdict, agreement, conflict]

    def get_fields(self, request: HttpRequest, obj=None):
        return self._page_fields(request)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._page_fields(request)

    def _page_fields(self, request: HttpRequest) -> list:
        cached = request.__dict__.get("_scoring_fields")
        if cached is not None:
            return cached

        def blind() -> bool:
            return bool(getattr(request, "_blind_now", False))

        def conflict_notice(obj) -> str:
            reason = _conflict(request, obj)
            return f"You cannot assess this paper: {reason}" if reason else "None found."

        def verdict_summary(obj) -> str:
            if blind():
                return "Hidden until you have submitted every criterion (blind review)."
            stored = CandidacyVerdict.objects.filter(candidacy=obj).first()
            if stored is None:
                return "Undecided (no submitted assessments)."
            return (f"{stored.get_outcome_display()}; carried by: "
                    f"{', '.join(stored.deciding_criteria) or '—'}; "
                    f"{stored.submitted_count} submitted assessments by "
                    f"{stored.adjudicator_count} adjudicators.")

        def others_assessments(obj) -> str:
            if blind():
                return "Hidden until you have submitted every criterion (blind review)."
            rows = [
                a for a in services.visible_assessments(viewer=request.user, candidacy=obj)
                if a.adjudicator_id != request.user.pk
            ]
            if not rows:
                return "None yet."
            return format_html(
                "<table><tr><th>Criterion</th><th>Adjudicator</th><th>Verdict</th>"
                "<th>Confidence</th><th>Rationale</th></tr>{}</table>",
                format_html_join(
                    "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    ((a.criterion.title, a.adjudicator.get_full_name() or a.adjudicator,
                      a.get_verdict_display(), a.confidence, a.rationale) for a in rows),
                ),
            )

        conflict_notice.short_description = "conflict of interest"
        verdict_summary.short_description = "verdict"
        others_assessments.short_description = "others' submitted assessments"
        fields = ["paper_link", "authors", "task", "claimed_result", conflict_notice,
                  verdict_summary, others_assessments]
        request._scoring_fields = fields
        return fields

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is not None:
            candidacy = Candidacy.objects.select_related("paper", "market").filter(
                pk=object_id).first()
            if candidacy is not None:
                reason = _conflict(request, candidacy)
                if reason and request.method == "GET":
                    messages.warning(request, f"You cannot assess this paper: {reason}")
                extra_context = {**(extra_context or {}), "conflict_reason": reason,
                                 "replication_evidence": evidence_for_candidacy(candidacy.pk),
                                 "may_submit": services.is_adjudicator(request.user)
                                 and reason is None}
        return super().changeform_view(request, object_id, form_url, extra_context)

    @admin.display(description="paper")
    def paper_link(self, obj) -> str:
        return format_html('<a href="{}">{}</a> {}', obj.paper.get_absolute_url(), obj.paper,
                           f"(arXiv {obj.paper.arxiv_id})" if obj.paper.arxiv_id else "")

    @admin.display(description="authors, in order")
    def authors(self, obj) -> str:
        return ", ".join(obj.paper.ordered_author_names()) or "—"

    # Writes go through the services.
    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, AssessmentInline) and request.method != "POST" and obj:
            kwargs["initial"] = [{"criterion": c.pk} for c in _unassessed(request, obj)]
        return kwargs

    def save_model(self, request, obj, form, change) -> None:
        pass  # nothing on the candidacy itself is edited here

    def save_formset(self, request, form, formset, change) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not isinstance(formset.instance, Candidacy) or formset.model is not Assessment:
            return
        candidacy = formset.instance
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            existing = inline_form.instance if inline_form.instance.pk else None
            assessment = services.record_assessment(
                adjudicator=request.user, candidacy=candidacy,
                criterion=existing.criterion if existing else data["criterion"],
                verdict=data["verdict"], confidence=data["confidence"],
                rationale=data["rationale"], evidence_urls=data.get("evidence_urls") or [],
                expected_version=data.get("version") if existing else None,
            )
            (formset.changed_objects if existing else formset.new_objects).append(
                (assessment, list(inline_form.changed_data)) if existing else assessment
            )

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        if "_submit_assessments" in request.POST:
            _submit_for(request, [form.instance])

    @admin.action(description="Submit my assessments")
    def submit_my_assessments(self, request: HttpRequest, queryset) -> None:
        _submit_for(request, list(queryset.select_related("paper", "market")))


def _submit_for(request: HttpRequest, candidacies) -> None:
    for candidacy in candidacies:
        try:
            count = services.submit_assessments(adjudicator=request.user, candidacy=candidacy)
        except ValidationError as exc:
            messages.error(request, f"{candidacy.paper}: {' '.join(exc.messages)}")
        except PermissionDenied as exc:
            messages.error(request, f"{candidacy.paper}: {exc}")
        else:
            messages.success(request, f"{candidacy.paper}: {count} assessments submitted.")


# --- Assessments list ---------------------------------------------------------------------------


@admin.register(Assessment)
class AssessmentAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["candidacy", "criterion", "adjudicator", "verdict", "confidence", "status",
                    "submitted_at"]
    list_filter = ["status", "verdict", "candidacy__market"]
    search_fields = ["candidacy__paper__title", "criterion__key", "rationale"]
    list_select_related = ["candidacy__paper", "candidacy__market", "criterion", "adjudicator"]
    form = AssessmentForm
    readonly_fields = ["candidacy", "adjudicator", "status", "submitted_at", "source_url",
                       "conflict_waiver", "created_at", "updated_at"]
    actions = ["submit_my_assessments"]
    # The unique (candidacy, criterion, adjudicator) index: a page is an index range, not
    # a sort of every visible assessment by market, paper title and criterion order.
    ordering = ["candidacy_id", "criterion_id", "adjudicator_id"]
    show_full_result_count = False  # one COUNT a page, not two

    def get_queryset(self, request: HttpRequest):
        return services.assessments_visible_to(request.user).select_related(
            "candidacy__paper", "candidacy__market", "criterion", "adjudicator"
        )

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # judgements are never bulk-deleted
        return actions

    def get_fields(self, request, obj=None):
        return ["candidacy", "criterion", "adjudicator", "verdict", "confidence", "rationale",
                "evidence_urls", "version", "status", "submitted_at", "source_url",
                "conflict_waiver"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        return self.readonly_fields

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not self._is_insider(request):
            return False
        if obj is None:
            return True
        return services.can_view_assessment(viewer=request.user, assessment=obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # score on the candidacy's page, all criteria at once

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if not services.is_adjudicator(request.user):
            return False
        return obj is None or (
            obj.adjudicator_id == request.user.pk
            and obj.candidacy.market.status not in (Market.Status.RESOLVED,
                                                    Market.Status.ANNULLED)
            and _conflict(request, obj.candidacy) is None
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Only one's own draft, one at a time; submitted judgements stay.
        return bool(
            obj is not None and services.is_adjudicator(request.user)
            and obj.adjudicator_id == request.user.pk and obj.status == Assessment.Status.DRAFT
        )

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        services.record_assessment(
            adjudicator=request.user, candidacy=obj.candidacy, criterion=obj.criterion,
            verdict=data["verdict"], confidence=data["confidence"], rationale=data["rationale"],
            evidence_urls=data.get("evidence_urls") or [], expected_version=data.get("version"),
        )

    def delete_model(self, request, obj) -> None:
        candidacy = obj.candidacy
        super().delete_model(request, obj)
        services.refresh_verdict(candidacy=candidacy)

    @admin.action(description="Submit my assessments")
    def submit_my_assessments(self, request: HttpRequest, queryset) -> None:
        ids = set(queryset.filter(adjudicator=request.user).values_list("candidacy_id", flat=True))
        _submit_for(request, list(Candidacy.objects.filter(pk__in=ids)
                                  .select_related("paper", "market")))


# --- Resolution ------------------------------------------------------------------------------


class ResolveForm(forms.Form):
    ACTIONS = [("yes", "Resolve YES"), ("no", "Resolve NO"), ("annul", "Annul")]

    outcome = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect)
    cited = forms.ModelMultipleChoiceField(
        queryset=Candidacy.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A YES must cite at least one qualifying candidacy.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 70}))
    effective_at = forms.DateTimeField(
        required=False, help_text="Resolution date (YYYY-MM-DD HH:MM); empty means now."
    )

    def __init__(self, *args, market: Market, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["cited"]
        field.queryset = market.candidacies.select_related("paper", "verdict")
        field.label_from_instance = _label_with_verdict


def _label_with_verdict(candidacy: Candidacy) -> str:
    verdict = getattr(candidacy, "verdict", None)
    return f"{candidacy.paper} — {verdict.get_outcome_display() if verdict else 'Undecided'}"


@admin.register(MarketResolution)
class MarketResolutionAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["title", "status", "outcome", "resolved_at", "annulled_at", "agreement"]
    fields = ["title", "status", "outcome", "opened_at", "resolved_at", "annulled_at",
              "agreement", "agreement_by_criterion", "history"]
    readonly_fields = fields
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
        return format_kappa(market_agreement(obj).overall)

    @admin.display(description="agreement per criterion")
    def agreement_by_criterion(self, obj) -> str:
        result = market_agreement(obj)
        if not result.by_criterion:
            return "No submitted assessments."
        return format_html_join(
            "", "<div>{}: {}</div>",
            ((key, format_kappa(value)) for key, value in sorted(result.by_criterion.items())),
        )

    @admin.display(description="history (append-only)")
    def history(self, obj) -> str:
        events = obj.resolution_events.select_related("actor").prefetch_related("cited__paper")
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
            form = ResolveForm(market=market, initial={"effective_at": timezone.now()})
        return TemplateResponse(request, "evaluations/admin/resolve_market.html", {
            **self.admin_site.each_context(request),
            "title": f"Resolve: {market}", "market": market, "form": form,
            "opts": self.model._meta, "action": "resolve_market",
            "selected": [market.pk], "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
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
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
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


@admin.register(DeclaredConflict)
class DeclaredConflictAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["paper", "adjudicator", "reason", "declared_at"]
    fields = ["paper", "reason"]
    autocomplete_fields = ["paper"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("paper", "adjudicator")
        if services.can_resolve(request.user) or request.user.is_superuser:
            return queryset
        return queryset.filter(adjudicator=request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_insider(request)

    def has_add_permission(self, request) -> bool:
        return services.is_adjudicator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        saved = services.record_declared_conflict(
            adjudicator=request.user, paper=obj.paper, reason=obj.reason
        )
        obj.pk, obj.adjudicator, obj.declared_at = saved.pk, saved.adjudicator, saved.declared_at


@admin.register(AdjudicatorProfile)
class AdjudicatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "publishes_as"]
    autocomplete_fields = ["user"]
