"""The published figures, reproduced from the shipped seed through the pages and the API."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from evaluations.forecasts.models import Prediction, Score

pytestmark = pytest.mark.django_db


def _api_set(client, slug):
    response = client.get(f"/api/prediction-sets/{slug}/")
    assert response.status_code == 200
    return response.json()


def _api_forecasters(client):
    response = client.get("/api/forecasters/")
    assert response.status_code == 200
    return {row["slug"]: row for row in response.json()["results"]}


def test_caspers_may_2024_set_scores_minus_074_points_with_mean_brier_00223(seeded, client):
    data = _api_set(client, "casper-2024-05-anthropic-next-sae")
    assert data["n_resolved"] == 10
    assert data["points"] == pytest.approx(-0.74)
    assert data["brier"] == pytest.approx(0.02226)
    assert round(data["brier"], 4) == 0.0223
    assert data["reported_points"] == pytest.approx(-0.74)

    page = client.get("/prediction-sets/casper-2024-05-anthropic-next-sae/").content.decode()
    assert "-0.74" in page and "0.0223" in page
    assert "0–1 scale" in page


def test_caspers_october_2024_set_scores_plus_135_with_items_6_to_8_inferred(seeded, client):
    data = _api_set(client, "casper-2024-10-next-lab-sae")
    assert data["n_resolved"] == 8
    assert data["points"] == pytest.approx(1.35)
    assert data["brier"] == pytest.approx(0.2034375, abs=1e-6)
    inferred = [p["position"] for p in data["predictions"] if p["outcome_inferred"]]
    assert inferred == [6, 7, 8]
    for item in data["predictions"][5:8]:
        assert item["outcome"] == "no"
        assert "1.35" in item["outcome_evidence"]

    page = client.get("/prediction-sets/casper-2024-10-next-lab-sae/").content.decode()
    assert "1.35" in page and page.count(">inferred<") == 3


def test_the_crowds_63_percent_resolved_yes_scores_brier_01369(seeded, client):
    data = _api_set(client, "manifold-2024-10-snapshot")
    (crowd,) = data["predictions"]
    assert crowd["probability"] == pytest.approx(0.63)
    assert crowd["outcome"] == "yes"
    assert crowd["market"] == "sae-downstream-beat-baselines"
    assert crowd["brier"] == pytest.approx(0.1369)
    assert _api_forecasters(client)["manifold-crowd"]["brier"] == pytest.approx(0.1369)


def test_the_forecasters_api_lists_the_seed_forecasters_with_their_figures(seeded, client):
    rows = _api_forecasters(client)
    assert set(rows) == {"stephen-casper", "neel-nanda", "manifold-crowd"}
    casper = rows["stephen-casper"]
    assert casper["n_resolved"] == 18
    assert casper["points"] == pytest.approx(-0.74 + 1.35)
    assert casper["brier"] == pytest.approx((0.2226 + 1.6275) / 18, abs=1e-6)
    assert casper["log_score"] < 0
    assert rows["neel-nanda"]["n_resolved"] == 0 and rows["neel-nanda"]["brier"] is None


def test_score_predictions_json_prints_what_the_api_gives(seeded, client):
    out = StringIO()
    call_command("score_predictions", "--format", "json", stdout=out)
    assert json.loads(out.getvalue()) == client.get("/api/forecasters/").json()["results"]


def test_the_leaderboard_page_shows_every_forecaster_with_the_brier_scale(seeded, client):
    page = client.get("/forecasters/").content.decode()
    for name in ("Stephen Casper", "Neel Nanda", "Manifold traders"):
        assert name in page
    assert "0.1369" in page
    assert "0–1 scale" in page and "not</em> a proper scoring rule" in page


def test_loading_the_seed_twice_gives_the_same_predictions_and_scores(seeded):
    from tracker.seeding import load_all

    before = list(Prediction.objects.values_list("pk", "outcome", "probability", "updated_at"))
    scores = sorted(Score.objects.values_list("prediction_id", "brier", "points"))
    load_all()
    assert list(Prediction.objects.values_list(
        "pk", "outcome", "probability", "updated_at")) == before
    assert sorted(Score.objects.values_list("prediction_id", "brier", "points")) == scores


def test_loading_the_seed_again_restores_missing_scores(seeded):
    from tracker.seeding import load_all

    Score.objects.filter(prediction__prediction_set__slug="manifold-2024-10-snapshot").delete()
    load_all()
    crowd = Score.objects.get(prediction__prediction_set__slug="manifold-2024-10-snapshot")
    assert crowd.brier == pytest.approx(0.1369)
