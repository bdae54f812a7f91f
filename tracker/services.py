"""Workflows of the catalogue, as typed keyword-only functions."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tracker.models import WorkerHeartbeat


def record_worker_heartbeat(*, hostname: str) -> WorkerHeartbeat:
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            hostname=hostname, defaults={"seen_at": timezone.now(), "beats": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(
                seen_at=timezone.now(), beats=F("beats") + 1
            )
            beat.refresh_from_db()
    return beat
