"""One write path for scores (issue 29): no signal re-scores behind a caller's back.

A prediction changed through the service (or the admin, which calls it) is re-scored after
commit; a bulk write, which no signal would ever see, is repaired by the reconciler; and
loading predictions runs no handler at all."""

from __future__ import annotations

import pytest
from django.db.models.signals import post_init, post_save

from evaluations.forecasts.models import Prediction, Score
from evaluations.forecasts.services import (
    drifted_prediction_ids,
    reconcile_scores,
    save_predictions,
)
from tests.test_forecasts.helpers import forecaster_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    """A prediction that came true at 0.8 (Brier 0.04) and a pending one at 0.3."""
    forecaster = forecaster_with("casper", [(0.8, "yes"), (0.3, "pending")])
    return list(Prediction.objects.filter(prediction_set__forecaster=forecaster)
                .order_by("position"))


def _brier(prediction: Prediction) -> float | None:
    score = Score.objects.filter(prediction=prediction).first()
    return None if score is None else round(score.brier, 4)


def test_a_prediction_changed_through_the_service_is_rescored_after_commit(
    two, django_capture_on_commit_callbacks
):
    scored, pending = two
    scored.probability = 0.4
    pending.outcome = Prediction.Outcome.NO
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueued = save_predictions(predictions=[scored, pending])
    assert sorted(enqueued) == sorted([scored.pk, pending.pk])
    assert len(callbacks) == 1  # one re-score for both
    assert (_brier(scored), _brier(pending)) == (0.36, 0.09)


def test_saving_without_a_scored_change_enqueues_nothing(
    two, django_capture_on_commit_callbacks
):
    scored, _ = two
    scored.notes = "A note changes no score."
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert save_predictions(predictions=[scored]) == []
    assert callbacks == []
    assert Prediction.objects.get(pk=scored.pk).notes == "A note changes no score."


def test_the_admin_saves_through_the_service(admin_client, two,
                                              django_capture_on_commit_callbacks):
    scored, _ = two
    form = {
        "prediction_set": scored.prediction_set_id, "position": 1,
        "statement": scored.statement, "probability": "0.5",
        "made_on": scored.made_on.isoformat(), "outcome": "yes",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/forecasts/prediction/{scored.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _brier(scored) == 0.25


@pytest.mark.parametrize("change", [
    {"outcome": "no"},  # the score is for the other outcome
    {"probability": 0.1},  # the score is for another probability
    {"outcome": "annulled"},  # scored though no longer resolved
])
def test_a_bulk_write_is_repaired_by_the_reconciler(two, change,
                                                     django_capture_on_commit_callbacks):
    scored, _ = two
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        Prediction.objects.filter(pk=scored.pk).update(**change)
    assert callbacks == []  # a bulk write enqueues nothing
    assert drifted_prediction_ids() == [scored.pk]

    assert reconcile_scores()["rescored"] == 1

    scored.refresh_from_db()
    expected = {"no": 0.64, "annulled": None}.get(change.get("outcome"), 0.81)
    assert _brier(scored) == expected
    assert drifted_prediction_ids() == []


def test_loading_predictions_runs_no_handler(two):
    assert not post_init.has_listeners(Prediction)
    assert not post_save.has_listeners(Prediction)
    loaded = Prediction.objects.get(pk=two[0].pk)
    assert not hasattr(loaded, "_loaded_scored_state")
