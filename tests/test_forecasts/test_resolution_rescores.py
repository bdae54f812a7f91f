"""The adjudication side resolves the market and queues forecasts.rescore_market by name."""

from __future__ import annotations

import pytest

from evaluations.forecasts.models import Prediction
from tracker.celery import app

pytestmark = pytest.mark.django_db


def test_the_task_is_registered_under_its_contract_name():
    assert "forecasts.rescore_market" in app.tasks
    assert "forecasts.rescore_all" in app.tasks


def test_a_signature_by_name_rescores_the_markets_predictions(
    seed_market, django_capture_on_commit_callbacks
):
    seed_market.status, seed_market.outcome = "resolved", "no"
    seed_market.save()
    with django_capture_on_commit_callbacks(execute=True):
        app.signature("forecasts.rescore_market", args=(seed_market.pk,)).delay()
    crowd = Prediction.objects.get(prediction_set__slug="manifold-2024-10-snapshot")
    assert (crowd.outcome, round(crowd.score.brier, 4)) == ("no", 0.3969)
