"""The operators' console for forecasts: edit forecasters, sets and outcomes; re-score.

Scores are derived data: read-only here, rebuilt by the re-scoring service (saving a changed
outcome or probability queues a re-score after commit; the actions re-score at once).
"""

from __future__ import annotations

from django.contrib import admin, messages

from evaluations.forecasts.models import (
    Forecaster,
    ManifoldMarket,
    Prediction,
    PredictionSet,
    Score,
)
from evaluations.forecasts.services import do_rescore, do_rescore_all
from tracker.admin_mixins import ReadOnlyAdminMixin

AUDIT_FIELDS = ("created_at", "updated_at")


@admin.register(Forecaster)
class ForecasterAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "handle")
    list_filter = ("kind",)
    search_fields = ("name", "slug", "handle")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = AUDIT_FIELDS


class PredictionInline(admin.TabularInline):
    model = Prediction
    fields = ("position", "statement", "probability", "made_on", "outcome", "outcome_inferred")
    extra = 0
    show_change_link = True


@admin.register(PredictionSet)
class PredictionSetAdmin(admin.ModelAdmin):
    list_display = ("title", "forecaster", "published_on", "reported_points")
    list_filter = ("forecaster",)
    search_fields = ("title", "slug", "about")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("forecaster",)
    raw_id_fields = ("about_paper", "about_market")
    readonly_fields = AUDIT_FIELDS
    inlines = [PredictionInline]
    actions = ["rescore_sets"]

    @admin.action(description="Re-score the predictions of the selected sets")
    def rescore_sets(self, request, queryset) -> None:
        result = do_rescore(Prediction.objects.filter(prediction_set__in=queryset))
        self.message_user(request, f"Re-scored {result.predictions} predictions "
                                   f"({result.scored} resolved).", messages.SUCCESS)


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ("statement", "prediction_set", "probability", "outcome", "outcome_inferred")
    list_filter = ("outcome", "outcome_inferred", "prediction_set__forecaster")
    search_fields = ("statement", "outcome_evidence")
    raw_id_fields = ("prediction_set", "market", "candidacy")
    readonly_fields = AUDIT_FIELDS
    actions = ["rescore_selected", "rescore_everything"]

    @admin.action(description="Re-score the selected predictions")
    def rescore_selected(self, request, queryset) -> None:
        result = do_rescore(queryset)
        self.message_user(request, f"Re-scored {result.predictions} predictions.",
                          messages.SUCCESS)

    @admin.action(description="Re-score every prediction")
    def rescore_everything(self, request, queryset) -> None:
        result = do_rescore_all()
        self.message_user(request, f"Re-scored all {result.predictions} predictions.",
                          messages.SUCCESS)


@admin.register(Score)
class ScoreAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("prediction", "happened", "brier", "log_score", "points", "scored_at")
    list_filter = ("happened",)


@admin.register(ManifoldMarket)
class ManifoldMarketAdmin(admin.ModelAdmin):
    list_display = ("question", "manifold_id", "market", "resolution", "fetched_at")
    search_fields = ("question", "manifold_id", "slug")
    readonly_fields = ("fetched_at", *AUDIT_FIELDS)
