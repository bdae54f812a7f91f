"""tracker.queueing, the one way to send a task: by name, after the commit, and one error
(QueueUnavailable) when the broker cannot be reached."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery.exceptions import NotRegistered
from kombu.exceptions import OperationalError

from tracker.queueing import QueueUnavailable, after_commit, send_now, send_on_commit
from tracker.tasks import heartbeat

pytestmark = pytest.mark.django_db

TASK = heartbeat.name  # "tracker.heartbeat"


@pytest.fixture
def sent(monkeypatch):
    calls: list[dict] = []

    def apply_async(**sending):
        calls.append(sending)
        return type("AsyncResult", (), {"id": f"task-{len(calls)}"})()

    monkeypatch.setattr(heartbeat, "apply_async", apply_async)
    return calls


@pytest.fixture
def broker_down(monkeypatch):
    def apply_async(**sending):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(heartbeat, "apply_async", apply_async)


def test_send_now_sends_the_named_task_with_its_options(sent):
    assert send_now(TASK, kwargs={"hostname": "h"}, queue="default") == "task-1"
    assert sent == [{"args": (), "kwargs": {"hostname": "h"}, "queue": "default"}]


def test_send_now_raises_queue_unavailable_with_the_brokers_error(broker_down):
    with pytest.raises(QueueUnavailable, match=r"The task queue cannot be reached \(Connection "
                       "refused\\)") as caught:
        send_now(TASK)

    assert caught.value.task == TASK
    assert isinstance(caught.value.__cause__, OperationalError)


def test_an_unknown_task_name_is_an_error_not_a_silent_send():
    with pytest.raises(NotRegistered):
        send_now("tracker.no_such_task")


def test_send_on_commit_sends_only_after_the_commit(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_on_commit(TASK, args=["h"])
        assert sent == []

    assert len(callbacks) == 1
    assert sent == [{"args": ["h"], "kwargs": None}]


def test_at_commit_a_broker_outage_is_logged_not_raised(broker_down, caplog,
                                                        django_capture_on_commit_callbacks):
    with caplog.at_level(logging.WARNING, logger="tracker.queueing"), \
            django_capture_on_commit_callbacks(execute=True):
        send_on_commit(TASK)

    assert f"Could not enqueue {TASK} (Connection refused)" in caplog.text


def test_after_commit_lets_other_errors_through(django_capture_on_commit_callbacks):
    def broken() -> None:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError, match="a bug"), \
            django_capture_on_commit_callbacks(execute=True):
        after_commit(broken)


def test_a_process_that_imported_no_tasks_module_resolves_every_name_the_services_send():
    """The web server imports no tasks module (only a worker discovers them at start)."""
    names = ["tracker.heartbeat", "tracker.ingest_arxiv", "replication.run",
             "forecasts.rescore_market", "forecasts.rescore_predictions"]
    script = (
        "import django; django.setup()\n"
        "import sys\n"
        "from tracker.queueing import _registered\n"
        "assert 'tracker.tasks' not in sys.modules\n"
        f"print([_registered(name).name for name in {names!r}])\n"
    )
    resolved = subprocess.run(
        [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tracker.settings"},
        capture_output=True, text=True, timeout=120,
    )

    assert resolved.returncode == 0, resolved.stderr
    assert resolved.stdout.strip().splitlines()[-1] == repr(names)
