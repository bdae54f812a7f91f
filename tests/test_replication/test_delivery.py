"""At-least-once delivery with real processes: a message the broker lost is resent, a run
whose only worker died is re-queued with no worker alive, a pool child killed as the OOM
killer does is redelivered; each run completes exactly once (one result row).

The reconciler runs in a real `celery beat` process (tracker.beat), never in the test.
On Redis the broker is a Redis server of the test's own, restarted with its data
discarded; on the filesystem broker the message files are deleted, the same loss.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from django.conf import settings as django_settings

from replication import services
from replication.models import ReplicationResult, ReplicationRun
from tests.replication_specs import make_spec, slow_spec_text, tiny_spec_text
from tests.worker import running_beat, running_worker, wait_for
from tracker.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

Status = ReplicationRun.Status
ON_REDIS = django_settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
OWN_REDIS_PORT = 6391

#: Liveness for the worker and beat processes: heartbeat every second, stale after five,
#: reconcile every second, resend a queued run two seconds after its message went out.
FAST = {
    "REPLICATION_HEARTBEAT_SECONDS": "1",
    "REPLICATION_STALE_AFTER_SECONDS": "5",
    "REPLICATION_PROGRESS_INTERVAL": "0.5",
    "REPLICATION_RESEND_AFTER_SECONDS": "2",
    "TRACKER_RECONCILE_SECONDS": "1",
}
#: Seconds a worker about to be killed waits after each progress write
#: (tests/paused_worker.py), so the kill lands in the middle of the small run.
PAUSE = 0.8


@pytest.fixture
def queue():
    return f"delivery-{uuid.uuid4().hex[:8]}"


def _run(run_id: int) -> ReplicationRun:
    return ReplicationRun.objects.get(pk=run_id)


def _forget_connections() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def _use_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at ``url`` (Celery reads the environment first)."""
    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options, os.environ.get("CELERY_BROKER_URL"))
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url, conf.broker_transport_options = url, {"visibility_timeout": 3600}
    _forget_connections()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options = saved[0], saved[1]
        if saved[2] is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = saved[2]
        _forget_connections()


def _redis(*args: str) -> None:
    subprocess.run(["redis-cli", "-p", str(OWN_REDIS_PORT), *args], capture_output=True,
                   timeout=10, check=False)


def _start_own_redis() -> None:
    subprocess.run(["redis-server", "--port", str(OWN_REDIS_PORT), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "yes",
                    "--dir", str(django_settings.VAR_DIR)], check=True, timeout=10)
    assert wait_for(lambda: subprocess.run(
        ["redis-cli", "-p", str(OWN_REDIS_PORT), "ping"], capture_output=True, text=True,
    ).stdout.strip() == "PONG", timeout=10, every=0.1)


@pytest.fixture
def losable_broker(queue):
    """(broker URL for the processes, a function that loses every message it holds)."""
    if not ON_REDIS:
        folder = Path(django_settings.BROKER_DIR) / "queue"

        def lose() -> None:
            for message in folder.glob(f"*.{queue}.msg"):
                message.unlink()

        yield django_settings.CELERY_BROKER_URL, lose
        return
    _redis("shutdown", "nosave")
    _start_own_redis()
    url = f"redis://127.0.0.1:{OWN_REDIS_PORT}/0"

    def restart_discarding_data() -> None:
        _redis("shutdown", "nosave")
        time.sleep(0.2)
        _start_own_redis()

    with _use_broker(url):
        yield url, restart_discarding_data
    _redis("shutdown", "nosave")


def test_a_run_whose_message_the_broker_lost_is_resent_and_completes_once(
    queue, losable_broker
):
    url, lose_everything = losable_broker
    env = {**FAST, "CELERY_BROKER_URL": url}
    spec = make_spec(key=f"lost-{queue}", text=tiny_spec_text())
    run = services.enqueue_run(spec=spec, queue=queue)
    assert _run(run.pk).dispatched_at is not None  # the broker had it

    lose_everything()

    started = time.monotonic()
    with running_beat(extra_env=env, name=f"beat-{queue}"), \
            running_worker(queues=queue, hostname=f"w-{queue[-8:]}", extra_env=env):
        done = wait_for(lambda: _run(run.pk).is_finished, timeout=180, every=0.5)
    recovered_in = time.monotonic() - started

    run.refresh_from_db()
    assert done and run.status == Status.SUCCEEDED, (run.status, run.error, run.history)
    assert run.attempts == 1
    assert ReplicationResult.objects.filter(run=run).count() == 1
    events = [e["event"] for e in run.history]
    assert events.count("claimed") == 1 and events.count("succeeded") == 1, events
    assert "resent" in events, events
    print(f"lost message: completed once, {recovered_in:.1f} s after the loss")


def _kill_in_the_middle(run_id: int, *, queue: str, env: dict[str, str]) -> float:
    """Start a solo worker, wait until the run trains, SIGKILL the worker; returns when."""
    with running_worker(queues=queue, hostname=f"doomed-{queue[-8:]}", extra_env=env,
                        progress_pause=PAUSE) as w:
        assert wait_for(lambda: (r := _run(run_id)).status == Status.RUNNING and r.progress > 0,
                        timeout=120, every=0.25), _run(run_id).__dict__
        os.kill(w.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        w.wait(timeout=10)
    return killed_at


def test_with_its_only_worker_killed_a_run_is_requeued_with_no_worker_alive(queue):
    """D3: the reaper was a Celery task, so nothing reaped while no worker lived."""
    spec = make_spec(key=f"only-{queue}", text=slow_spec_text(), time_limit=900,
                     soft_time_limit=870)
    run = services.enqueue_run(spec=spec, queue=queue)

    with running_beat(extra_env=FAST, name=f"beat-{queue}"):
        killed_at = _kill_in_the_middle(run.pk, queue=queue, env=FAST)
        # No worker is alive from here on: only beat's process can act.
        assert wait_for(lambda: _run(run.pk).status != Status.RUNNING, timeout=60, every=0.25)
        recovered_in = time.monotonic() - killed_at
        run.refresh_from_db()
        assert run.status == Status.QUEUED
        assert any(e["event"] == "reaped" and e.get("requeued") for e in run.history)
        assert "no heartbeat from doomed-" in run.progress_message
        # Sent again (just after the re-queue), waiting for a worker.
        assert wait_for(lambda: _run(run.pk).dispatched_at is not None, timeout=10)
        with running_worker(queues=queue, hostname=f"survivor-{queue[-8:]}", extra_env=FAST):
            done = wait_for(lambda: _run(run.pk).is_finished, timeout=240, every=0.5)

    run.refresh_from_db()
    assert done and run.status == Status.SUCCEEDED, run.error
    assert run.attempts == 2
    assert run.worker_host.startswith("survivor-")
    assert ReplicationResult.objects.filter(run=run).count() == 1
    # Bounded: stale after 5 s, reconciled every second (the first beat tick may wait 5 s).
    assert recovered_in < 30, recovered_in
    print(f"worker killed: re-queued {recovered_in:.1f} s later with no worker alive")


def test_a_pool_child_killed_like_the_oom_killer_does_is_redelivered_and_completes_once(
    queue,
):
    """D4: the killed child's task was acknowledged and never redelivered."""
    spec = make_spec(key=f"oom-{queue}", text=slow_spec_text(), time_limit=900,
                     soft_time_limit=870)
    run = services.enqueue_run(spec=spec, queue=queue)
    env = {**FAST, "REPLICATION_STALE_AFTER_SECONDS": "600"}  # the heartbeat cannot help

    with running_worker(queues=queue, hostname=f"pool-{queue[-8:]}", extra_env=env,
                        pool="prefork", progress_pause=PAUSE) as worker:
        assert wait_for(lambda: (r := _run(run.pk)).status == Status.RUNNING
                        and r.progress > 0, timeout=120, every=0.25)
        children = psutil.Process(worker.pid).children()
        assert len(children) == 1
        child_pid = children[0].pid
        assert any(e.get("pid") == child_pid for e in _run(run.pk).history)
        os.kill(child_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        done = wait_for(lambda: _run(run.pk).is_finished, timeout=240, every=0.5)
        took = time.monotonic() - killed_at

    run.refresh_from_db()
    assert done and run.status == Status.SUCCEEDED, (run.error, run.history)
    assert run.attempts == 2
    takeover = [e for e in run.history if e["event"] == "claimed"][-1]
    assert takeover["because"] == "its process died"
    assert ReplicationResult.objects.filter(run=run).count() == 1
    print(f"pool child killed: redelivered and completed once, {took:.1f} s after the kill")
