"""What /health/ shows: the queues' depths, what each worker is running, the last
ingestion and recent failures, read from the broker and the database (the rows are the
source of truth; no broadcast to the workers is needed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from tracker.broker import BrokerUnavailable, queue_depths
from tracker.models import SearchRun, WorkerHeartbeat

QUEUES = ("default", "gpu")
RECENT = 5
# Beat sends a heartbeat to each queue every minute: a worker not heard from in three is
# shown as silent.
SILENT_AFTER = dt.timedelta(minutes=3)


@dataclass(frozen=True)
class Queue:
    name: str
    depth: int | None  # None when the broker cannot be asked
    workers: list[str]  # the workers heard from on it lately


@dataclass(frozen=True)
class PingAnswer:
    queue: str
    workers: list[WorkerHeartbeat]  # those that answered on it since the ping


@dataclass
class Health:
    beats: list[WorkerHeartbeat]
    depths: dict[str, int] = field(default_factory=dict)
    broker_error: str = ""
    running: list[dict[str, Any]] = field(default_factory=list)
    last_ingestion: SearchRun | None = None
    failed_ingestions: list[SearchRun] = field(default_factory=list)
    failed_runs: list[Any] = field(default_factory=list)
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def silent(self) -> list[WorkerHeartbeat]:
        """Workers not heard from on any queue for SILENT_AFTER."""
        return [b for b in self.beats if self.now - b.seen_at > SILENT_AFTER]

    @property
    def queues(self) -> list[Queue]:
        """Every queue, with its depth and the workers lately heard from on it."""
        return [Queue(name, self.depths.get(name) if not self.broker_error else None,
                      [b.hostname for b in self.beats
                       if (seen := b.seen_on(name)) and self.now - seen <= SILENT_AFTER])
                for name in QUEUES]

    def answers(self, since: dt.datetime) -> list[PingAnswer]:
        """Per queue, the workers that answered on it after ``since`` (a ping)."""
        return [PingAnswer(name, [b for b in self.beats
                                  if (seen := b.seen_on(name)) and seen >= since])
                for name in QUEUES]


def health() -> Health:
    from replication.models import ReplicationRun

    state = Health(beats=list(WorkerHeartbeat.objects.order_by("hostname")[:50]))
    try:
        state.depths = queue_depths(QUEUES)
    except BrokerUnavailable as exc:
        state.broker_error = str(exc)
    Status = ReplicationRun.Status
    for run in (ReplicationRun.objects.filter(status=Status.RUNNING)
                .select_related("spec").order_by("worker_host", "pk")):
        state.running.append({
            "worker": run.worker_host, "what": f"replication run {run.pk} ({run.spec.key})",
            "url": run.get_absolute_url(), "progress": f"{run.progress}%",
            "since": run.started_at, "heartbeat": run.heartbeat_at,
        })
    for ingestion in (SearchRun.objects.filter(status=SearchRun.Status.RUNNING)
                      .select_related("search").order_by("started_at")):
        state.running.append({
            "worker": "", "what": f"arXiv ingestion: {ingestion.search or ingestion.query}",
            "url": "", "progress": f"{ingestion.pages} pages",
            "since": ingestion.started_at, "heartbeat": None,
        })
    state.last_ingestion = SearchRun.objects.select_related("search").order_by(
        "-started_at").first()
    state.failed_ingestions = list(
        SearchRun.objects.filter(status=SearchRun.Status.FAILED).select_related("search")
        .order_by("-started_at")[:RECENT]
    )
    state.failed_runs = list(
        ReplicationRun.objects.filter(status=Status.FAILED).select_related("spec")
        .order_by("-finished_at", "-pk")[:RECENT]
    )
    return state


def database_answers() -> bool:
    """One ``SELECT 1``: whether the database answers (the liveness probe)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)
