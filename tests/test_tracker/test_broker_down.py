"""With the broker down, pages still serve and the user is told the queue is unreachable."""

from __future__ import annotations

import pytest

from tracker.celery import app
from tracker.models import WorkerHeartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def forget_connections() -> None:
    """Drop the app's cached connection and producer pools (they hold the broker URL)."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a port where nothing listens."""
    # Celery prefers the CELERY_BROKER_URL environment variable over its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    keys = ("broker_url", "broker_transport_options", "broker_connection_timeout")
    saved = {key: app.conf[key] for key in keys}
    forget_connections()
    app.conf.update(broker_url="redis://127.0.0.1:1/0", broker_transport_options={},
                    broker_connection_timeout=1)
    yield
    app.conf.update(saved)
    forget_connections()


def test_pinging_the_workers_says_the_queue_cannot_be_reached(seeded, admin_client, broker_down):
    response = admin_client.post("/health/ping/")

    assert response.status_code == 503
    assert "The task queue cannot be reached" in response.content.decode()
    assert WorkerHeartbeat.objects.count() == 0


def test_the_public_pages_still_serve(client, seeded, broker_down):
    assert client.get("/").status_code == 200
    assert client.get("/markets/sae-downstream-beat-baselines/").status_code == 200


def test_the_health_page_says_the_queues_cannot_be_counted(client, seeded, broker_down):
    response = client.get("/health/")

    assert response.status_code == 200
    assert "The task queue cannot be reached" in response.content.decode()


def test_run_now_with_the_broker_down_saves_the_request_and_says_so(seeded, admin_client,
                                                                    broker_down):
    """D5: it answered HTTP 500."""
    from tracker.models import SavedSearch, SearchRun

    search = SavedSearch.objects.first()
    response = admin_client.post(
        "/admin/tracker/savedsearch/",
        {"action": "run_now", "_selected_action": [search.pk]}, follow=True,
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The task queue cannot be reached" in page
    assert "The request is saved: it is sent as soon as the broker is back." in page
    search.refresh_from_db()
    assert search.run_requested_at is not None  # the reconciler's source of truth
    assert not SearchRun.objects.exists()
