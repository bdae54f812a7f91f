"""Read-only public JSON API; the schema is at /api/schema/."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluations.serializers import MarketDetailSerializer
from replication.serializers import PaperDetailSerializer
from tracker import api_cache, queries, serializers
from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id
from tracker.models import Market
from tracker.pagination import ApiPagination
from tracker.views import looks_like_arxiv_id, paper_page


@api_cache.cached
class Schema(SpectacularAPIView):
    """The OpenAPI schema, kept as the other answers are (it changes with the code)."""


@api_cache.cached
class ApiRoot(APIView):
    """What the API offers: each list's address, and the form of the detail addresses."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   description="The API's endpoints: lists by name, detail URL templates, "
                   "the OpenAPI schema and its rendered documentation.")
    def get(self, request: Request) -> Response:
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response({
            "markets": url("api-markets"),
            "forecasters": url("forecasts:api-forecasters"),
            "replications": url("replication:api-runs"),
            "details": {
                "market": url("api-markets") + "{slug}/",
                "market_leaderboard": url("api-markets") + "{slug}/leaderboard/",
                "paper": request.build_absolute_uri("/api/papers/") + "{arxiv_id_or_slug}/",
                "forecaster": url("forecasts:api-forecasters") + "{slug}/",
                "prediction_set": request.build_absolute_uri("/api/prediction-sets/")
                + "{slug}/",
                "replication": url("replication:api-runs") + "{id}/",
            },
            "schema": url("api-schema"),
            "docs": url("api-docs"),
        })


@api_cache.cached
class MarketList(generics.ListAPIView):
    serializer_class = serializers.MarketSummarySerializer
    queryset = queries.markets()


@api_cache.cached
class MarketDetail(generics.RetrieveAPIView):
    serializer_class = MarketDetailSerializer
    queryset = Market.objects.prefetch_related("criteria")
    lookup_field = "slug"

    @extend_schema(description="A market with its criteria, resolution and one page of its "
                   "candidacies: `candidacies_count` in all, `next` and `previous` link the "
                   "other pages (`?page=N`, `?page_size=` up to 200).")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        market = self.get_object()
        paginator = ApiPagination()
        page = paginator.paginate_queryset(queries.market_candidacies(market), request, view=self)
        context = {**self.get_serializer_context(), "candidacies": page}
        data = self.get_serializer_class()(market, context=context).data
        data["candidacies_count"] = paginator.total()
        data["next"] = paginator.get_next_link()
        data["previous"] = paginator.get_previous_link()
        return Response(data)


@api_cache.cached
class PaperDetail(generics.RetrieveAPIView):
    serializer_class = PaperDetailSerializer

    @extend_schema(description="A paper by arXiv id (any version) or by slug.")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self):
        public_id = self.kwargs["public_id"]
        if looks_like_arxiv_id(public_id):
            try:
                parse_arxiv_id(public_id)
            except InvalidArxivId as exc:
                raise ValidationError({"id": str(exc)}) from None
        try:
            return paper_page(public_id)
        except Http404 as exc:
            raise NotFound(str(exc)) from None
