"""Workflows of the catalogue, as typed keyword-only functions."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker.models import WorkerHeartbeat


def record_worker_heartbeat(*, hostname: str, queue: str = "") -> WorkerHeartbeat:
    """The worker ``hostname`` (its node name) consumed a heartbeat from ``queue``."""
    now = timezone.now()
    seen = {queue: now.isoformat()} if queue else {}
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            hostname=hostname, defaults={"seen_at": now, "beats": 1, "queues": seen}
        )
        if not created:
            queues = {**(beat.queues if isinstance(beat.queues, dict) else {}), **seen}
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(
                seen_at=now, beats=F("beats") + 1, queues=queues
            )
            beat.refresh_from_db()
    return beat
