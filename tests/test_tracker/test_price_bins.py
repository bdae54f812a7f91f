"""The stored price series (issue 27, tracker/price_bins.py): after every kind of write to the
quotes, the trades or what decides whether they count, the stored bins equal the bins
computed here, in Python, from the rows themselves."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import price_series

SLUG = "sae-downstream-beat-baselines"
pytestmark = pytest.mark.django_db


def _starts(day: dt.date) -> dict[str, dt.date]:
    return {"day": day, "week": day - dt.timedelta(days=day.weekday()),
            "month": day.replace(day=1), "all": dt.date(1, 1, 1)}


def computed() -> dict[tuple, tuple]:
    """Every market's bins from the quotes and trades, as the chart counts them."""
    from evaluations.forecasts.models import Prediction, ProbabilityPoint

    values = defaultdict(list)
    for market_id, day, value in Prediction.objects.filter(
            market__isnull=False, prediction_set__forecaster__kind="crowd").values_list(
            "market_id", "made_on", "probability"):
        values[(market_id, "quote")].append((day, value))
    for market_id, at, value in ProbabilityPoint.objects.filter(
            manifold_market__market__isnull=False).values_list(
            "manifold_market__market_id", "at", "probability"):
        values[(market_id, "trade")].append((at.astimezone(dt.UTC).date(), value))
    bins = defaultdict(list)
    for (market_id, series), rows in values.items():
        for day, value in rows:
            for unit, start in _starts(day).items():
                bins[(market_id, series, unit, start)].append((day, value))
    return {key: (len(rows), sum(v for _, v in rows), min(v for _, v in rows),
                  max(v for _, v in rows), min(d for d, _ in rows), max(d for d, _ in rows))
            for key, rows in bins.items()}


def stored() -> dict[tuple, tuple]:
    from tracker.models import PriceBin

    return {(b.market_id, b.series, b.unit, b.start):
            (b.count, b.total, b.low, b.high, b.first_on, b.last_on)
            for b in PriceBin.objects.all()}


def assert_in_step() -> None:
    want, have = computed(), stored()
    assert sorted(have) == sorted(want)
    for key, (count, total, low, high, first, last) in want.items():
        got = have[key]
        assert (got[0], got[2], got[3], got[4], got[5]) == (count, low, high, first, last), key
        assert math.isclose(got[1], total, rel_tol=1e-9, abs_tol=1e-9), key


@pytest.fixture
def market(seed_market):
    return seed_market


@pytest.fixture
def crowd_set():
    from evaluations.forecasts.models import Forecaster, PredictionSet

    crowd = Forecaster.objects.create(slug="bins-crowd", name="Crowd feed", kind="crowd")
    return PredictionSet.objects.create(slug="bins-feed", forecaster=crowd, title="Feed",
                                        published_on=dt.date(2024, 1, 1))


@pytest.fixture
def person_set():
    from evaluations.forecasts.models import Forecaster, PredictionSet

    person = Forecaster.objects.create(slug="bins-person", name="A person", kind="person")
    return PredictionSet.objects.create(slug="bins-person-set", forecaster=person,
                                        title="Guesses", published_on=dt.date(2024, 1, 1))


_numbers = itertools.count(1)


def _quote(prediction_set, market, day, p):
    from evaluations.forecasts.models import Prediction

    number = next(_numbers)  # position and statement are unique in a set
    return Prediction(prediction_set=prediction_set, position=number,
                      statement=f"Quote {number}",
                      probability=p, market=market, outcome="pending", made_on=day)


def _many(prediction_set, market, n, days=400, start=dt.date(2023, 12, 30)):
    return [_quote(prediction_set, market, start + dt.timedelta(days=i * days // n),
                   (i * 37 % 101) / 100) for i in range(n)]


def test_the_migration_filled_the_seed_and_the_command_agrees(market):
    assert_in_step()
    call_command("rebuild_price_series", "--check")


def test_created_one_by_one_and_in_bulk(market, crowd_set, person_set):
    from evaluations.forecasts.models import Prediction

    _quote(crowd_set, market, dt.date(2024, 2, 29), 0.4).save()
    Prediction.objects.bulk_create(_many(crowd_set, market, 500))
    Prediction.objects.bulk_create(_many(person_set, market, 50))  # not the crowd's
    Prediction.objects.bulk_create(_many(crowd_set, None, 20))  # no market
    assert_in_step()
    from tracker.models import PriceBin

    everything = PriceBin.objects.get(market=market, series="quote", unit="all")
    assert everything.count == Prediction.objects.filter(
        market=market, prediction_set__forecaster__kind="crowd").count()


def test_updated_one_by_one_and_in_bulk(market, crowd_set):
    from evaluations.forecasts.models import Prediction
    from tracker.models import Market

    Prediction.objects.bulk_create(_many(crowd_set, market, 300))
    other = Market.objects.create(slug="other-market", title="Another market")
    quote = Prediction.objects.filter(prediction_set=crowd_set).order_by("pk").first()
    quote.probability = 0.99  # a new highest value in its bins
    quote.save()
    assert_in_step()
    quote.probability, quote.made_on = 0.01, dt.date(2025, 6, 1)  # moved to another day
    quote.save()
    assert_in_step()
    Prediction.objects.filter(pk__in=Prediction.objects.filter(prediction_set=crowd_set)
                              .order_by("pk").values("pk")[:100]).update(market=other)
    assert_in_step()
    Prediction.objects.filter(prediction_set=crowd_set).update(probability=0.5)
    assert_in_step()
    Prediction.objects.filter(prediction_set=crowd_set).update(outcome="yes")  # moves nothing
    assert_in_step()


def test_deleted_one_by_one_in_bulk_and_with_their_set(market, crowd_set):
    from evaluations.forecasts.models import Prediction

    Prediction.objects.bulk_create(_many(crowd_set, market, 300))
    highest = Prediction.objects.filter(prediction_set=crowd_set).order_by("-probability").first()
    highest.delete()  # its bins' highest value must come down
    assert_in_step()
    Prediction.objects.filter(prediction_set=crowd_set, made_on__gt=dt.date(2024, 8, 1)).delete()
    assert_in_step()
    crowd_set.delete()
    assert_in_step()


def test_what_decides_whether_a_quote_counts(market, crowd_set, person_set):
    from evaluations.forecasts.models import Forecaster, Prediction

    Prediction.objects.bulk_create(_many(person_set, market, 100))
    Prediction.objects.bulk_create(_many(crowd_set, market, 100))
    person_set.forecaster = crowd_set.forecaster  # the set moves to the crowd
    person_set.save()
    assert_in_step()
    Forecaster.objects.filter(pk=crowd_set.forecaster_id).update(kind="person")
    assert_in_step()
    from tracker.models import Market, PriceBin

    Forecaster.objects.filter(pk=crowd_set.forecaster_id).update(kind="crowd")
    assert_in_step()
    fresh = Market.objects.create(slug="fresh-market", title="A market with quotes only")
    Prediction.objects.filter(prediction_set=person_set).update(market=fresh)
    assert PriceBin.objects.filter(market=fresh).exists()
    fresh.delete()  # its quotes kept with no market, its bins gone with it
    assert_in_step()


def test_manifold_trades(market):
    from evaluations.forecasts.models import ManifoldMarket, ProbabilityPoint
    from tracker.models import Market

    at = dt.datetime(2024, 3, 3, 23, 30, tzinfo=dt.UTC)
    linked = ManifoldMarket.objects.create(manifold_id="bins-m", question="Q?", market=market,
                                           fetched_at=at)
    ProbabilityPoint.objects.bulk_create([
        ProbabilityPoint(manifold_market=linked, bet_id=f"b{i}", probability=(i % 97) / 100,
                         at=at + dt.timedelta(hours=7 * i)) for i in range(600)])
    assert_in_step()
    ProbabilityPoint.objects.filter(manifold_market=linked, bet_id="b3").update(probability=1.0)
    ProbabilityPoint.objects.filter(manifold_market=linked, bet_id__startswith="b5").delete()
    assert_in_step()
    other = Market.objects.create(slug="other-market", title="Another market")
    linked.market = other
    linked.save()
    assert_in_step()
    linked.market = None
    linked.save()
    assert_in_step()
    linked.market = market
    linked.save()
    linked.delete()
    assert_in_step()


def test_the_chart_reads_the_stored_bins_not_the_quotes(client, market, crowd_set):
    """The chart draws the same bins as the quotes grouped on the fly (price_series.history,
    what the page read before the series was stored), and the page's SQL reads no quote
    but the timeline's latest few."""
    from evaluations.forecasts.models import Prediction

    Prediction.objects.bulk_create(_many(crowd_set, market, 3000, days=700))
    live = price_series.history(
        Prediction.objects.filter(market=market, prediction_set__forecaster__kind="crowd"),
        "made_on", "probability")
    kept = price_series.stored(market)["quote"]
    assert (kept.count, kept.first, kept.last) == (live.count, live.first, live.last)
    assert [(b.start, b.unit, b.count, b.low, b.high) for b in kept.bins] == [
        (b.start, b.unit, b.count, b.low, b.high) for b in live.bins]
    assert all(math.isclose(a.mean, b.mean) for a, b in zip(kept.bins, live.bins, strict=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/markets/{SLUG}/")
    assert response.status_code == 200
    chart = response.context["probability"]
    assert chart.snapshots == live.count and "quotes by week" in chart.caption
    reading_quotes = [q["sql"] for q in queries.captured_queries
                      if "forecasts_prediction" in q["sql"]]
    assert all("LIMIT" in sql for sql in reading_quotes), reading_quotes


def test_the_market_pages_queries_do_not_grow_with_its_quotes(client, market, crowd_set):
    """Flat in N: the page's query count is the same with 30 more quotes (drawn one by one)
    and with 3,000 more (drawn as bins), and no query reads the quotes but with a LIMIT."""
    from evaluations.forecasts.models import Prediction

    def render():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/markets/{SLUG}/").status_code == 200
        return queries

    Prediction.objects.bulk_create(_many(crowd_set, market, 30, days=60))
    few = render()
    Prediction.objects.bulk_create(_many(crowd_set, market, 3000, days=900))
    many = render()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert all("LIMIT" in q["sql"] for q in many.captured_queries
               if "forecasts_prediction" in q["sql"])
