"""Re-score a prediction after commit whenever a save changes what its score depends on."""

from __future__ import annotations

from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from evaluations.forecasts.models import Prediction
from evaluations.forecasts.services import enqueue_rescore, is_scoring_in_process


def _scored_state(prediction: Prediction) -> tuple[object, object]:
    # Read the instance dict: a deferred field must not trigger a query here.
    return (prediction.__dict__.get("probability"), prediction.__dict__.get("outcome"))


@receiver(post_init, sender=Prediction)
def remember_scored_state(sender, instance: Prediction, **kwargs) -> None:
    # Objects read from the database arrive here with their stored values.
    instance._loaded_scored_state = _scored_state(instance)


@receiver(post_save, sender=Prediction)
def rescore_when_outcome_changes(sender, instance: Prediction, created: bool, raw=False,
                                 **kwargs) -> None:
    state = _scored_state(instance)
    before = getattr(instance, "_loaded_scored_state", None)
    instance._loaded_scored_state = state
    if raw or is_scoring_in_process():
        return
    if created:
        if instance.outcome in Prediction.SCORED_OUTCOMES:
            enqueue_rescore(prediction_ids=[instance.pk])
    elif before != state:
        enqueue_rescore(prediction_ids=[instance.pk])
