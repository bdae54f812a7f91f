"""Public pages and API of adjudication: the candidates leaderboard of a market."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluations import services
from evaluations.leaderboard import leaderboard
from evaluations.serializers import LeaderboardRowSerializer
from tracker.models import Market
from tracker.views import site_404


@site_404
def market_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    from tracker.models import Criterion
    from tracker.reader import latest_replications

    market = get_object_or_404(Market, slug=slug)
    rows = leaderboard(market=market, viewer=request.user)
    hidden = [row.candidacy.pk for row in rows if row.hidden]
    replications = latest_replications(r.candidacy.pk for r in rows)
    for row in rows:
        row.replication_detail = replications.get(row.candidacy.pk)
    return render(request, "evaluations/leaderboard.html", {
        "market": market,
        "rows": rows,
        "agreement": services.measure_agreement(market=market, exclude=hidden),
        "resolution": services.current_resolution(market),
        "must_pass_total": market.criteria.filter(kind=Criterion.Kind.MUST_PASS).count(),
    })


class MarketLeaderboardAPI(APIView):
    @extend_schema(
        responses=LeaderboardRowSerializer(many=True),
        description="Candidates of a market, best first: verdict, must-pass criteria met and "
        "not met, agreement, and the latest replication run (verdict or state; null when none).",
    )
    def get(self, request: Request, slug: str) -> Response:
        market = get_object_or_404(Market, slug=slug)
        rows = leaderboard(market=market, viewer=request.user)
        return Response(LeaderboardRowSerializer(rows, many=True).data)
