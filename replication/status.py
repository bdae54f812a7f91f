"""The replication status of candidacies for the leaderboard, in one query."""

from __future__ import annotations

from collections.abc import Iterable

from replication.models import ReplicationRun


def latest_run_labels(candidacy_ids: Iterable[int]) -> dict[int, str]:
    """Per candidacy, its latest run as a short label: "beats (run 4)", "running 40%"..."""
    runs = (
        ReplicationRun.objects.filter(spec__candidacy_id__in=list(candidacy_ids))
        .select_related("spec", "result")
        .order_by("spec__candidacy_id", "-queued_at", "-pk")
    )
    labels: dict[int, str] = {}
    for run in runs:
        candidacy_id = run.spec.candidacy_id
        if candidacy_id is None or candidacy_id in labels:  # None: excluded by the filter
            continue
        labels[candidacy_id] = _label(run)
    return labels


def _label(run: ReplicationRun) -> str:
    if run.status == ReplicationRun.Status.SUCCEEDED and hasattr(run, "result"):
        return f"{run.result.verdict} (run {run.pk})"
    if run.status == ReplicationRun.Status.RUNNING:
        return f"running {run.progress}% (run {run.pk})"
    return f"{run.get_status_display().lower()} (run {run.pk})"
