"""Beat's scheduler, with the reconciler (tracker.reconcile) run in beat's own process.

Reaping dead runs and resending lost messages must not wait for a worker: with the only
worker dead, a reconciler that is itself a Celery task never runs. Production runs exactly
one beat already, so the reconciler runs exactly once per interval, and it needs only the
database (resending needs the broker too, and waits for it).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import close_old_connections
from django_celery_beat.schedulers import DatabaseScheduler

from tracker.reconcile import reconcile

log = logging.getLogger(__name__)


def reconcile_seconds() -> float:
    return float(settings.TRACKER_RECONCILE_SECONDS)


class ReconcilingScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, plus a reconciliation every
    TRACKER_RECONCILE_SECONDS between its ticks."""

    _next_reconcile = 0.0

    def tick(self, *args, **kwargs) -> float:
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now >= self._next_reconcile:
            self._next_reconcile = now + reconcile_seconds()
            close_old_connections()
            try:
                report = reconcile()
            finally:
                close_old_connections()
            if any(report.values()):
                log.info("Reconciled: %s", report)
        return min(interval, max(self._next_reconcile - time.monotonic(), 0.1))
