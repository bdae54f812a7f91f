"""The operators' console for forecasts: edit forecasters, sets and outcomes; re-score.

Scores are derived data: read-only here, rebuilt by the re-scoring service (a prediction
saved here, on its page or in its set's inline, goes through ``services.save_predictions``,
which queues a re-score after commit when its outcome or probability changed; the actions
re-score at once).

A prediction with an outcome or a score holds a judgement: the forecasters' records and
the leaderboard are computed from it, so deleting it (or its set) is refused with a
message and bulk delete is not offered. Annul it instead: it stays, unscored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from evaluations.forecasts.models import (
    Forecaster,
    ManifoldMarket,
    Prediction,
    PredictionSet,
    Score,
)
from evaluations.forecasts.services import do_rescore, do_rescore_all, save_predictions
from tracker.admin_mixins import ReadOnlyAdminMixin

AUDIT_FIELDS = ("created_at", "updated_at")
KEPT = ("{what} (an outcome or a score) and is kept: the forecasters' records and the "
        "leaderboard are computed from it. To leave a prediction out of the scores, set its "
        "outcome to annulled or ambiguous.")


def holding_judgement(predictions: QuerySet[Prediction]) -> QuerySet[Prediction]:
    """Those of `predictions` with a recorded outcome or a score."""
    return predictions.filter(~Q(outcome=Prediction.Outcome.PENDING) | Q(score__isnull=False))


if TYPE_CHECKING:  # the mixin's super() is the ModelAdmin it is mixed into
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class KeepJudgementsMixin(_ModelAdminBase):
    """No bulk delete; deleting an object that holds a judgement is refused with a message
    (not a bare 403) and a way back to its page."""

    kept = "It holds a judgement"

    def holds_judgement(self, obj) -> bool:
        raise NotImplementedError

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and self.holds_judgement(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context=None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.holds_judgement(obj) and super().has_delete_permission(
                request, obj):
            self.message_user(request, KEPT.format(what=self.kept), messages.ERROR)
            meta = self.model._meta
            return redirect(f"admin:{meta.app_label}_{meta.model_name}_change", obj.pk)
        return super().delete_view(request, object_id, extra_context)


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
    can_delete = False  # on the prediction's own page, where a judgement is kept


@admin.register(PredictionSet)
class PredictionSetAdmin(KeepJudgementsMixin, admin.ModelAdmin):
    list_display = ("title", "forecaster", "published_on", "reported_points")
    list_filter = ("forecaster",)
    search_fields = ("title", "slug", "about")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("forecaster",)
    raw_id_fields = ("about_paper", "about_market")
    readonly_fields = AUDIT_FIELDS
    inlines = [PredictionInline]
    actions = ["rescore_sets"]
    kept = "This set holds predictions with a judgement"

    def holds_judgement(self, obj: PredictionSet) -> bool:
        return holding_judgement(obj.predictions.all()).exists()

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Prediction:
            return super().save_formset(request, form, formset, change)
        # The inline cannot delete (can_delete = False); its saves are the service's.
        save_predictions(predictions=formset.save(commit=False))
        formset.save_m2m()

    @admin.action(description="Re-score the predictions of the selected sets")
    def rescore_sets(self, request, queryset) -> None:
        result = do_rescore(Prediction.objects.filter(prediction_set__in=queryset))
        self.message_user(request, f"Re-scored {result.predictions} predictions "
                                   f"({result.scored} resolved).", messages.SUCCESS)


@admin.register(Prediction)
class PredictionAdmin(KeepJudgementsMixin, admin.ModelAdmin):
    list_display = ("statement", "prediction_set", "probability", "outcome", "outcome_inferred")
    list_filter = ("outcome", "outcome_inferred", "prediction_set__forecaster")
    search_fields = ("statement", "outcome_evidence")
    raw_id_fields = ("prediction_set", "market", "candidacy")
    readonly_fields = AUDIT_FIELDS
    actions = ["rescore_selected", "rescore_everything"]
    kept = "This prediction holds a judgement"

    def holds_judgement(self, obj: Prediction) -> bool:
        return holding_judgement(Prediction.objects.filter(pk=obj.pk)).exists()

    def save_model(self, request: HttpRequest, obj: Prediction, form: Any, change: bool) -> None:
        save_predictions(predictions=[obj])

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
