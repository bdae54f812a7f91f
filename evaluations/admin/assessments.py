"""The assessments list: each row one adjudicator's answer on one criterion, filtered by
the blind-review rule (`services.assessments_visible_to`). Scoring happens on the
candidacy's scoring sheet; this list is for finding and reading."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpRequest
from django.shortcuts import redirect

from evaluations import services
from evaluations.admin.common import RoleGuardMixin, conflict_of, submit_for
from evaluations.forms import EvidenceField
from evaluations.models import Assessment, CandidacyVerdict
from evaluations.services.assessments import (
    allowed_words,
    incomplete_message,
    stale_message,
    verdict_choices,
)
from tracker.models import Candidacy


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

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        stale = "version" in self.fields and cleaned.get("version") != self.instance.version
        if self.instance.pk and stale:
            raise ValidationError(stale_message(self.instance.criterion))
        # The service's rules, as field errors rather than a refused save: the answers this
        # criterion allows, and a submitted answer stays complete.
        criterion = self.instance.criterion if self.instance.pk else cleaned.get("criterion")
        verdict = cleaned.get("verdict")
        if criterion is not None and verdict and not self.instance.source_url \
                and verdict not in dict(verdict_choices(criterion)):
            self.add_error("verdict", f"{verdict} is not one of this criterion's answers "
                           f"({allowed_words(criterion)}).")
        if self.instance.pk and self.instance.is_submitted and criterion is not None:
            answer = Assessment(verdict=verdict or "", confidence=cleaned.get("confidence"),
                                rationale=(cleaned.get("rationale") or "").strip())
            if lacking := incomplete_message(answer, criterion):
                raise ValidationError(f"A submitted answer stays complete: {lacking}.")
        return cleaned


# Query parameters that page or sort the list without changing how many rows it has.
UNFILTERED_PARAMS = frozenset({"p", "o"})


def visible_count(adjudicator: User) -> int:
    """How many assessments ``services.assessments_visible_to(adjudicator)`` holds, without
    counting its ~60k rows: the others' submitted assessments are the stored per-candidacy
    ``CandidacyVerdict.submitted_count`` (kept in the write's transaction by
    ``refresh_verdict``) summed over the candidacies the adjudicator sees submitted work
    of, and their own are an index range on their assessments. Two small queries instead
    of a COUNT over a join of every assessment (82 ms -> ~3 ms at the benchmark's tenant)."""
    from evaluations.queries import completed_by

    seen = completed_by(adjudicator)
    if services.sees_all_submitted(adjudicator):
        seen |= services.conflicted_candidacy_ids(user=adjudicator)
    sees = services.settled_candidacies("candidacy__") | Q(candidacy_id__in=sorted(seen))
    submitted = (CandidacyVerdict.objects.filter(sees).order_by()
                 .aggregate(n=Sum("submitted_count"))["n"] or 0)
    own = Assessment.objects.filter(adjudicator=adjudicator).order_by().aggregate(
        all=Count("pk"),
        counted=Count("pk", filter=Q(status=Assessment.Status.SUBMITTED) & sees),
    )
    return submitted - own["counted"] + own["all"]


@admin.register(Assessment)
class AssessmentAdmin(RoleGuardMixin, admin.ModelAdmin):
    list_display = ["paper", "criterion_title", "adjudicator", "verdict", "confidence", "status",
                    "market_slug", "submitted_at"]
    list_filter = ["status", "verdict", "candidacy__market"]
    search_fields = ["candidacy__paper__title", "criterion__key", "rationale"]
    list_select_related = ["candidacy__paper", "candidacy__market", "criterion", "adjudicator"]
    form = AssessmentForm
    readonly_fields = ["candidacy", "adjudicator", "status", "submitted_at", "source_url",
                       "conflict_waiver", "created_at", "updated_at"]
    actions = ["submit_my_assessments"]

    @admin.display(description="paper", ordering="candidacy__paper__title")
    def paper(self, obj) -> str:
        return str(obj.candidacy.paper)

    @admin.display(description="criterion", ordering="criterion__order")
    def criterion_title(self, obj) -> str:
        return obj.criterion.title

    @admin.display(description="market", ordering="candidacy__market__slug")
    def market_slug(self, obj) -> str:
        return obj.candidacy.market.slug

    # The unique (candidacy, criterion, adjudicator) index: a page is an index range, not
    # a sort of every visible assessment by market, paper title and criterion order.
    ordering = ["candidacy_id", "criterion_id", "adjudicator_id"]
    show_full_result_count = False  # one COUNT a page, not two
    list_per_page = 50  # as the scoring list: half the rows to render a page

    def get_queryset(self, request: HttpRequest):
        return services.assessments_visible_to(request.user).select_related(
            "candidacy__paper", "candidacy__market", "criterion", "adjudicator"
        )

    def get_paginator(self, request: HttpRequest, queryset, per_page: int, orphans: int = 0,
                      allow_empty_first_page: bool = True) -> Paginator:
        paginator = super().get_paginator(request, queryset, per_page, orphans,
                                          allow_empty_first_page)
        user = request.user
        if (not set(request.GET) - UNFILTERED_PARAMS and isinstance(user, User)
                and services.is_adjudicator(user)):
            paginator.count = visible_count(user)  # the same total, read narrower
        return paginator

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
            and not obj.candidacy.market.is_settled
            and conflict_of(request, obj.candidacy) is None
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

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:  # lost a race: submitted or deleted in another tab
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return redirect("admin:evaluations_assessment_changelist")

    def delete_model(self, request: HttpRequest, obj: Assessment) -> None:
        services.delete_draft_assessment(adjudicator=request.user, assessment_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        # Not offered as an action (judgements are never bulk-deleted); should one call it,
        # each row still goes through the service and its rules.
        for assessment_id in queryset.values_list("pk", flat=True):
            services.delete_draft_assessment(adjudicator=request.user,
                                             assessment_id=assessment_id)

    @admin.action(description="Submit my assessments")
    def submit_my_assessments(self, request: HttpRequest, queryset) -> None:
        ids = set(queryset.filter(adjudicator=request.user).values_list("candidacy_id", flat=True))
        submit_for(request, list(Candidacy.objects.filter(pk__in=ids)
                                  .select_related("paper", "market")))

