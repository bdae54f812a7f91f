"""What /health/ shows: the queues' depths, what each worker is running, the last
ingestion and recent failures, read from the broker and the database (the rows are the
source of truth; no broadcast to the workers is needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.broker import BrokerUnavailable, queue_depths
from tracker.models import SearchRun, WorkerHeartbeat

QUEUES = ("default", "gpu")
RECENT = 5


@dataclass
class Health:
    beats: list[WorkerHeartbeat]
    depths: dict[str, int] = field(default_factory=dict)
    broker_error: str = ""
    running: list[dict[str, Any]] = field(default_factory=list)
    last_ingestion: SearchRun | None = None
    failed_ingestions: list[SearchRun] = field(default_factory=list)
    failed_runs: list[Any] = field(default_factory=list)


def health() -> Health:
    from replication.models import ReplicationRun

    state = Health(beats=list(WorkerHeartbeat.objects.all()[:10]))
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
