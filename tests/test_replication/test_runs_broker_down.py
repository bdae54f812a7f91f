"""With the broker down, the pages still serve, the Replicate action says the task queue
cannot be reached, and the run stays queued rather than lost."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from replication.models import ReplicationRun, ReplicationSpec
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker_down(monkeypatch):
    """Point the Celery app at a port where nothing listens. Celery reads CELERY_BROKER_URL
    from the environment before its own setting, so that changes too; and the producer pool
    is dropped: one made earlier in the session (an eager task makes it) keeps the old broker."""
    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout)
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    conf.broker_url = "redis://127.0.0.1:1/0"
    conf.broker_transport_options = {}
    conf.broker_connection_timeout = 1
    app._pool = None
    app.amqp._producer_pool = None
    yield
    conf.broker_url, conf.broker_transport_options, conf.broker_connection_timeout = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def specs(db):
    from replication import seed as replication_seed
    from tracker import seed as tracker_seed
    from tracker.seeding import SEED_DIR

    tracker_seed.load(SEED_DIR)
    replication_seed.load(SEED_DIR)
    return ReplicationSpec.objects.all()


def test_the_replicate_action_says_the_queue_cannot_be_reached(admin_client, specs, broker_down):
    spec = specs.get(key="sparse-probing-kantamneni")

    response = admin_client.post(
        "/admin/replication/replicationspec/",
        {"action": "replicate", "_selected_action": [spec.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "The task queue cannot be reached" in response.content.decode()
    run = ReplicationRun.objects.get(spec=spec, origin="here")  # beside the seed's record
    assert run.status == ReplicationRun.Status.QUEUED
    assert run.dispatched_at is None
    assert run.dispatch_error


def test_the_replicate_command_keeps_the_run_queued_and_names_it(specs, broker_down):
    with pytest.raises(CommandError, match="task queue cannot be reached") as caught:
        call_command("replicate", "ood-detection-casper", "--enqueue")

    run = ReplicationRun.objects.get(origin="here")  # the seed also loads its records
    assert (run.status, run.queue) == (ReplicationRun.Status.QUEUED, "default")
    # D14: the saved run's id was not printed.
    assert f"Run {run.pk} is saved and stays queued" in str(caught.value)


def test_the_pages_still_serve(client, admin_client, specs, broker_down):
    admin_client.post(
        "/admin/replication/replicationspec/",
        {"action": "replicate", "_selected_action": [specs.first().pk]},
    )

    assert client.get("/papers/2502.16681/").status_code == 200
    assert client.get("/replications/").status_code == 200
    assert client.get(f"/replications/{ReplicationRun.objects.get(origin='here').pk}/").status_code == 200
    assert client.get("/api/papers/2502.16681/").status_code == 200
    assert admin_client.get("/admin/replication/replicationrun/").status_code == 200


def test_the_requeue_action_says_the_queue_cannot_be_reached(admin_client, specs, broker_down):
    from replication import services

    run = services.create_run(spec=specs.get(key="sparse-probing-kantamneni"))
    services.cancel_run(run_id=run.pk)

    response = admin_client.post(
        "/admin/replication/replicationrun/",
        {"action": "requeue", "_selected_action": [run.pk]}, follow=True,
    )

    page = response.content.decode()
    assert "The task queue cannot be reached" in page
    assert f"Run(s) {run.pk} are queued and are sent when the broker is back." in page
    run.refresh_from_db()
    assert (run.status, run.dispatched_at) == (ReplicationRun.Status.QUEUED, None)
    assert run.dispatch_error
