"""Dates at the ends of what a date can hold, and data a chart cannot draw (F5): an
imported prediction dated 0001-01-01 made /forecasters/<slug>/ answer 500 (a month tick
before year 1). The chart now draws them, and a chart that still cannot draw its data
says so in its place while the rest of the page is shown."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from evaluations.forecasts.models import Prediction
from tests.test_forecasts.helpers import forecaster_with
from tracker import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("days", [
    [dt.date.min], [dt.date.max], [dt.date.min, dt.date.max],
    [dt.date.min, dt.date(2025, 1, 1)], [dt.date(2025, 1, 1), dt.date.max],
])
def test_the_first_and_last_days_a_date_can_hold_are_drawn(days):
    svg = charts.time_series_svg(
        chart_id="c", title="t", description="d",
        series=[charts.Series("s", [charts.Point(day, 0.5) for day in days])])

    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}circle"))) == len(days)
    assert "could not be drawn" not in svg


def test_a_chart_that_cannot_draw_its_data_says_so_and_the_page_stays(
        client, db, monkeypatch, caplog):
    forecaster_with("fiona", [(0.8, "yes"), (0.3, "no")])

    def undrawable(low, high, most=6):
        raise ValueError("year -399 is out of range")

    monkeypatch.setattr(charts, "_month_ticks", undrawable)
    page = client.get("/forecasters/fiona/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "This chart could not be drawn from its data (ValueError)." in html
    assert "fiona statement 1" in html  # the predictions table is there
    assert "Chart 'over-time' could not be drawn" in caplog.text


def test_a_forecaster_page_with_a_prediction_dated_year_one_is_shown(client, db):
    """Written past the import's checks (the admin, a bulk load): the page is still shown."""
    forecaster = forecaster_with("fiona", [(0.8, "yes")])
    Prediction.objects.filter(prediction_set__forecaster=forecaster).update(
        made_on=dt.date(1, 1, 1))
    from evaluations.forecasts.services import do_rescore_all

    do_rescore_all()
    page = client.get("/forecasters/fiona/")

    assert page.status_code == 200
    assert "could not be drawn" not in page.content.decode()
