"""Forecaster and prediction-set pages, the SVG calibration chart and the CSV downloads."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from evaluations.forecasts.models import Prediction

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def test_the_forecaster_page_lists_every_prediction_with_its_score(seeded, client):
    response = client.get("/forecasters/stephen-casper/")
    assert response.status_code == 200
    page = response.content.decode()
    for prediction in Prediction.objects.filter(prediction_set__forecaster__slug="stephen-casper"):
        assert prediction.statement.replace("'", "&#x27;") in page
    assert "0.7225" in page  # item 4 of October 2024: (0.15 - 1)^2
    assert "Murphy decomposition" in page and "0–1 scale" in page
    assert "/forecasters/stephen-casper/calibration.svg" in page


def test_a_forecaster_without_resolved_predictions_has_a_page(seeded, client):
    response = client.get("/forecasters/neel-nanda/")
    assert response.status_code == 200
    assert "No resolved predictions yet" in response.content.decode()


def test_unknown_slugs_are_not_found(seeded, client):
    for url in ("/forecasters/nobody/", "/prediction-sets/nothing/", "/api/forecasters/x/",
                "/forecasters/nobody/calibration.svg"):
        assert client.get(url).status_code == 404


def test_the_calibration_chart_is_an_svg_with_one_mark_per_filled_bin(seeded, client):
    response = client.get("/forecasters/stephen-casper/calibration.svg")
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    groups = root.findall(f"{SVG}g")
    # Casper's 18 forecasts fill bins 0-0.1 (2), 0.1-0.2 (7), 0.2-0.3 (5), 0.6-0.7 (1),
    # 0.8-0.9 (1) and 0.9-1 (2).
    labels = [g.find(f"{SVG}text").text for g in groups]
    assert labels == ["n=2", "n=7", "n=5", "n=1", "n=1", "n=2"]
    tooltip = groups[0].find(f"{SVG}title").text
    assert "2 forecasts" in tooltip and "95% interval" in tooltip
    assert all(g.find(f"{SVG}line") is not None for g in groups)  # interval bars


def test_the_calibration_chart_escapes_names_and_handles_no_data(seeded, client):
    from evaluations.forecasts.models import Forecaster

    Forecaster.objects.create(slug="odd", name="<script>Odd & Co</script>")
    response = client.get("/forecasters/odd/calibration.svg")
    root = ET.fromstring(response.content)
    assert "<script>Odd & Co</script>" in root.find(f"{SVG}title").text
    assert "No resolved forecasts yet" in response.content.decode()


def test_the_scores_csv_has_a_row_per_prediction_with_blank_scores_when_unscored(
    seeded, client
):
    response = client.get("/forecasters/scores.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming  # streamed row by row, never built in memory
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == Prediction.objects.count() == 19
    crowd = next(row for row in rows if row["forecaster"] == "manifold-crowd")
    assert crowd["brier_0_1"] == "0.136900" and crowd["market"] == "sae-downstream-beat-baselines"
    inferred = [row for row in rows if row["outcome_inferred"] == "yes"]
    assert len(inferred) == 3
    one = b"".join(client.get("/forecasters/stephen-casper/scores.csv").streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(one)))) == 18


def test_the_prediction_set_page_compares_our_total_with_the_reported_one(seeded, client):
    page = client.get("/prediction-sets/casper-2024-10-next-lab-sae/").content.decode()
    assert "1.35" in page and "the forecaster reported 1.35" in page
    assert "Auditing" in page  # resolved against the auditing-game paper


def test_the_admin_action_rescores_the_selected_sets(seeded, admin_client):
    from evaluations.forecasts.models import PredictionSet, Score

    Score.objects.all().delete()
    chosen = PredictionSet.objects.get(slug="casper-2024-05-anthropic-next-sae")
    response = admin_client.post(
        "/admin/forecasts/predictionset/",
        {"action": "rescore_sets", "_selected_action": [chosen.pk]},
    )
    assert response.status_code == 302
    assert Score.objects.count() == 10
