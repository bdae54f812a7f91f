"""The probability chart from a bounded series (issue 27): past MAX_POINTS quotes it draws
bins of a day, week or month, each with its mean, range and count."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from tracker import price_series

SLUG = "sae-downstream-beat-baselines"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("days", "unit"), [
    (1, "day"), (240, "day"), (241, "week"), (7 * 240, "week"), (7 * 240 + 1, "month"),
    (365 * 50, "month"),
])
def test_the_unit_is_the_smallest_that_fits(days, unit):
    first = dt.date(2024, 1, 1)
    assert price_series.unit_for(first, first + dt.timedelta(days=days - 1)) == unit


@pytest.mark.parametrize(("bin_", "label"), [
    (price_series.Bin(dt.date(2024, 3, 4), "week", 3, 0.5, 0.4, 0.6),
     "50% on average: 3 published quotes in the week of 2024-03-04, from 40% to 60%"),
    (price_series.Bin(dt.date(2024, 3, 4), "day", 1, 0.25, 0.25, 0.25),
     "25%: 1 published quote on 2024-03-04"),
    (price_series.Bin(dt.date(2024, 3, 1), "month", 2, 0.7, 0.6, 0.8),
     "70% on average: 2 published quotes in March 2024, from 60% to 80%"),
])
def test_a_bins_tooltip_gives_count_mean_and_range(bin_, label):
    assert price_series.bin_label(bin_, "published quote") == label


def _quotes(market, n: int, days: int) -> None:
    from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet

    crowd = Forecaster.objects.create(slug="many-quotes", name="Crowd", kind="crowd")
    quotes = PredictionSet.objects.create(slug="many-quotes", forecaster=crowd, title="Feed",
                                          published_on=dt.date(2024, 1, 1))
    Prediction.objects.bulk_create([
        Prediction(prediction_set=quotes, position=i + 1, statement=f"Quote {i}",
                   probability=(i % 100) / 100, market=market, outcome="pending",
                   made_on=dt.date(2024, 1, 1) + dt.timedelta(days=i * days // n))
        for i in range(n)])


def test_a_market_of_thousands_of_quotes_draws_a_few_hundred_marks(client, seed_market):
    _quotes(seed_market, 3000, 600)
    response = client.get(f"/markets/{SLUG}/")
    chart = response.context["probability"]
    assert chart.snapshots == 3001  # the seed's one and ours: all counted
    circles = list(ET.fromstring(chart.svg).iter(f"{SVG}circle"))
    assert 600 // 7 <= len(circles) <= price_series.MAX_POINTS
    assert "quotes by week" in chart.caption
    tips = [c.find(f"{SVG}title").text for c in circles]
    assert sum(int(t.split(": ")[1].split(" ")[0]) for t in tips) == 3001  # every quote
    assert len(response.content) < 200_000


def test_a_few_quotes_are_drawn_one_by_one(client, seed_market):
    _quotes(seed_market, 20, 40)
    chart = client.get(f"/markets/{SLUG}/").context["probability"]
    circles = list(ET.fromstring(chart.svg).iter(f"{SVG}circle"))
    assert len(circles) == 21 and "by week" not in chart.caption
