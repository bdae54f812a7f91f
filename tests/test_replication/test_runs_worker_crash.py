"""SIGKILL a real worker in the middle of a run: the run either completes exactly once on
redelivery or is failed by the reaper with a clear reason; never two result rows.

On the filesystem broker a message is removed when it is read, so a killed worker's task
is not redelivered: the reaper path holds, and re-queueing completes the run once. On
Redis (with acks_late) the task is redelivered after the visibility timeout, 10 seconds
here (tests/settings_fast_redelivery.py; production's floor is 60): the redelivered task
re-claims the stale run as the next attempt and completes it once.
"""

from __future__ import annotations

import os
import signal
import uuid

import pytest
from django.conf import settings as django_settings

from replication import services
from replication.models import ReplicationResult, ReplicationRun
from tests.replication_specs import make_spec, slow_spec_text
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

Status = ReplicationRun.Status

#: Liveness settings for the worker processes: heartbeat every second, stale after five.
FAST = {
    "REPLICATION_HEARTBEAT_SECONDS": "1",
    "REPLICATION_STALE_AFTER_SECONDS": "5",
    "REPLICATION_PROGRESS_INTERVAL": "0.5",
}
#: Seconds the doomed worker waits after each progress write (tests/paused_worker.py): the
#: small run stays busy for a quarter of a minute or more, so the kill lands in its middle
#: on a fast machine as on a busy one.
PAUSE = 0.8
ON_REDIS = django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


@pytest.fixture
def fast_liveness(settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 5
    settings.REPLICATION_HEARTBEAT_SECONDS = 1


@pytest.fixture
def queue():
    """A queue of this test's own, so no other worker on the shared broker takes the task."""
    return f"replication-test-{uuid.uuid4().hex[:8]}"


def _run_of(run_id: int) -> ReplicationRun:
    return ReplicationRun.objects.get(pk=run_id)


def _kill_in_the_middle(run_id: int, *, queue: str, extra_env: dict[str, str]) -> str:
    """Start a worker, wait until the run trains with progress recorded, SIGKILL it.
    Returns the killed worker's host name as the run recorded it."""
    with running_worker(queues=queue, hostname=f"doomed-{queue[-8:]}", extra_env=extra_env,
                        progress_pause=PAUSE) as w:
        progressing = wait_for(
            lambda: (r := _run_of(run_id)).status == Status.RUNNING and r.progress > 0,
            timeout=120,
            every=0.25,
        )
        assert progressing, f"the run never reported progress: {_run_of(run_id).__dict__}"
        os.kill(w.pid, signal.SIGKILL)
        w.wait(timeout=10)
    run = _run_of(run_id)
    assert run.status == Status.RUNNING, "the run finished before the worker was killed"
    assert run.progress < 100
    return run.worker_host


@pytest.mark.skipif(
    not ON_REDIS,
    reason="the filesystem broker does not redeliver a task "
    "whose worker died: the reaper path above covers it",
)
def test_on_redis_the_redelivered_task_reclaims_the_stale_run_and_completes_once(
    fast_liveness, queue
):
    redelivery = {**FAST, "DJANGO_SETTINGS_MODULE": "tests.settings_fast_redelivery"}
    spec = make_spec(
        key=f"redeliver-{queue}", text=slow_spec_text(), time_limit=900, soft_time_limit=870
    )
    run = services.enqueue_run(spec=spec, queue=queue)

    killed_host = _kill_in_the_middle(run.pk, queue=queue, extra_env=redelivery)

    # No reaper runs here: only the broker's redelivery can finish the run.
    with running_worker(queues=queue, hostname=f"survivor-{queue[-8:]}", extra_env=redelivery):
        done = wait_for(lambda: _run_of(run.pk).is_finished, timeout=240, every=0.5)

    run.refresh_from_db()
    assert done and run.status == Status.SUCCEEDED, run.error
    assert run.attempts == 2
    reclaim = [e for e in run.history if e["event"] == "claimed"][-1]
    assert reclaim["reclaimed_from"] == killed_host
    assert ReplicationResult.objects.filter(run=run).count() == 1
