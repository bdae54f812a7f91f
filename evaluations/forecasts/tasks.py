"""Celery tasks of forecast scoring: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from evaluations.forecasts import services


@shared_task(name="forecasts.rescore_market", ignore_result=True)
def rescore_market(market_id: int) -> None:
    """Enqueued (by name) by the resolution service when a market's resolution changes."""
    services.do_rescore_market(market_id=market_id)


@shared_task(name="forecasts.rescore_predictions", ignore_result=True)
def rescore_predictions(prediction_ids: list[int]) -> None:
    """Enqueued when predictions' outcomes or probabilities change (the admin, through
    ``services.save_predictions``)."""
    services.do_rescore_predictions(prediction_ids=prediction_ids)


@shared_task(name="forecasts.rescore_all", ignore_result=True)
def rescore_all() -> None:
    services.do_rescore_all()
