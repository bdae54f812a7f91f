"""Forecaster figures are stored when scores change and read by pages a page at a time:
the stored rows equal a fresh computation, the vectorised skill vs the crowd equals the
row-by-row definition, the leaderboard pages in SQL order, and the CSV streams."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import scoring
from evaluations.forecasts import queries
from evaluations.forecasts.models import Forecaster, ForecasterStats, Prediction, PredictionSet
from evaluations.forecasts.services import do_rescore_all, do_set_outcome
from tests.test_forecasts.helpers import DAY, forecaster_with
from tracker.models import Market

pytestmark = pytest.mark.django_db


def _skill_vs_crowd_row_by_row(frame, crowd_ids):
    """The definition, one prediction at a time (the code before it was vectorised)."""
    linked = frame[frame["market_id"].notna()]
    crowd = linked[linked["forecaster_id"].isin(crowd_ids)].sort_values("made_on",
                                                                        kind="stable")
    mine = linked[~linked["forecaster_id"].isin(crowd_ids)]
    pairs = {}
    for row in mine.itertuples(index=False):
        same = crowd[crowd["market_id"] == row.market_id]
        if same.empty:
            continue
        before = same[same["made_on"] <= row.made_on]
        reference = (before.iloc[-1] if not before.empty else same.iloc[0])["probability"]
        pairs.setdefault(row.forecaster_id, []).append(
            (row.probability, bool(row.happened), float(reference)))
    result = {}
    for forecaster_id, rows in pairs.items():
        p, y, ref = (np.array(column) for column in zip(*rows, strict=True))
        result[forecaster_id] = (scoring.brier_skill_score(p, y.astype(bool), ref), len(rows))
    return result


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_skill_vs_crowd_equals_the_row_by_row_definition(seed):
    rng = random.Random(seed)
    days = [dt.date(2025, 1, d) for d in range(1, 12)]
    rows = []
    for n in range(400):
        forecaster = rng.choice([1, 2, 3, 4, 5])  # 1 and 2 are crowds
        rows.append((n, forecaster, 0, round(rng.random(), 2), rng.random() < 0.5, 0.1, -0.5,
                     0.2, rng.choice([10.0, 11.0, 12.0, None]), rng.choice(days)))
    # Forecasts before the crowd's first one on a market fall back to its earliest.
    rows.append((999, 3, 0, 0.3, True, 0.1, -0.5, 0.2, 13.0, dt.date(2024, 1, 1)))
    rows.append((1000, 1, 0, 0.8, True, 0.1, -0.5, 0.2, 13.0, dt.date(2025, 6, 1)))
    frame = pd.DataFrame.from_records(rows, columns=queries._SCORE_COLUMNS)
    expected = _skill_vs_crowd_row_by_row(frame, {1, 2})
    got = queries._skill_vs_crowd(frame, {1, 2})
    assert got.keys() == expected.keys() == {3, 4, 5}
    for forecaster_id, (skill, n) in expected.items():
        assert got[forecaster_id][1] == n
        assert got[forecaster_id][0] == pytest.approx(skill, abs=1e-12)


def _crowd_and_people():
    market = Market.objects.create(slug="m", title="M")
    forecaster_with("the-crowd", [(0.6, "yes"), (0.3, "no")], kind="crowd", market=market)
    forecaster_with("alice", [(0.9, "yes"), (0.2, "no"), (0.7, "pending")], market=market)
    forecaster_with("bob", [(0.4, "yes")])
    forecaster_with("nobody-resolved", [(0.5, "pending")])
    return market


def test_the_stored_rows_equal_a_fresh_computation():
    _crowd_and_people()
    fresh = {row.forecaster.slug: row.summary for row in queries.compute_rows()}
    for forecaster in Forecaster.objects.all():
        stored = queries.row_of(forecaster).summary
        assert stored == fresh[forecaster.slug], forecaster.slug
    assert fresh["alice"].skill_vs_crowd is not None and fresh["alice"].n_vs_crowd == 2
    assert fresh["nobody-resolved"].brier is None


def test_a_new_outcome_updates_the_stored_row_in_the_same_transaction():
    _crowd_and_people()
    bob = Forecaster.objects.get(slug="bob")
    pending = Prediction.objects.get(prediction_set__forecaster__slug="alice", outcome="pending")
    do_set_outcome(prediction=pending, outcome="no", evidence="It did not.")
    alice = queries.row_of(Forecaster.objects.get(slug="alice")).summary
    assert alice.n_resolved == 3
    assert alice.brier == pytest.approx((0.01 + 0.04 + 0.49) / 3)
    assert queries.row_of(bob).summary.n_resolved == 1


def test_the_calibration_and_murphy_read_from_the_stored_bins_equal_the_scores():
    _crowd_and_people()
    for forecaster in [*Forecaster.objects.all(), None]:
        scores = Prediction.objects.filter(score__isnull=False)
        if forecaster is not None:
            scores = scores.filter(prediction_set__forecaster=forecaster)
        pairs = list(scores.values_list("probability", "score__happened"))
        p = np.array([a for a, _ in pairs], dtype=float)
        y = np.array([b for _, b in pairs], dtype=bool)
        pd.testing.assert_frame_equal(queries.calibration(forecaster),
                                      scoring.calibration_table(p, y), check_dtype=False)
        if forecaster is not None and len(p):
            assert queries.murphy(forecaster) == pytest.approx(
                scoring.murphy_decomposition(p, y))


def test_rebuild_aggregates_restores_deleted_stats(capsys):
    from django.core.management import call_command

    _crowd_and_people()
    before = {s.forecaster_id: s.shrunk_brier for s in ForecasterStats.objects.all()}
    ForecasterStats.objects.all().delete()
    call_command("rebuild_aggregates")
    assert "figures of 4 forecaster(s)" in capsys.readouterr().out
    assert {s.forecaster_id: s.shrunk_brier for s in ForecasterStats.objects.all()} == before


def _many_forecasters(n: int) -> None:
    forecasters = Forecaster.objects.bulk_create(
        Forecaster(slug=f"f-{i:03d}", name=f"F {i:03d}") for i in range(n))
    sets = PredictionSet.objects.bulk_create(
        PredictionSet(slug=f"s-{f.slug}", forecaster=f, title=f"Set {f.slug}", published_on=DAY)
        for f in forecasters)
    Prediction.objects.bulk_create(
        Prediction(prediction_set=s, position=1, statement="x", made_on=DAY,
                   probability=(i % 10) / 10, outcome="yes" if i % 3 else "pending")
        for i, s in enumerate(sets))
    do_rescore_all()


def test_the_leaderboard_pages_in_sql_order_with_next_links(client):
    _many_forecasters(60)
    first = client.get("/api/forecasters/").json()
    assert first["count"] == 60 and len(first["results"]) == 50
    assert first["next"].endswith("/api/forecasters/?page=2")
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 10 and second["next"] is None
    rows = first["results"] + second["results"]
    # The SQL order is the Python order of the computed rows: shrunk Brier, then name,
    # forecasters with nothing resolved last.
    expected = [row.forecaster.slug for row in queries.sort_rows(queries.compute_rows(),
                                                                 "shrunk")]
    assert [row["slug"] for row in rows] == expected
    assert rows[-1]["shrunk_brier"] is None
    page = client.get("/forecasters/?sort=-points").content.decode()
    assert 'href="?sort=-points&amp;page=2"' in page  # the sort survives paging
    descending = [row.forecaster.slug for row in queries.sort_rows(
        queries.compute_rows(), "-points")]
    html = client.get("/forecasters/?sort=-points&page=2").context["rows"]
    assert [row.forecaster.slug for row in html] == descending[25:50]  # 25 rows a page


@pytest.mark.parametrize(("url", "says"), [
    ("/forecasters/?page=4", "No such page: That page contains no results"),
    ("/forecasters/?page=zero", "No such page: That page number is not an integer"),
    ("/forecasters/f-001/?page=2", "No such page: That page contains no results"),
    ("/prediction-sets/s-f-001/?page=0", "No such page: That page number is less than 1"),
])
def test_a_page_out_of_range_is_a_404_that_says_so(client, url, says):
    _many_forecasters(60)
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert f'<p class="lead">{says}</p>' in page, page  # the site's page, saying which
    assert page.count("No such page") == 1


def test_a_bad_api_page_is_a_404_with_a_message(client):
    _many_forecasters(3)
    response = client.get("/api/forecasters/?page=9")
    assert response.status_code == 404 and "Invalid page" in response.json()["detail"]


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


URLS = ["/forecasters/", "/api/forecasters/", "/forecasters/f-000/", "/api/forecasters/f-000/",
        "/prediction-sets/s-f-000/", "/api/prediction-sets/s-f-000/",
        "/forecasters/calibration.svg", "/forecasters/scores.csv"]


def test_query_counts_stay_flat_as_forecasters_and_predictions_grow(client, no_page_cache):
    _many_forecasters(5)
    few = {url: _count(client, url) for url in URLS}
    more = Forecaster.objects.get(slug="f-000").prediction_sets.get()
    Prediction.objects.bulk_create(
        Prediction(prediction_set=more, position=n, statement=f"more {n}", made_on=DAY,
                   probability=0.5, outcome="no") for n in range(2, 120))
    _many_forecasters_more = Forecaster.objects.bulk_create(
        Forecaster(slug=f"g-{i:03d}", name=f"G {i:03d}") for i in range(80))
    assert _many_forecasters_more
    do_rescore_all()
    many = {url: _count(client, url) for url in URLS}
    assert many == few


def test_the_scores_csv_streams_every_prediction_across_chunks(client):
    forecaster = forecaster_with("prolific", [(0.25, "yes")])
    prediction_set = forecaster.prediction_sets.get()
    Prediction.objects.bulk_create(
        Prediction(prediction_set=prediction_set, position=n, statement=f"s {n}", made_on=DAY,
                   probability=0.5, outcome="pending") for n in range(2, 2502))
    response = client.get("/forecasters/prolific/scores.csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 2501  # more than one chunk of .iterator(chunk_size=2000)
    assert {row["forecaster"] for row in rows} == {"prolific"}
    first = next(row for row in rows if row["position"] == "1")
    assert first["brier_0_1"] == "0.562500" and first["outcome"] == "yes"
    assert sorted(int(row["position"]) for row in rows) == list(range(1, 2502))
