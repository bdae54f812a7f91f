"""Queue the re-scoring of a market's predictions once its resolution commits."""

from __future__ import annotations

import logging

from django.db import transaction
from kombu.exceptions import OperationalError

from tracker.celery import app as celery_app

logger = logging.getLogger(__name__)

RESCORE_TASK = "forecasts.rescore_market"


def _enqueue_rescore(market_id: int) -> None:
    def send() -> None:
        try:
            celery_app.signature(RESCORE_TASK, args=(market_id,)).delay()
        except OperationalError:
            logger.exception(
                "Could not enqueue %s for market %s; the resolution stands. Re-run the "
                "re-scoring once the broker is back.", RESCORE_TASK, market_id,
            )

    transaction.on_commit(send)
