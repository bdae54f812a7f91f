"""Public pages and API of adjudication: the candidates leaderboard of a market."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from evaluations import services
from evaluations.aggregates import market_agreement
from evaluations.leaderboard import Row, ranked, rows_for, sight
from evaluations.serializers import LeaderboardRowSerializer
from tracker import api_cache
from tracker.models import Market
from tracker.pagination import page_of
from tracker.views import site_404


@dataclass
class PageRow(Row):
    """A row of the HTML leaderboard, with its latest succeeded replication for the link."""

    replication_detail: dict[str, Any] | None = None


@site_404
def market_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    from tracker.models import Criterion
    from tracker.reader import latest_replications

    market = get_object_or_404(Market, slug=slug)
    seen = sight(viewer=request.user, market=market)  # read once for the whole page
    page = page_of(request, ranked(market=market, viewer=request.user, seen=seen))
    found = rows_for(page.object_list, market=market, viewer=request.user, seen=seen)
    replications = latest_replications(r.candidacy.pk for r in found)
    rows = [PageRow(**vars(row), replication_detail=replications.get(row.candidacy.pk))
            for row in found]
    return render(request, "evaluations/leaderboard.html", {
        "market": market,
        "page": page,
        "rows": rows,
        "agreement": market_agreement(market, request.user, seen),
        "resolution": services.current_resolution(market),
        "must_pass_total": market.criteria.filter(kind=Criterion.Kind.MUST_PASS).count(),
    })


@api_cache.cached
class MarketLeaderboardAPI(generics.GenericAPIView):
    serializer_class = LeaderboardRowSerializer

    @extend_schema(
        responses=LeaderboardRowSerializer(many=True),
        description="Candidates of a market, best first, a page at a time (`next` links the "
        "following page): verdict, must-pass criteria met and not met, agreement, and the "
        "latest replication run (verdict or state; null when none).",
    )
    def get(self, request: Request, slug: str) -> Response:
        market = get_object_or_404(Market, slug=slug)
        seen = sight(viewer=request.user, market=market)
        page = self.paginate_queryset(ranked(market=market, viewer=request.user, seen=seen))
        assert page is not None  # settings.REST_FRAMEWORK sets a pagination class and size
        rows = rows_for(page, market=market, viewer=request.user, seen=seen)
        return self.get_paginated_response(LeaderboardRowSerializer(rows, many=True).data)
