"""Celery tasks of adjudication: thin wrappers around the aggregates and services."""

from __future__ import annotations

from celery import shared_task

from evaluations import aggregates


@shared_task(name="evaluations.refresh_agreement", ignore_result=True)
def refresh_agreement(market_id: int) -> None:
    """Sent (by name) after an assessment write commits: store the market's agreement, so
    that no reader has to compute it and no GET writes."""
    aggregates.refresh_agreement(market_id)
