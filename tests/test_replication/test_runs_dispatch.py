"""Runs are sent after commit, to the queue their device needs, with the spec's time limits;
the web side never imports torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from replication import services
from replication.models import ReplicationRun
from tests.replication_specs import make_spec, tiny_spec_text

ROOT = Path(__file__).resolve().parents[2]


class Sent:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return type("AsyncResult", (), {"id": f"task-{len(self.calls)}"})()


@pytest.fixture
def sent(monkeypatch):
    recorder = Sent()
    monkeypatch.setattr("replication.tasks.run_replication.apply_async", recorder)
    return recorder


@pytest.mark.django_db
def test_a_cpu_spec_goes_to_the_default_queue_with_its_limits(
    sent, django_capture_on_commit_callbacks
):
    spec = make_spec(time_limit=900, soft_time_limit=840)

    with django_capture_on_commit_callbacks(execute=True):
        run = services.enqueue_run(spec=spec)

    (call,) = sent.calls
    assert call["args"] == [run.pk]
    assert call["queue"] == "default"
    assert (call["time_limit"], call["soft_time_limit"]) == (900, 840)
    run.refresh_from_db()
    assert run.status == ReplicationRun.Status.QUEUED
    assert run.task_id == "task-1"
    assert run.dispatched_at is not None


@pytest.mark.django_db
def test_a_cuda_spec_goes_to_the_gpu_queue(sent, django_capture_on_commit_callbacks):
    spec = make_spec(text=tiny_spec_text(device="cuda"))

    with django_capture_on_commit_callbacks(execute=True):
        run = services.enqueue_run(spec=spec)

    assert sent.calls[0]["queue"] == "gpu"
    assert (run.queue, run.device) == ("gpu", "cuda")


@pytest.mark.django_db
def test_a_device_override_picks_the_queue(sent, django_capture_on_commit_callbacks):
    spec = make_spec(text=tiny_spec_text(device="cpu"))

    with django_capture_on_commit_callbacks(execute=True):
        run = services.enqueue_run(spec=spec, device="cuda")

    assert sent.calls[0]["queue"] == "gpu"
    assert run.device == "cuda"


@pytest.mark.django_db
def test_nothing_is_sent_before_the_transaction_commits(sent, django_capture_on_commit_callbacks):
    spec = make_spec()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.enqueue_run(spec=spec)

    assert sent.calls == []
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_the_reaper_task_sends_runs_the_broker_never_accepted(sent):
    import datetime as dt

    from django.utils import timezone

    from replication.tasks import reap_replications

    run = services.create_run(spec=make_spec())
    ReplicationRun.objects.filter(pk=run.pk).update(
        queued_at=timezone.now() - dt.timedelta(minutes=5), dispatch_error="refused"
    )

    outcome = reap_replications.apply().get()

    assert outcome == {"reaped": [], "redispatched": [run.pk]}
    run.refresh_from_db()
    assert run.dispatch_error == ""
    assert run.dispatched_at is not None


def test_the_reaper_runs_in_beats_own_process_not_as_a_task(settings):
    from django_celery_beat.schedulers import DatabaseScheduler

    from replication.schedule import PERIODIC_TASKS
    from tracker.beat import ReconcilingScheduler
    from tracker.reconcile import STEPS

    # A task would wait for a worker; with the only worker dead nothing would reap.
    assert PERIODIC_TASKS == []
    assert settings.CELERY_BEAT_SCHEDULER == "tracker.beat:ReconcilingScheduler"
    assert issubclass(ReconcilingScheduler, DatabaseScheduler)
    assert [name for name, _ in STEPS] == ["replication", "scores", "ingestion", "agreements"]


def test_the_tasks_are_late_acknowledged():
    from replication.tasks import run_replication

    assert run_replication.name == "replication.run"
    assert run_replication.acks_late is True
    assert run_replication.reject_on_worker_lost is True


def test_the_web_side_never_imports_torch():
    code = textwrap.dedent("""
        import os, sys
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
        import django
        django.setup()
        import replication.models, replication.admin, replication.views, replication.tasks
        import replication.api, replication.serializers, replication.services
        import replication.evidence, replication.seed, replication.urls
        from django.urls import resolve
        resolve("/replications/1/")
        from replication.services import parse_spec_text
        from tests.replication_specs import tiny_spec_text
        parse_spec_text(text=tiny_spec_text())
        print("torch" in sys.modules)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_a_default_limit_above_the_visibility_timeout_fails_the_system_check(settings):
    from replication.checks import check_time_limits

    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    settings.REPLICATION_TIME_LIMIT = 900
    settings.REPLICATION_SOFT_TIME_LIMIT = 800

    assert [m.id for m in check_time_limits()] == ["replication.E001"]


def test_a_sent_run_is_resent_only_once_its_queue_no_longer_holds_it(db, settings, monkeypatch):
    """D1: a run already on the broker was never resent, so a Redis restart lost it.
    Now it is resent when its queue is empty long after sending; never while the queue
    still holds a message that may be its own."""
    import datetime as dt
    import uuid

    from django.utils import timezone

    from tracker.celery import app

    settings.REPLICATION_RESEND_AFTER_SECONDS = 60
    sent = []
    monkeypatch.setattr("replication.tasks.run_replication.apply_async",
                        lambda **kw: sent.append(kw) or type("R", (), {"id": "t-2"})())
    queue = f"resend-{uuid.uuid4().hex[:8]}"
    run = services.create_run(spec=make_spec(), queue=queue)
    ReplicationRun.objects.filter(pk=run.pk).update(
        dispatched_at=timezone.now() - dt.timedelta(minutes=10), task_id="t-1")

    with app.connection_for_write() as conn:
        waiting = conn.SimpleQueue(queue)
        waiting.put({"a message": "that may be the run's"})
        try:
            assert services.redispatch_queued_runs() == []
            assert sent == []
        finally:
            waiting.clear()
            waiting.close()

    assert services.redispatch_queued_runs() == [run.pk]
    run.refresh_from_db()
    assert [s["args"] for s in sent] == [[run.pk]]
    assert run.task_id == "t-2" and run.history[-1]["event"] == "resent"
    assert services.redispatch_queued_runs() == []  # sent just now: not again
