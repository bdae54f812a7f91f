"""A run is owned by one worker at a time: claims are conditional updates, every later write
names the attempt it holds, and a run never gets two results."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from replication import services
from replication.models import ReplicationResult, ReplicationRun
from tests.replication_specs import make_spec, results_dict

pytestmark = pytest.mark.django_db

Status = ReplicationRun.Status


@pytest.fixture
def run():
    return services.create_run(spec=make_spec())


def _finish(run_id: int, attempt: int, tmp_path) -> ReplicationResult:
    return services.finish_run(
        run_id=run_id,
        attempt=attempt,
        results=results_dict(),
        out_dir=tmp_path,
        artifacts=["results.json"],
    )


def _age_heartbeat(run_id: int, seconds: float) -> None:
    ReplicationRun.objects.filter(pk=run_id).update(
        heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_queued_run_is_claimed_once(run):
    first = services.claim_run(run_id=run.pk, worker_host="a")
    second = services.claim_run(run_id=run.pk, worker_host="b")

    run.refresh_from_db()
    assert (first, second) == (1, None)
    assert run.status == Status.RUNNING
    assert run.worker_host == "a"
    assert run.attempts == 1
    assert run.heartbeat_at is not None
    assert [e["event"] for e in run.history] == ["queued", "claimed"]


def test_a_running_run_with_a_fresh_heartbeat_is_not_reclaimed(run, settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    services.claim_run(run_id=run.pk, worker_host="a")
    _age_heartbeat(run.pk, 10)

    assert services.claim_run(run_id=run.pk, worker_host="b") is None


def test_a_redelivered_task_reclaims_a_stale_run_as_the_next_attempt(run, settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    services.claim_run(run_id=run.pk, worker_host="killed")
    _age_heartbeat(run.pk, 61)

    attempt = services.claim_run(run_id=run.pk, worker_host="survivor")

    run.refresh_from_db()
    assert attempt == 2
    assert run.worker_host == "survivor"
    assert run.history[-1]["reclaimed_from"] == "killed"


def test_a_stale_run_is_not_reclaimed_after_the_last_attempt(run, settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    settings.REPLICATION_MAX_ATTEMPTS = 1
    services.claim_run(run_id=run.pk, worker_host="killed")
    _age_heartbeat(run.pk, 61)

    assert services.claim_run(run_id=run.pk, worker_host="survivor") is None


def test_the_old_attempt_cannot_write_once_the_run_was_reclaimed(run, settings, tmp_path):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    old = services.claim_run(run_id=run.pk, worker_host="slow")
    _age_heartbeat(run.pk, 61)
    new = services.claim_run(run_id=run.pk, worker_host="fresh")

    with pytest.raises(services.RunLost, match="re-claimed"):
        services.record_progress(run_id=run.pk, attempt=old, fraction=0.5, message="late")
    assert services.touch_heartbeat(run_id=run.pk, attempt=old) is False
    with pytest.raises(services.RunLost):
        _finish(run.pk, old, tmp_path)
    _finish(run.pk, new, tmp_path)
    with pytest.raises(services.RunLost):
        _finish(run.pk, old, tmp_path)

    assert ReplicationResult.objects.filter(run=run).count() == 1
    assert ReplicationResult.objects.get(run=run).attempt == new


def test_finishing_twice_never_writes_a_second_result(run, tmp_path):
    attempt = services.claim_run(run_id=run.pk, worker_host="a")
    _finish(run.pk, attempt, tmp_path)

    with pytest.raises(services.RunLost):
        _finish(run.pk, attempt, tmp_path)
    assert ReplicationResult.objects.filter(run=run).count() == 1


def test_the_database_refuses_a_second_result_row(run, tmp_path):
    attempt = services.claim_run(run_id=run.pk, worker_host="a")
    result = _finish(run.pk, attempt, tmp_path)

    with pytest.raises(IntegrityError), transaction.atomic():
        ReplicationResult.objects.create(
            run=run,
            spec_hash=result.spec_hash,
            verdict="loses",
            results={},
            artifact_dir="",
            attempt=attempt,
        )


def test_progress_is_written_as_a_percentage_with_its_message(run):
    attempt = services.claim_run(run_id=run.pk, worker_host="a")

    services.record_progress(run_id=run.pk, attempt=attempt, fraction=0.426, message="training")

    run.refresh_from_db()
    assert (run.progress, run.progress_message) == (43, "training")


def test_progress_is_throttled_but_the_last_report_always_lands(run):
    attempt = services.claim_run(run_id=run.pk, worker_host="a")
    progress = services.ThrottledProgress(run_id=run.pk, attempt=attempt, interval=3600)

    for step in range(50):
        progress(step / 100, f"step {step}")
    progress(1.0, "done")

    run.refresh_from_db()
    assert progress.writes == 2
    assert (run.progress, run.progress_message) == (100, "done")


def test_a_cancelled_run_stops_its_worker_at_the_next_report(run):
    attempt = services.claim_run(run_id=run.pk, worker_host="a")
    progress = services.ThrottledProgress(run_id=run.pk, attempt=attempt, interval=0)

    assert services.cancel_run(run_id=run.pk, by="operator")
    with pytest.raises(services.RunLost, match="cancelled"):
        progress(0.5, "still going")

    run.refresh_from_db()
    assert run.status == Status.CANCELLED
    assert run.error == "Cancelled by operator."
    assert run.finished_at is not None


def test_a_cancelled_run_is_not_claimed(run):
    services.cancel_run(run_id=run.pk)

    assert services.claim_run(run_id=run.pk, worker_host="a") is None


def test_the_reaper_requeues_a_run_whose_heartbeat_stopped_while_attempts_remain(
    run, settings
):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    services.claim_run(run_id=run.pk, worker_host="gpu-7")
    _age_heartbeat(run.pk, 300)
    requeued = []

    reaped = services.reap_stale_runs(requeued=requeued)

    run.refresh_from_db()
    assert reaped == requeued == [run.pk]
    assert run.status == Status.QUEUED
    assert run.dispatched_at is None and run.worker_host == ""
    assert run.progress_message.startswith("Re-queued: The worker stopped reporting: "
                                           "no heartbeat from gpu-7")
    assert run.history[-1]["event"] == "reaped" and run.history[-1]["requeued"] is True
    assert services.claim_run(run_id=run.pk, worker_host="b") == 2


def test_the_reaper_fails_a_run_whose_heartbeat_stopped_on_its_last_attempt(run, settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    settings.REPLICATION_MAX_ATTEMPTS = 1
    services.claim_run(run_id=run.pk, worker_host="gpu-7")
    _age_heartbeat(run.pk, 300)

    reaped = services.reap_stale_runs()

    run.refresh_from_db()
    assert reaped == [run.pk]
    assert run.status == Status.FAILED
    assert "no heartbeat from gpu-7" in run.error
    assert "that was its last of 1 attempts (REPLICATION_MAX_ATTEMPTS)" in run.error
    assert "Re-queue" in run.error
    assert run.history[-1]["event"] == "reaped"


def test_a_redelivered_task_takes_over_at_once_when_the_claiming_process_died(run):
    """A pool child killed by the OOM killer: its message comes back at once
    (reject_on_worker_lost) while its heartbeat is still fresh."""
    import subprocess
    import sys

    services.claim_run(run_id=run.pk, worker_host="w1")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    history = ReplicationRun.objects.get(pk=run.pk).history
    history[-1]["pid"] = int(dead.stdout)  # the claim was made by a process now gone
    ReplicationRun.objects.filter(pk=run.pk).update(history=history)

    assert services.claim_run(run_id=run.pk, worker_host="w1") == 2
    claim = ReplicationRun.objects.get(pk=run.pk).history[-1]
    assert claim["because"] == "its process died" and claim["reclaimed_from"] == "w1"


def test_a_live_claiming_process_is_not_taken_over(run):
    import os

    services.claim_run(run_id=run.pk, worker_host="w1")
    history = ReplicationRun.objects.get(pk=run.pk).history
    history[-1]["pid"] = os.getppid()  # alive: the process that started the tests
    ReplicationRun.objects.filter(pk=run.pk).update(history=history)

    assert services.claim_run(run_id=run.pk, worker_host="w2") is None


def test_the_reaper_leaves_live_runs_alone(run, settings):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    services.claim_run(run_id=run.pk, worker_host="a")

    assert services.reap_stale_runs() == []
    run.refresh_from_db()
    assert run.status == Status.RUNNING


def test_the_reaper_fails_a_run_past_its_hard_limit_even_with_a_heartbeat(run, settings):
    settings.REPLICATION_TIME_LIMIT_GRACE = 0
    services.claim_run(run_id=run.pk, worker_host="a")
    ReplicationRun.objects.filter(pk=run.pk).update(
        started_at=timezone.now() - dt.timedelta(seconds=run.spec.time_limit + 5)
    )

    assert services.reap_stale_runs() == [run.pk]
    run.refresh_from_db()
    assert "hard time limit" in run.error


def test_a_task_redelivered_after_the_reaper_does_nothing(run, settings, tmp_path):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    settings.REPLICATION_MAX_ATTEMPTS = 1
    services.claim_run(run_id=run.pk, worker_host="killed")
    _age_heartbeat(run.pk, 300)
    services.reap_stale_runs()

    from replication.execution import execute_run

    assert execute_run(run_id=run.pk, worker_host="late", out_dir=tmp_path) == "skipped"
    run.refresh_from_db()
    assert run.status == Status.FAILED
    assert not ReplicationResult.objects.filter(run=run).exists()


def test_a_reaped_run_is_requeued_as_the_same_run(
    run, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.REPLICATION_STALE_AFTER_SECONDS = 60
    settings.REPLICATION_MAX_ATTEMPTS = 1
    sent = []
    monkeypatch.setattr(
        "replication.tasks.run_replication.apply_async",
        lambda **kw: sent.append(kw) or type("R", (), {"id": "t-1"})(),
    )
    services.claim_run(run_id=run.pk, worker_host="killed")
    _age_heartbeat(run.pk, 300)
    services.reap_stale_runs()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.requeue_run(run_id=run.pk, by="operator")

    run.refresh_from_db()
    assert run.status == Status.QUEUED
    assert run.error == ""
    assert run.history[-1]["event"] == "requeued"
    assert "no heartbeat" in run.history[-1]["previous_error"]
    assert [s["args"] for s in sent] == [[run.pk]]
    settings.REPLICATION_MAX_ATTEMPTS = 3
    assert services.claim_run(run_id=run.pk, worker_host="b") == 2


def test_only_failed_or_cancelled_runs_are_requeued(run):
    assert services.requeue_run(run_id=run.pk) is False
