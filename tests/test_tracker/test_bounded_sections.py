"""The market page, the home page and a forecaster's page at any size show a bounded part
of what can grow, say so and link to the rest: the evidence matrix is a page of the
candidates in leaderboard order, the timeline the latest entries with where the older ones
are, the home page's latest changes a few read with a LIMIT, and a forecaster's scores over
time one dot per date (or week), aggregated in SQL."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import reader

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"
URL = f"/markets/{SLUG}/"
SVG = "{http://www.w3.org/2000/svg}"


def test_the_matrix_shows_a_page_of_candidates_in_leaderboard_order(client, seed_market,
                                                                     monkeypatch):
    from evaluations.leaderboard import leaderboard
    from tracker.models import Candidacy

    monkeypatch.setattr(reader, "MATRIX_ROWS", 5)
    order = [r.candidacy.pk for r in leaderboard(market=seed_market, viewer=None)
             if r.candidacy.status != Candidacy.Status.DISMISSED]
    assert len(order) == 22
    seen = []
    for number in range(1, 6):
        response = client.get(f"{URL}?matrix={number}")
        matrix = response.context["matrix"]
        assert len(matrix.rows) == (5 if number < 5 else 2)
        assert matrix.total == 22 and matrix.bounded
        seen += [r.candidacy.pk for r in matrix.rows]
        page = response.content.decode()
        assert 'id="matrix-pages"' in page and "the full leaderboard" in page
        assert f'href="/markets/{SLUG}/leaderboard/"' in page
        if number < 5:
            assert f'href="?matrix={number + 1}#evidence" rel="next"' in page
    assert seen == order  # every candidate once, in the leaderboard's order
    first = client.get(URL)
    assert "7 of 22 candidates have been assessed" in first.content.decode()
    assert "(candidates 1&ndash;5 of 22)" in first.content.decode()
    assert client.get(f"{URL}?matrix=6").status_code == 404


def test_one_page_of_candidates_has_no_matrix_pages(client, seed_market, no_page_cache):
    page = client.get(URL).content.decode()
    assert not client.get(URL).context["matrix"].bounded
    assert 'id="matrix-pages"' not in page and 'id="matrix-bounded"' not in page


def test_the_timeline_shows_the_latest_entries_and_where_the_older_ones_are(
        client, seed_market, monkeypatch, no_page_cache):
    everything = reader.timeline(seed_market, None, None, limit=1000)
    assert not everything.older and len(everything) >= 3
    shorter = reader.timeline(seed_market, None, None, limit=len(everything) - 1)
    assert shorter.older
    assert [e.uid for e in shorter] == [e.uid for e in everything[1:]]  # the latest, in order

    monkeypatch.setattr(reader, "TIMELINE_LENGTH", len(everything) - 1)
    page = client.get(URL).content.decode()
    assert 'id="timeline-older"' in page
    older = page[page.index('id="timeline-older"'):]
    older = older[:older.index("</p>")]
    assert f'href="/markets/{SLUG}/leaderboard/"' in older and 'href="/replications/"' in older
    monkeypatch.setattr(reader, "TIMELINE_LENGTH", len(everything))
    assert 'id="timeline-older"' not in client.get(URL).content.decode()


def test_the_latest_changes_are_the_first_of_all_changes(seed_market):
    full = reader.candidate_changes(seed_market) + reader.verdict_changes(seed_market)
    full.sort(key=lambda c: c.sort_key, reverse=True)
    for limit in (1, 3, 5):
        assert [c.uid for c in reader.latest_changes(seed_market, None, limit)] == \
            [c.uid for c in full[:limit]]
    assert len(reader.candidate_changes(seed_market, 4)) == 4
    assert [c.uid for c in reader.verdict_changes(seed_market, None, 2)] == \
        [c.uid for c in reader.verdict_changes(seed_market)[:2]]


def test_the_home_page_queries_do_not_grow_with_candidates(client, seed_market, no_page_cache):
    from tracker.models import Candidacy, Paper

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return len(queries)

    before = count()
    for n in range(10):
        paper = Paper.objects.create(slug=f"more-{n}", title=f"More {n}")
        Candidacy.objects.create(market=seed_market, paper=paper)
    assert count() == before
    assert "New candidate: More 9" in client.get("/").content.decode()


def test_the_scores_over_time_chart_has_one_dot_per_date_from_stored_figures(
        seeded, client, monkeypatch):
    from evaluations.forecasts import views
    from evaluations.forecasts.models import Prediction
    from evaluations.forecasts.services import do_rescore_all
    from tests.test_forecasts.helpers import DAY, forecaster_with

    forecasts = [(0.9, "yes"), (0.2, "no"), (0.6, "no"), (0.7, "yes"), (0.1, "no"),
                 (0.5, "pending")]
    forecaster = forecaster_with("many-days", forecasts)
    days = [DAY, DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=9),
            DAY + dt.timedelta(days=9), DAY + dt.timedelta(days=9)]
    for prediction, day in zip(Prediction.objects.filter(prediction_set__forecaster=forecaster)
                               .order_by("position"), days, strict=True):
        Prediction.objects.filter(pk=prediction.pk).update(made_on=day)
    do_rescore_all()  # the series is stored by the re-score

    with CaptureQueriesContext(connection) as queries:
        chart = views.scores_over_time(forecaster)
    assert len(queries) == 1  # the stored row, whatever the number of predictions
    assert chart.n == 5 and chart.period == "date"
    titles = [t.text for t in ET.fromstring(chart.svg).iter(f"{SVG}title")]
    brier = {0.9: 0.01, 0.2: 0.04, 0.6: 0.36, 0.7: 0.09, 0.1: 0.01}
    first_day = (brier[0.9] + brier[0.2]) / 2
    assert any(t.startswith(f"2025-01-01: mean Brier {first_day:.3f} of 2 resolved")
               for t in titles)
    assert any(t.startswith(f"2025-01-10: mean Brier {(0.09 + 0.01) / 2:.3f} of 2 resolved")
               for t in titles)
    assert any("Mean Brier of the 5 forecasts made by 2025-01-10: "
               f"{sum(brier.values()) / 5:.3f}" in t for t in titles)
    assert "(3 dates)" in chart.caption
    page = client.get("/forecasters/many-days/").content.decode()
    assert "each dot is the mean of those made on one date" in page
    assert 'href="/forecasters/many-days/scores.csv"' in page

    monkeypatch.setattr(views, "MAX_DATES", 2)  # more dates than that: a dot per week
    weekly = views.scores_over_time(forecaster)
    assert weekly.period == "week" and "(2 weeks)" in weekly.caption
    titles = [t.text for t in ET.fromstring(weekly.svg).iter(f"{SVG}title")]
    assert any(t.startswith("the week of 2024-12-30: mean Brier") and "of 3 resolved" in t
               for t in titles)


def test_the_stored_series_equals_the_one_computed_from_scores_after_a_rescore(seeded):
    from evaluations.forecasts import queries
    from evaluations.forecasts.models import Forecaster, Prediction
    from evaluations.forecasts.services import do_rescore_predictions
    from tests.test_forecasts.helpers import DAY, forecaster_with

    forecaster = forecaster_with("stored-days", [(0.9, "yes"), (0.2, "no"), (0.6, "no"),
                                                 (0.3, "yes"), (0.5, "pending")])
    predictions = list(Prediction.objects.filter(prediction_set__forecaster=forecaster)
                       .order_by("position"))
    for offset, prediction in zip([0, 3, 3, 12, 12], predictions, strict=True):
        Prediction.objects.filter(pk=prediction.pk).update(
            made_on=DAY + dt.timedelta(days=offset))
    Prediction.objects.filter(pk=predictions[-1].pk).update(outcome="yes")
    do_rescore_predictions(prediction_ids=[p.pk for p in predictions])

    for period in ("day", "week"):
        fresh = Forecaster.objects.select_related("stats").get(pk=forecaster.pk)
        stored = queries.stored_brier_by_period(fresh, period)
        computed = queries.brier_by_period(forecaster, period)
        assert [(d, n) for d, n, _ in stored] == [(d, n) for d, n, _ in computed]
        assert [t for _, _, t in stored] == pytest.approx([t for _, _, t in computed])
    assert [n for _, n, _ in queries.stored_brier_by_period(fresh, "day")] == [1, 2, 2]

    # A row stored before the series existed falls back to the scores.
    fresh.stats.over_time = None
    assert queries.stored_brier_by_period(fresh, "week") == queries.brier_by_period(
        forecaster, "week")


def test_the_liveness_probe_is_one_select(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/health/live/")
    assert response.status_code == 200 and response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_the_benchmarks_reference_page_is_one_query_through_the_base_template(
        client, settings, django_assert_num_queries):
    settings.ROOT_URLCONF = "benchmarks.bench_urls"  # served only by benchmarks/pages.py
    settings.PAGE_CACHE_NEVER = [*settings.PAGE_CACHE_NEVER, "/bench/"]  # as bench_settings
    with django_assert_num_queries(1):
        response = client.get("/bench/reference/")
    page = response.content.decode()
    assert response.status_code == 200 and "<h1>Workers</h1>" in page
    assert '<main id="content">' in page  # the site's base template
    assert client.get("/health/live/").status_code == 200  # the project's URLs as well
    settings.ROOT_URLCONF = "tracker.urls"
    assert client.get("/bench/reference/").status_code == 404  # not a production URL
