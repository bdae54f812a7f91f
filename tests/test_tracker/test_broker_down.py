"""With the broker down, pages still serve and the user is told the queue is unreachable."""

from __future__ import annotations

import pytest

from tracker.celery import app
from tracker.models import WorkerHeartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def broker_down():
    """Point the Celery app at a port where nothing listens."""
    saved = (app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_transport_options = {}
    app.conf.broker_connection_timeout = 1
    app._pool = None
    yield
    app.conf.broker_url, app.conf.broker_transport_options = saved
    app._pool = None


def test_pinging_the_workers_says_the_queue_cannot_be_reached(client, seeded, broker_down):
    response = client.post("/health/ping/")

    assert response.status_code == 503
    assert "The task queue cannot be reached" in response.content.decode()
    assert WorkerHeartbeat.objects.count() == 0


def test_the_public_pages_still_serve(client, seeded, broker_down):
    assert client.get("/").status_code == 200
    assert client.get("/markets/sae-downstream-beat-baselines/").status_code == 200
