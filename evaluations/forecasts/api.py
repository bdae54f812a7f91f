"""Read-only JSON API of forecasts: the leaderboard figures per forecaster, and sets."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluations.forecasts import queries
from evaluations.forecasts.models import Forecaster, PredictionSet
from tracker import api_cache
from tracker.pagination import ApiPagination


class ForecasterScoresSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Forecaster.Kind.choices)
    url = serializers.CharField(allow_blank=True)
    n_predictions = serializers.IntegerField()
    n_resolved = serializers.IntegerField(help_text="Resolved yes/no; annulled and ambiguous "
                                          "predictions are left out.")
    brier = serializers.FloatField(allow_null=True, help_text="Mean Brier score, 0-1 scale, "
                                   "lower is better; 0.25 = always saying 50%.")
    log_score = serializers.FloatField(
        allow_null=True,
        help_text="Mean natural-log score (p clamped to [0.001, 0.999]); higher is better.",
    )
    points = serializers.FloatField(allow_null=True, help_text="Sum of Casper points (1 - p if "
                                    "it happened, -p if not); not a proper scoring rule.")
    shrunk_brier = serializers.FloatField(allow_null=True, help_text="Mean Brier with pseudo-"
                                          "forecasts scoring 0.25 added; the leaderboard's order.")
    brier_skill_vs_uniform = serializers.FloatField(allow_null=True)
    brier_skill_vs_crowd = serializers.FloatField(allow_null=True)
    n_shared_with_crowd = serializers.IntegerField()


class PredictionSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    statement = serializers.CharField()
    probability = serializers.FloatField()
    made_on = serializers.DateField()
    resolves_by = serializers.DateField(allow_null=True)
    market = serializers.CharField(source="market.slug", read_only=True, allow_null=True)
    outcome = serializers.CharField()
    outcome_evidence = serializers.CharField()
    outcome_date = serializers.DateField(allow_null=True)
    outcome_inferred = serializers.BooleanField()
    brier = serializers.SerializerMethodField()
    log_score = serializers.SerializerMethodField()
    points = serializers.SerializerMethodField()

    def _score(self, prediction, name: str) -> float | None:
        score = getattr(prediction, "score", None)
        return None if score is None else round(getattr(score, name), 6)

    def get_brier(self, prediction) -> float | None:
        return self._score(prediction, "brier")

    def get_log_score(self, prediction) -> float | None:
        return self._score(prediction, "log_score")

    def get_points(self, prediction) -> float | None:
        return self._score(prediction, "points")


class PredictionSetSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    forecaster = serializers.CharField(source="forecaster.slug", read_only=True)
    title = serializers.CharField()
    published_on = serializers.DateField()
    source_url = serializers.CharField(allow_blank=True)
    about = serializers.CharField(allow_blank=True)
    reported_points = serializers.FloatField(allow_null=True)
    n_resolved = serializers.IntegerField()
    brier = serializers.FloatField(allow_null=True)
    log_score = serializers.FloatField(allow_null=True)
    points = serializers.FloatField(allow_null=True)
    predictions_count = serializers.IntegerField(help_text="Predictions in the set.")
    next = serializers.URLField(allow_null=True, help_text="The next page of predictions.")
    previous = serializers.URLField(allow_null=True)
    predictions = PredictionSerializer(many=True, help_text="One page of the predictions.")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


@api_cache.cached
class ForecasterList(generics.ListAPIView):
    serializer_class = ForecasterScoresSerializer

    @extend_schema(
        description="Forecasters with the scores of their resolved predictions, in "
        "leaderboard order (shrunk Brier score), a page at a time (`next` links the "
        "following page). The same rows as `score_predictions --format json`.",
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return queries.forecaster_rows()

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            [queries.summary_dict(row) for row in queries.rows_of(page)]
        )


@api_cache.cached
class ForecasterDetail(APIView):
    @extend_schema(responses=ForecasterScoresSerializer)
    def get(self, request: Request, slug: str) -> Response:
        forecaster = get_object_or_404(Forecaster.objects.select_related("stats"), slug=slug)
        return Response(queries.summary_dict(queries.forecaster_row(forecaster)))


@api_cache.cached
class PredictionSetDetail(APIView):
    @extend_schema(
        responses=PredictionSetSerializer,
        description="A prediction set with its figures and one page of its predictions "
        "(`predictions_count`, `next` and `previous` as in the list endpoints).",
    )
    def get(self, request: Request, slug: str) -> Response:
        prediction_set = get_object_or_404(PredictionSet.objects.select_related("forecaster"),
                                           slug=slug)
        summary = queries.set_summary(prediction_set)
        paginator = ApiPagination()
        predictions = paginator.paginate_queryset(
            queries.predictions_with_scores(prediction_set=prediction_set), request, view=self)
        data = {
            "slug": prediction_set.slug,
            "forecaster": prediction_set.forecaster,
            "title": prediction_set.title,
            "published_on": prediction_set.published_on,
            "source_url": prediction_set.source_url,
            "about": prediction_set.about,
            "reported_points": prediction_set.reported_points,
            "n_resolved": summary.n_resolved,
            "brier": _round(summary.brier),
            "log_score": _round(summary.log_score),
            "points": _round(summary.points),
            "predictions_count": paginator.total(),
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "predictions": predictions,
        }
        return Response(PredictionSetSerializer(data).data)
