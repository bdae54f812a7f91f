"""The replication status of candidacies for the leaderboard, in one query."""

from __future__ import annotations

from collections.abc import Iterable

from replication.models import ReplicationRun


def latest_run_labels(candidacy_ids: Iterable[int]) -> dict[int, str]:
    """Per candidacy, its latest run as a short label: "beats (run 4)", "running 40%"...
    The label's columns only: a run's history and provenance and a result's results are
    JSON a leaderboard page would decode for every run of its 50 candidacies."""
    runs = (
        ReplicationRun.objects.filter(spec__candidacy_id__in=list(candidacy_ids))
        .order_by("spec__candidacy_id", "-queued_at", "-pk")
        .values_list("spec__candidacy_id", "pk", "status", "progress", "result__pk",
                     "result__verdict")
    )
    labels: dict[int, str] = {}
    for candidacy_id, pk, status, progress, result_pk, verdict in runs:
        if candidacy_id is None or candidacy_id in labels:  # None: excluded by the filter
            continue
        labels[candidacy_id] = _label(pk, status, progress, verdict if result_pk else None)
    return labels


def _label(pk: int, status: str, progress: int, verdict: str | None) -> str:
    if status == ReplicationRun.Status.SUCCEEDED and verdict is not None:
        return f"{verdict} (run {pk})"
    if status == ReplicationRun.Status.RUNNING:
        return f"running {progress}% (run {pk})"
    return f"{dict(ReplicationRun.Status.choices).get(status, status).lower()} (run {pk})"
