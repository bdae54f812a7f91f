"""Read-only public JSON API; the schema is at /api/schema/."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import queries, serializers
from tracker.arxiv_ids import InvalidArxivId, parse_arxiv_id
from tracker.models import Market
from tracker.views import looks_like_arxiv_id


class MarketList(generics.ListAPIView):
    serializer_class = serializers.MarketSummarySerializer
    queryset = queries.markets()


class MarketDetail(generics.RetrieveAPIView):
    serializer_class = serializers.MarketDetailSerializer
    queryset = Market.objects.prefetch_related("criteria")
    lookup_field = "slug"

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        market = self.get_object()
        context = {**self.get_serializer_context(),
                   "candidacies": queries.market_candidacies(market)}
        return Response(self.get_serializer_class()(market, context=context).data)


class PaperDetail(generics.RetrieveAPIView):
    serializer_class = serializers.PaperDetailSerializer

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
            return queries.get_paper(public_id)
        except Http404 as exc:
            raise NotFound(str(exc)) from None
