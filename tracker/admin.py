from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from tracker.ingestion.queue import TriageError, accept_candidacies, dismiss_candidacies
from tracker.models import (
    Author,
    Authorship,
    Candidacy,
    Claim,
    Criterion,
    Market,
    Paper,
    PaperRelevance,
    PaperVersion,
    SavedSearch,
    SearchRun,
    TriageProfile,
    TriageQueueItem,
    WorkerHeartbeat,
)

AUDIT_FIELDS = ("created_at", "updated_at")


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ("order", "key", "title", "kind", "group")
    extra = 0
    show_change_link = True


@admin.register(Market)
class MarketAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "platform", "status", "outcome", "resolved_at")
    list_filter = ("status", "platform")
    search_fields = ("title", "slug", "creator", "description")
    ordering = ("title",)
    prepopulated_fields = {"slug": ("title",)}
    # Only the resolution services (the "market resolutions" admin: a resolver's recorded,
    # reasoned event, then a re-score) change these; here they are shown, never edited.
    readonly_fields = ("status", "outcome", "resolved_at", "annulled_at", *AUDIT_FIELDS)
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "market", "kind", "group", "order")
    list_filter = ("kind", "group", "market")
    search_fields = ("key", "title", "description")
    ordering = ("market", "order")
    readonly_fields = AUDIT_FIELDS


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ("author",)
    ordering = ("position",)


class CandidacyInline(admin.TabularInline):
    model = Candidacy
    fields = ("market", "status", "task")
    extra = 0
    show_change_link = True


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("__str__", "arxiv_id", "arxiv_version", "kind", "published", "venue")
    list_filter = ("kind", "uses_sae", "venue")
    search_fields = ("title", "short_name", "arxiv_id", "slug", "abstract", "authors__name")
    ordering = ("-published", "title")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = AUDIT_FIELDS
    inlines = [AuthorshipInline, CandidacyInline]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ("name", "normalized_name")
    search_fields = ("name", "normalized_name")
    readonly_fields = ("normalized_name",)


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ("method", "is_sae_method", "metric", "value", "sample_size", "location")
    extra = 0


@admin.register(Candidacy)
class CandidacyAdmin(admin.ModelAdmin):
    list_display = ("paper", "market", "status", "updated_at")
    list_filter = ("status", "market")
    search_fields = ("paper__title", "paper__arxiv_id", "task", "claimed_result")
    list_select_related = ("paper", "market")
    autocomplete_fields = ("paper",)
    readonly_fields = AUDIT_FIELDS
    inlines = [ClaimInline]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("method", "is_sae_method", "metric", "value", "sample_size", "candidacy")
    list_filter = ("is_sae_method",)
    search_fields = ("method", "metric", "candidacy__paper__title")
    list_select_related = ("candidacy__paper", "candidacy__market")
    readonly_fields = AUDIT_FIELDS


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("hostname", "seen_at", "beats")
    readonly_fields = ("hostname", "seen_at", "beats")


# --- arXiv ingestion and triage ---------------------------------------------------------

RUN_LOG_FIELDS = (
    "status", "started_at", "finished_at", "pages", "fetched", "created", "updated",
    "unchanged", "candidates", "errors", "error",
)


class SearchRunInline(admin.TabularInline):
    model = SearchRun
    fields = RUN_LOG_FIELDS
    readonly_fields = RUN_LOG_FIELDS
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-started_at",)
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-started_at")


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    list_display = (
        "name", "market", "active", "max_results", "last_run_at", "last_success_at",
        "running_since",
    )
    list_filter = ("active", "market")
    search_fields = ("name", "query", "description")
    readonly_fields = ("last_run_at", "last_success_at", "running_since", *AUDIT_FIELDS)
    fields = (
        "market", "name", "description", "query", "categories", "max_results", "active",
        "last_run_at", "last_success_at", "running_since", *AUDIT_FIELDS,
    )
    inlines = [SearchRunInline]
    actions = ["run_now", "release_lock"]

    @admin.action(description="Run the selected searches now (on a worker)")
    def run_now(self, request, queryset):
        from tracker.ingestion.services import request_runs
        from tracker.queueing import QueueUnavailable

        try:
            count = request_runs(search_ids=list(queryset.values_list("pk", flat=True)))
        except QueueUnavailable as exc:
            self.message_user(request, str(exc), level=messages.WARNING)
            return
        self.message_user(request, f"Queued {count} ingestion(s).")

    @admin.action(description="Release the lock of the selected searches (a run died)")
    def release_lock(self, request, queryset):
        released = queryset.exclude(running_since=None).update(running_since=None)
        self.message_user(request, f"Released {released} lock(s).")


@admin.register(SearchRun)
class SearchRunAdmin(admin.ModelAdmin):
    list_display = ("search", "status", "started_at", "finished_at", "pages", "fetched",
                    "created", "updated", "unchanged", "candidates", "errors")
    list_filter = ("status", "search")
    list_select_related = ("search",)
    date_hierarchy = "started_at"
    search_fields = ("query", "error")
    readonly_fields = ("search", "query", "api_url", *RUN_LOG_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TriageProfile)
class TriageProfileAdmin(admin.ModelAdmin):
    list_display = ("market", "active", "threshold", "use_embeddings")
    readonly_fields = AUDIT_FIELDS


@admin.register(PaperVersion)
class PaperVersionAdmin(admin.ModelAdmin):
    list_display = ("paper", "version", "updated_at", "withdrawn", "seen_at")
    list_filter = ("withdrawn",)
    search_fields = ("paper__arxiv_id", "title")
    list_select_related = ("paper",)
    readonly_fields = ("paper", "version", "title", "abstract", "published_at", "updated_at",
                       "comment", "withdrawn", "seen_at")

    def has_add_permission(self, request):
        return False


@admin.register(PaperRelevance)
class PaperRelevanceAdmin(admin.ModelAdmin):
    list_display = ("paper", "market", "score", "version", "scored_at")
    list_filter = ("market",)
    search_fields = ("paper__title", "paper__arxiv_id")
    list_select_related = ("paper", "market")
    ordering = ("-score",)
    readonly_fields = ("paper", "market", "score", "signals", "explanation", "version",
                       "scored_at")

    def has_add_permission(self, request):
        return False


class DismissForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why these papers are not candidates (kept on each candidacy).",
    )


@admin.register(TriageQueueItem)
class TriageQueueAdmin(admin.ModelAdmin):
    """New candidacies proposed by arXiv triage, best first: accept into review or
    dismiss with a reason."""

    list_display = ("paper", "market", "relevance_score", "explanation", "found_by", "created_at")
    list_filter = ("market", "found_by")
    list_select_related = ("paper", "market", "found_by")
    search_fields = ("paper__title", "paper__arxiv_id", "paper__abstract")
    ordering = ("-relevance_score", "-created_at")
    readonly_fields = ("paper", "market", "source", "found_by", "relevance_score",
                       "relevance_signals", "status", *AUDIT_FIELDS)
    fields = readonly_fields
    actions = ["accept_selected", "dismiss_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=TriageQueueItem.Status.NEW)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Why")
    def explanation(self, obj) -> str:
        return (obj.relevance_signals or {}).get("explanation", "")

    @admin.action(description="Accept into review")
    def accept_selected(self, request, queryset):
        moved = accept_candidacies(
            candidacy_ids=queryset.values_list("pk", flat=True), user=request.user
        )
        self.message_user(request, f"Accepted {moved} candidac{'y' if moved == 1 else 'ies'}.")

    @admin.action(description="Dismiss with a reason…")
    def dismiss_selected(self, request, queryset):
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                moved = dismiss_candidacies(
                    candidacy_ids=queryset.values_list("pk", flat=True),
                    user=request.user, reason=form.cleaned_data["reason"],
                )
            except TriageError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return None
            noun = "candidacy" if moved == 1 else "candidacies"
            self.message_user(request, f"Dismissed {moved} {noun}.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Dismiss candidacies",
            "opts": self.model._meta,
            "queryset": queryset.select_related("paper", "market"),
            "form": form,
        }
        return TemplateResponse(request, "admin/tracker/triage_dismiss.html", context)
