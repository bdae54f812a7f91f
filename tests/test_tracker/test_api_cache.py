"""API answers cached inside DRF (tracker/api_cache.py, issue 27): DRF's throttles and
permissions run on every request, hit, 304 or not; an answer's ETag holds until a write to
a table it read, and a write to another table leaves it as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import include, path
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluations.forecasts.models import Forecaster
from tests.test_tracker.test_page_cache import throttle_rates
from tracker import api_cache, page_store
from tracker.models import Market

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"
MARKET = f"/api/markets/{SLUG}/"


def cached(response) -> str | None:
    return response.headers.get(page_store.HIT_HEADER)


@api_cache.cached
class StaffOnly(APIView):
    """An endpoint for staff only: what a cache must never hand to anyone else."""

    permission_classes = [IsAdminUser]

    def get(self, request: Request) -> Response:
        return Response({"markets": list(Market.objects.values_list("slug", flat=True))})


urlpatterns = [
    path("staff-only/", StaffOnly.as_view()),
    path("", include("tracker.urls")),
]


def test_an_etag_is_answered_304_until_a_table_the_answer_read_is_written(client, seed_market):
    first = client.get(MARKET)
    assert first.status_code == 200 and cached(first) == "miss"
    tag = first["ETag"]
    held = client.get(MARKET, HTTP_IF_NONE_MATCH=tag)
    assert held.status_code == 304 and held.content == b"" and held["ETag"] == tag
    hit = client.get(MARKET)
    assert cached(hit) == "hit" and hit["ETag"] == tag and hit.json() == first.json()
    Market.objects.filter(slug=SLUG).update(title="Renamed market")
    after = client.get(MARKET, HTTP_IF_NONE_MATCH=tag)
    assert after.status_code == 200 and after["ETag"] != tag
    assert after.json()["title"] == "Renamed market"
    assert client.get(MARKET, HTTP_IF_NONE_MATCH=after["ETag"]).status_code == 304


def test_a_write_to_a_table_the_answer_did_not_read_keeps_its_etag(client, seed_market):
    tag = client.get(MARKET)["ETag"]
    client.get(MARKET)  # the URL's tables are remembered from its first render
    assert "forecasts_forecaster" not in page_store.read(api_cache_reads_key(client))
    Forecaster.objects.create(slug="new-forecaster", name="New forecaster")
    held = client.get(MARKET, HTTP_IF_NONE_MATCH=tag)
    assert held.status_code == 304


def api_cache_reads_key(client) -> str:
    """The reads entry of MARKET for an anonymous client (as api_cache names it)."""
    from rest_framework.test import APIRequestFactory

    request = Request(APIRequestFactory().get(MARKET))
    return api_cache.reads_key(request)


def test_a_throttled_client_gets_429_from_a_cached_endpoint(client, seed_market, settings):
    """Each answer counts, the 304 and the hit too, and the refusal is DRF's own."""
    with throttle_rates(settings, anon="3/min", user="100/min"):
        first = client.get(MARKET)
        answers = [first, client.get(MARKET, HTTP_IF_NONE_MATCH=first["ETag"]),
                   client.get(MARKET), client.get(MARKET, HTTP_IF_NONE_MATCH=first["ETag"])]
    assert [a.status_code for a in answers] == [200, 304, 200, 429]
    assert cached(answers[2]) == "hit"
    refused = answers[3]
    assert int(refused["Retry-After"]) > 0 and "Request was throttled" in refused.json()["detail"]


@pytest.mark.urls(__name__)
def test_a_permission_restricted_answer_is_never_served_to_someone_without_it(
        client, seed_market):
    staff = User.objects.create_user("staff", password="pw-long-enough-1", is_staff=True)
    reader = User.objects.create_user("reader", password="pw-long-enough-1")
    client.force_login(staff)
    assert cached(client.get("/staff-only/")) == "miss"
    kept = client.get("/staff-only/")
    assert kept.status_code == 200 and cached(kept) == "hit"
    tag = kept["ETag"]
    client.logout()
    for who in (None, reader):
        if who is not None:
            client.force_login(who)
        for extra in ({}, {"HTTP_IF_NONE_MATCH": tag}):
            refused = client.get("/staff-only/", **extra)
            assert refused.status_code in (401, 403) and cached(refused) is None
            assert "markets" not in refused.json()


def test_a_signed_in_viewers_answer_is_their_own(client, seed_market):
    """The leaderboard shows an adjudicator more than a reader: an answer is kept per
    viewer, and one viewer's ETag is not another's."""
    url = f"/api/markets/{SLUG}/leaderboard/"
    first = User.objects.create_user("first", password="pw-long-enough-1")
    second = User.objects.create_user("second", password="pw-long-enough-1")
    client.force_login(first)
    assert cached(client.get(url)) == "miss"
    mine = client.get(url)
    assert cached(mine) == "hit"
    client.force_login(second)
    theirs = client.get(url, HTTP_IF_NONE_MATCH=mine["ETag"])
    assert theirs.status_code == 200 and cached(theirs) == "miss"
    assert theirs["ETag"] != mine["ETag"]
    client.logout()
    anonymous = client.get(url, HTTP_IF_NONE_MATCH=mine["ETag"])
    assert anonymous.status_code == 200 and cached(anonymous) == "miss"


def test_the_page_cache_never_keeps_a_drf_answer(client, seed_market):
    """The middleware would answer before DRF's throttles: API answers are DRF's to keep."""
    from tracker import page_cache

    client.get(MARKET)
    client.get(MARKET)
    request = client.get(MARKET).wsgi_request
    assert page_cache.known_reads(request) is None  # the middleware keeps nothing for it


def test_without_the_cache_the_view_just_answers(client, seed_market, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        response = client.get(MARKET)
        assert response.status_code == 200 and cached(response) is None
        assert "ETag" not in response
