"""Queue the re-scoring of a market's predictions once its resolution commits."""

from __future__ import annotations

from tracker.queueing import send_on_commit

RESCORE_TASK = "forecasts.rescore_market"


def _enqueue_rescore(market_id: int) -> None:
    """Re-score the market's predictions after the commit; with the broker down the
    resolution stands and the reconciler re-scores what drifted (tracker.queueing)."""
    send_on_commit(RESCORE_TASK, args=(market_id,))
