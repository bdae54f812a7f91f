"""Re-scoring: idempotent, leaves out annulled and ambiguous predictions, follows markets."""

from __future__ import annotations

import pytest
from celery import current_app

from evaluations.forecasts.models import Prediction, Score
from evaluations.forecasts.services import do_rescore_all, do_set_outcome, save_predictions

pytestmark = pytest.mark.django_db

CROWD = {"prediction_set__slug": "manifold-2024-10-snapshot", "position": 1}


def _scores():
    return sorted(Score.objects.values_list("prediction_id", "happened", "brier", "points"))


def test_rescoring_twice_gives_the_same_scores(seeded):
    do_rescore_all()
    first = _scores()
    result = do_rescore_all()
    assert _scores() == first
    assert result.scored == len(first) == 19


def test_annulled_and_ambiguous_predictions_are_not_scored(seeded):
    first, second = Prediction.objects.filter(
        prediction_set__slug="casper-2024-05-anthropic-next-sae", position__in=[1, 2]
    ).order_by("position")
    do_set_outcome(prediction=first, outcome="annulled", evidence="Question withdrawn.")
    do_set_outcome(prediction=second, outcome="ambiguous", evidence="Unclear.")
    assert not Score.objects.filter(prediction__in=[first, second]).exists()
    assert Score.objects.filter(prediction__prediction_set__slug=first.prediction_set.slug
                                ).count() == 8


def test_changing_an_outcome_rescores_through_the_celery_task(
    seeded, django_capture_on_commit_callbacks
):
    prediction = Prediction.objects.get(
        prediction_set__slug="casper-2024-10-next-lab-sae", position=3
    )
    assert Score.objects.get(prediction=prediction).brier == pytest.approx(0.04)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        prediction.outcome = Prediction.Outcome.YES
        save_predictions(predictions=[prediction])
    assert len(callbacks) == 1
    assert Score.objects.get(prediction=prediction).brier == pytest.approx(0.64)


def test_the_market_task_takes_the_outcome_from_the_resolved_market(seed_market):
    seed_market.status, seed_market.outcome = "resolved", "no"
    seed_market.save()
    current_app.tasks["forecasts.rescore_market"].delay(seed_market.pk)
    crowd = Prediction.objects.get(**CROWD)
    assert crowd.outcome == "no"
    assert "resolved NO" in crowd.outcome_evidence
    assert crowd.score.brier == pytest.approx(0.3969)  # 0.63^2


def test_an_unresolved_market_never_erases_a_known_outcome(seed_market):
    seed_market.status, seed_market.outcome = "open", ""
    seed_market.save()
    current_app.tasks["forecasts.rescore_market"].delay(seed_market.pk)
    crowd = Prediction.objects.get(**CROWD)
    assert crowd.outcome == "yes"
    assert "write-up" in crowd.outcome_evidence
    assert crowd.score.brier == pytest.approx(0.1369)


def test_an_annulled_market_annuls_its_predictions_and_drops_their_scores(seed_market):
    seed_market.status, seed_market.outcome = "annulled", ""
    seed_market.save()
    current_app.tasks["forecasts.rescore_market"].delay(seed_market.pk)
    crowd = Prediction.objects.get(**CROWD)
    assert crowd.outcome == "annulled"
    assert not Score.objects.filter(prediction=crowd).exists()


def test_the_market_task_returns_quietly_for_a_market_that_is_gone(db):
    current_app.tasks["forecasts.rescore_market"].delay(999_999)
    assert not Score.objects.exists()
