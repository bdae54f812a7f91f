"""Celery tasks of the catalogue: thin wrappers that call services."""

from __future__ import annotations

import socket

from celery import shared_task

from tracker.services import record_worker_heartbeat


@shared_task(name="tracker.heartbeat", ignore_result=True)
def heartbeat(hostname: str | None = None) -> None:
    """Proves a worker consumes from the broker: beat runs it every minute."""
    record_worker_heartbeat(hostname=hostname or socket.gethostname())
