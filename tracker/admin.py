from django.contrib import admin

from tracker.models import (
    Author,
    Authorship,
    Candidacy,
    Claim,
    Criterion,
    Market,
    Paper,
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
    readonly_fields = AUDIT_FIELDS
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
