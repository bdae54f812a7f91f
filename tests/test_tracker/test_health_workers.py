"""/health/ shows every worker (one row per worker, by its node name, not one per machine)
and every queue with the workers heard from on it; "Ping the workers" sends a heartbeat to
every queue and the page shows who answered on each. With two real worker processes, one
per queue, on the same machine (as `make run` starts them)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.worker import running_worker, wait_for
from tracker.health import health
from tracker.models import WorkerHeartbeat

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _rows(page: str, table: str) -> list[str]:
    body = page[page.index(f'<table id="{table}">'):]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body[:body.index("</table>")], re.S)[1:]


def test_ping_reaches_both_queues_and_the_page_names_who_answered(admin_client):
    with running_worker(queues="default", hostname="default"), \
            running_worker(queues="gpu", hostname="gpu"):
        response = admin_client.post("/health/ping/")
        assert response.status_code == 302
        location = response["Location"]
        assert location.startswith("/health/?pinged=")
        assert wait_for(lambda: {q for b in WorkerHeartbeat.objects.all() for q in b.queues}
                        == {"default", "gpu"}, timeout=60)
    page = admin_client.get(location).content.decode()
    names = sorted(WorkerHeartbeat.objects.values_list("hostname", flat=True))
    assert len(names) == 2 and names[0].startswith("default@") and names[1].startswith("gpu@")
    answers = dict(re.findall(r'<li data-queue="(\w+)"><strong>\w+</strong>:\s*(.*?)</li>',
                              page, re.S))
    assert answers["default"].strip() == f"answered by {names[0]}"
    assert answers["gpu"].strip() == f"answered by {names[1]}"
    assert 'http-equiv="refresh"' not in page  # everyone answered: nothing to wait for
    workers = _rows(page, "workers")
    assert len(workers) == 2 and all("answering" in row for row in workers)
    queues = {row.split("</td>")[0].removeprefix("<td>"): row for row in _rows(page, "queues")}
    assert names[0] in queues["default"] and names[1] in queues["gpu"]


def test_a_queue_nobody_answers_on_is_named(admin_client):
    with running_worker(queues="default", hostname="default"):
        location = admin_client.post("/health/ping/")["Location"]
        assert wait_for(lambda: WorkerHeartbeat.objects.exists(), timeout=60)
    page = admin_client.get(location).content.decode()
    assert "no answer yet (this page reloads every 3 seconds for a minute)" in page
    assert 'http-equiv="refresh" content="3"' in page
    gpu = [row for row in _rows(page, "queues") if row.startswith("<td>gpu</td>")][0]
    assert "none</span>: no worker has answered a heartbeat on this queue lately" in gpu


def test_a_worker_not_heard_from_for_three_minutes_is_silent(db):
    WorkerHeartbeat.objects.create(hostname="gpu@old", beats=9, queues={
        "gpu": (timezone.now() - dt.timedelta(minutes=5)).isoformat()},
        seen_at=timezone.now() - dt.timedelta(minutes=5))
    state = health()
    assert [b.hostname for b in state.silent] == ["gpu@old"]
    assert {q.name: q.workers for q in state.queues} == {"default": [], "gpu": []}
