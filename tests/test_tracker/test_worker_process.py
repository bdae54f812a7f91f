"""A task enqueued here runs in a separate worker process and its effect lands in the
database: on SQLite with the filesystem broker, and on Postgres with Redis in CI."""

from __future__ import annotations

import uuid

import pytest

from tests.worker import running_worker, wait_for
from tracker.models import WorkerHeartbeat
from tracker.tasks import heartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_consumes_the_task_and_writes_the_row():
    hostname = f"ci-{uuid.uuid4().hex[:8]}"

    with running_worker(hostname="heartbeat") as worker:
        heartbeat.delay(hostname=hostname)

        arrived = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=hostname).exists())
        assert worker.poll() is None, "the worker process died"

    assert arrived, "the worker never wrote the heartbeat row"
    assert WorkerHeartbeat.objects.get(hostname=hostname).beats == 1


def test_a_task_enqueued_before_the_worker_starts_is_not_lost():
    hostname = f"late-{uuid.uuid4().hex[:8]}"
    heartbeat.delay(hostname=hostname)

    with running_worker(hostname="late"):
        arrived = wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=hostname).exists())

    assert arrived
    assert WorkerHeartbeat.objects.filter(hostname=hostname).count() == 1
