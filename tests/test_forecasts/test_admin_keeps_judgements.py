"""Predictions with an outcome or a score hold a judgement: the admin refuses to delete
them (or their set) with a message saying why and what to do instead, and offers no bulk
delete. A pending, unscored prediction (a typing mistake) can still be deleted."""

import pytest
from django.contrib.messages import get_messages

from evaluations.forecasts.models import ForecasterStats, Prediction, PredictionSet, Score
from tests.test_forecasts.helpers import DAY, forecaster_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored():
    """One set: a prediction that came true (scored) and one still pending."""
    forecaster = forecaster_with("casper", [(0.8, "yes"), (0.3, "pending")])
    return PredictionSet.objects.get(forecaster=forecaster)


def prediction(prediction_set, position):
    return Prediction.objects.get(prediction_set=prediction_set, position=position)


def test_deleting_a_scored_prediction_is_refused_with_a_message(admin_client, scored):
    kept = prediction(scored, 1)
    url = f"/admin/forecasts/prediction/{kept.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert response.url == f"/admin/forecasts/prediction/{kept.pk}/change/"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "holds a judgement" in message and "annulled or ambiguous" in message
    assert Prediction.objects.filter(pk=kept.pk).exists()
    assert Score.objects.filter(prediction=kept).exists()
    assert ForecasterStats.objects.get(forecaster=scored.forecaster).n_resolved == 1


def test_an_annulled_prediction_is_kept_too(admin_client, scored):
    kept = prediction(scored, 2)
    Prediction.objects.filter(pk=kept.pk).update(outcome="annulled")
    admin_client.post(f"/admin/forecasts/prediction/{kept.pk}/delete/", {"post": "yes"})
    assert Prediction.objects.filter(pk=kept.pk).exists()


def test_a_pending_unscored_prediction_can_be_deleted(admin_client, scored):
    pending = prediction(scored, 2)
    response = admin_client.post(f"/admin/forecasts/prediction/{pending.pk}/delete/",
                                 {"post": "yes"})
    assert response.status_code == 302
    assert not Prediction.objects.filter(pk=pending.pk).exists()


def test_a_set_holding_a_judgement_is_kept(admin_client, scored):
    response = admin_client.post(f"/admin/forecasts/predictionset/{scored.pk}/delete/",
                                 {"post": "yes"})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "This set holds predictions with a judgement" in message
    assert Prediction.objects.filter(prediction_set=scored).count() == 2


def test_a_set_of_pending_predictions_can_be_deleted(admin_client, scored):
    fresh = PredictionSet.objects.create(slug="later", forecaster=scored.forecaster,
                                         title="Later", published_on=DAY)
    Prediction.objects.create(prediction_set=fresh, position=1, statement="Soon",
                              probability=0.5, made_on=DAY)
    admin_client.post(f"/admin/forecasts/predictionset/{fresh.pk}/delete/", {"post": "yes"})
    assert not PredictionSet.objects.filter(pk=fresh.pk).exists()


@pytest.mark.parametrize("model", ["prediction", "predictionset"])
def test_no_bulk_delete_is_offered(admin_client, scored, model):
    url = f"/admin/forecasts/{model}/"
    response = admin_client.get(url)
    actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    admin_client.post(url, {"action": "delete_selected", "post": "yes",
                            "_selected_action": [p.pk for p in Prediction.objects.all()]
                            if model == "prediction" else [scored.pk]})
    assert Prediction.objects.filter(prediction_set=scored).count() == 2
