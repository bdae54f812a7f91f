"""Workflows of replication runs: typed, keyword-only, each in one transaction.

The run's lifecycle is a set of conditional updates, each checking its row count
(healthchecks' ``sendalerts`` claims checks the same way), so no two workers ever own a
run and no result is written twice:

    queued --claim_run--> running --finish_run--> succeeded (one ReplicationResult)
      ^                      |   \\--fail_run----> failed
      |                      |    \\-reap_stale_runs, attempts left --> queued (resent)
      |                      |     \\reap_stale_runs, none left -----> failed
      |                      \\-cancel_run--> cancelled
      \\---- requeue_run: failed/cancelled

``attempts`` is the fencing token: a claim increments it, and every later write of that
worker (progress, heartbeat, finish, fail) names the attempt it holds. A worker whose run
was re-claimed, reaped or cancelled gets :class:`RunLost` and stops.

Delivery is at least once, and the row is the source of truth: a message that never
reached the broker, or that the broker lost, is sent again by :func:`redispatch_queued_runs`;
a run whose worker died is taken over by its redelivered task or re-queued by
:func:`reap_stale_runs`. Both run in beat's process (``tracker.beat``), so they need no
worker. A duplicate message is harmless: it finds the run claimed or finished and stops.

Nothing here imports the harness except :func:`parse_spec_text`, which imports only the
harness's pure spec module (no torch): the web process can validate a spec.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from replication import conf, liveness
from replication.models import ReplicationResult, ReplicationRun, ReplicationSpec, is_cuda
from tracker.models import Candidacy, Claim
from tracker.queueing import QueueUnavailable, after_commit, send_now

log = logging.getLogger(__name__)

Status = ReplicationRun.Status
RUN_TASK = "replication.run"


class RunLost(Exception):
    """The worker no longer owns the run: it was cancelled, reaped or re-claimed."""


# --- specs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedSpec:
    spec_hash: str
    task: str
    device: str
    name: str
    format: str


def parse_spec_text(*, text: str) -> ParsedSpec:
    """Validate spec text with the harness's own parser; ValidationError names the field."""
    from replication.harness.errors import SpecError
    from replication.harness.spec import parse_spec, spec_format, spec_hash

    try:
        spec = parse_spec(text)
    except SpecError as exc:
        raise ValidationError(f"Spec field {exc.field or '(top level)'}: {exc.detail}") from None
    is_json = spec_format(text) == "json"
    fmt = ReplicationSpec.Format.JSON if is_json else ReplicationSpec.Format.TOML
    return ParsedSpec(spec_hash=spec_hash(spec), task=spec.task, device=spec.device,
                      name=spec.name, format=fmt)


def check_time_limits(*, time_limit: int, soft_time_limit: int) -> None:
    if soft_time_limit >= time_limit:
        raise ValidationError(
            f"The soft time limit ({soft_time_limit} s) must be below the hard limit "
            f"({time_limit} s)."
        )
    visibility = conf.visibility_timeout()
    if visibility is not None and time_limit >= visibility:
        raise ValidationError(
            f"The hard time limit ({time_limit} s) must be below the broker's visibility "
            f"timeout ({visibility} s), or Redis would hand the task to a second worker "
            "while the first still runs it. Raise CELERY_VISIBILITY_TIMEOUT or lower the limit."
        )


@transaction.atomic
def create_spec_version(
    *,
    key: str,
    text: str,
    title: str = "",
    candidacy: Candidacy | None = None,
    claims: Iterable[Claim] | None = None,
    note: str = "",
    time_limit: int | None = None,
    soft_time_limit: int | None = None,
    created_by: Any = None,
) -> ReplicationSpec:
    """Save ``text`` as the next version of spec ``key``, or return the latest version
    unchanged when it already has this text, limits and candidacy (loading twice is a no-op).

    Title, note and claims are descriptive: they are updated on the latest version in place
    (claims left as they are when ``claims`` is None).
    """
    parsed = parse_spec_text(text=text)
    time_limit = time_limit or conf.default_time_limit()
    soft_time_limit = soft_time_limit or min(conf.default_soft_time_limit(), time_limit - 1)
    check_time_limits(time_limit=time_limit, soft_time_limit=soft_time_limit)
    claim_list = None if claims is None else list(claims)
    if claim_list and candidacy is None:
        raise ValidationError("Claims can be tested only through their candidacy: set it.")
    if candidacy is not None and claim_list:
        strangers = [c for c in claim_list if c.candidacy_id != candidacy.pk]
        if strangers:
            raise ValidationError(f"Claim {strangers[0]} belongs to another candidacy.")
    latest = (
        ReplicationSpec.objects.select_for_update().filter(key=key).order_by("-version").first()
    )
    same = latest is not None and (
        latest.text == text
        and latest.time_limit == time_limit
        and latest.soft_time_limit == soft_time_limit
        and latest.candidacy_id == (candidacy.pk if candidacy else None)
    )
    if latest is not None and same:
        spec = latest
        if (spec.title, spec.note) != (title or spec.title, note):
            ReplicationSpec.objects.filter(pk=spec.pk).update(title=title or spec.title, note=note)
            spec.refresh_from_db()
    else:
        spec = ReplicationSpec.objects.create(
            key=key, version=(latest.version + 1) if latest else 1,
            title=title or parsed.name, text=text, format=parsed.format,
            spec_hash=parsed.spec_hash, task=parsed.task, device=parsed.device,
            time_limit=time_limit, soft_time_limit=soft_time_limit, candidacy=candidacy,
            note=note, previous=latest, created_by=created_by,
        )
    if claim_list is not None or not same:
        spec.claims.set(claim_list or [])
    return spec


def latest_specs_for(*, candidacies: Iterable[Candidacy] = (),
                     claims: Iterable[Claim] = ()) -> list[ReplicationSpec]:
    """The latest version of every spec that tests these candidacies or claims."""
    found = ReplicationSpec.objects.filter(
        Q(candidacy__in=list(candidacies)) | Q(claims__in=list(claims))
    ).distinct()
    keys = {s.key for s in found}
    return [
        spec for key in sorted(keys)
        if (spec := ReplicationSpec.objects.filter(key=key).order_by("-version").first())
        is not None
    ]


# --- enqueue and dispatch -----------------------------------------------------------------


def queue_for(device: str) -> str:
    return "gpu" if is_cuda(device) else "default"


def _note(run_id: int, event: str, **detail: Any) -> None:
    """Append an event to the run's history (under a row lock)."""
    with transaction.atomic():
        run = ReplicationRun.objects.select_for_update().only("history").get(pk=run_id)
        entry = {"at": timezone.now().isoformat(timespec="seconds"), "event": event, **detail}
        ReplicationRun.objects.filter(pk=run_id).update(history=[*run.history, entry])


def create_run(*, spec: ReplicationSpec, device: str | None = None,
               requested_by: Any = None, queue: str | None = None,
               reproduces: ReplicationRun | None = None) -> ReplicationRun:
    """A queued run of ``spec``, not yet sent to any broker; with ``reproduces``, a re-run
    of that (succeeded) run's spec version whose page says whether it agrees."""
    if reproduces is not None:
        if reproduces.spec_id != spec.pk:
            raise ValidationError("A reproduction runs the same spec version as its run.")
        if reproduces.status != Status.SUCCEEDED:
            raise ValidationError(f"Run {reproduces.pk} has no result to reproduce "
                                  f"(it is {reproduces.status}).")
    device = device or spec.device
    check_time_limits(time_limit=spec.time_limit, soft_time_limit=spec.soft_time_limit)
    run = ReplicationRun.objects.create(
        spec=spec, device=device, queue=queue or queue_for(device), requested_by=requested_by,
        reproduces=reproduces,
        history=[{"at": timezone.now().isoformat(timespec="seconds"), "event": "queued",
                  "by": str(requested_by) if requested_by else ""}],
    )
    return run


def reproduce_run(*, run: ReplicationRun, device: str | None = None,
                  requested_by: Any = None) -> ReplicationRun:
    """A queued re-run of ``run``'s spec version (not sent): see :func:`create_run`."""
    return create_run(spec=run.spec, device=device, requested_by=requested_by, reproduces=run)


def enqueue_run(*, spec: ReplicationSpec, device: str | None = None,
                requested_by: Any = None, queue: str | None = None) -> ReplicationRun:
    """Save a queued run and send it to the broker once the transaction commits.

    A broker that cannot be reached raises nothing here (tracker.queueing.after_commit):
    the run stays queued with ``dispatch_error`` set, and the reconciler sends it when the
    broker is back. A caller that must say so at once saves with :func:`create_run` and
    sends with :func:`dispatch_run`.
    """
    with transaction.atomic():
        run = create_run(spec=spec, device=device, requested_by=requested_by, queue=queue)
        after_commit(lambda: dispatch_run(run_id=run.pk))
    return run


def dispatch_run(*, run_id: int) -> str:
    """Send a queued run to its queue now, with the spec's time limits; returns the task id.

    Raises :class:`~tracker.queueing.QueueUnavailable` when the broker cannot be reached,
    after recording the error on the run (``dispatch_error``); the run stays queued and the
    reconciler sends it later. Call it outside a transaction, once the run is saved."""
    run = ReplicationRun.objects.select_related("spec").get(pk=run_id)
    if run.status != Status.QUEUED:
        return ""
    try:
        task_id = send_now(
            RUN_TASK, args=[run.pk], queue=run.queue,
            time_limit=run.spec.time_limit, soft_time_limit=run.spec.soft_time_limit,
            retry=True, retry_policy={"max_retries": 1, "interval_start": 0.2},
        )
    except QueueUnavailable as exc:
        ReplicationRun.objects.filter(pk=run_id).update(
            dispatch_error=str(exc.__cause__ or exc)[:1000]
        )
        raise
    ReplicationRun.objects.filter(pk=run_id).update(
        dispatched_at=timezone.now(), task_id=task_id, dispatch_error=""
    )
    return task_id


def redispatch_queued_runs(*, older_than: float = 60.0,
                           now: dt.datetime | None = None) -> list[int]:
    """Send again the queued runs whose message may be lost; returns their ids.

    Two kinds: runs the broker never accepted (it was down when they were saved), and runs
    still queued ``REPLICATION_RESEND_AFTER_SECONDS`` after they were sent while their
    queue on the broker holds fewer messages than such runs (the broker lost them: Redis
    restarted without its data). A queue still holding as many messages may hold theirs,
    so nothing is resent there; a duplicate would anyway be skipped by the fenced claim.
    """
    from tracker.broker import BrokerUnavailable, queue_depths

    now = now or timezone.now()
    queued = ReplicationRun.objects.filter(status=Status.QUEUED)
    never_sent = list(queued.filter(
        dispatched_at__isnull=True, queued_at__lt=now - dt.timedelta(seconds=older_than)
    ).values_list("pk", flat=True))
    waiting = list(queued.filter(
        dispatched_at__lt=now - dt.timedelta(seconds=conf.resend_after_seconds())
    ).values_list("pk", "queue"))
    maybe_lost: list[int] = []
    if waiting:
        try:
            depths = queue_depths(q for _, q in waiting)
        except BrokerUnavailable:
            return []
        per_queue: dict[str, list[int]] = {}
        for pk, queue in waiting:
            per_queue.setdefault(queue, []).append(pk)
        for queue, ids in per_queue.items():
            if depths.get(queue, 0) < len(ids):
                maybe_lost.extend(ids)
    sent = []
    for run_id in [*never_sent, *maybe_lost]:
        try:
            dispatch_run(run_id=run_id)
        except QueueUnavailable:
            break
        if run_id in maybe_lost:
            _note(run_id, "resent", reason="still queued and not on the broker")
        sent.append(run_id)
    return sent


# --- the worker's side --------------------------------------------------------------------


def claim_run(*, run_id: int, worker_host: str, now: dt.datetime | None = None) -> int | None:
    """Take the run for this worker; returns the attempt number, or None if not ours.

    A queued run is claimed. A running run is taken over (a redelivered task, its earlier
    attempt dead) while it has had fewer than REPLICATION_MAX_ATTEMPTS attempts, when its
    heartbeat is stale, or at once when the process that claimed it ran on this machine
    and has died (a pool child killed by the OOM killer). One conditional UPDATE on the
    attempt read, so two workers can never both succeed.
    """
    now = now or timezone.now()
    stale_before = now - dt.timedelta(seconds=conf.stale_after_seconds())
    with transaction.atomic():
        previous = (
            ReplicationRun.objects.filter(pk=run_id)
            .values("status", "worker_host", "heartbeat_at", "attempts", "history").first()
        )
        if previous is None:
            return None
        claimable = Q(status=Status.QUEUED) | Q(
            status=Status.RUNNING, heartbeat_at__lt=stale_before, attempts__lt=conf.max_attempts()
        )
        holder_dead = (
            previous["status"] == Status.RUNNING
            and previous["attempts"] < conf.max_attempts()
            and liveness.holder_is_dead(previous["history"] or [])
        )
        if holder_dead:
            claimable |= Q(status=Status.RUNNING, attempts=previous["attempts"])
        updated = ReplicationRun.objects.filter(
            claimable, pk=run_id, attempts=previous["attempts"]
        ).update(
            status=Status.RUNNING, attempts=F("attempts") + 1, worker_host=worker_host[:200],
            started_at=now, heartbeat_at=now, progress=0, progress_message="claimed by a worker",
            error="", traceback="",
        )
        if updated != 1:
            return None
        attempt = previous["attempts"] + 1
    detail: dict[str, Any] = {"attempt": attempt, "worker": worker_host,
                              **liveness.this_process()}
    if previous["status"] == Status.RUNNING:
        detail["reclaimed_from"] = previous["worker_host"]
        detail["last_heartbeat"] = (
            previous["heartbeat_at"].isoformat(timespec="seconds")
            if previous["heartbeat_at"] else None
        )
        detail["because"] = "its process died" if holder_dead else "its heartbeat was stale"
    _note(run_id, "claimed", **detail)
    return attempt


def _owned(run_id: int, attempt: int):  # noqa: ANN202 - a queryset
    return ReplicationRun.objects.filter(pk=run_id, status=Status.RUNNING, attempts=attempt)


def _lost(run_id: int, attempt: int) -> RunLost:
    row = ReplicationRun.objects.filter(pk=run_id).values("status", "attempts").first()
    if row is None:
        return RunLost(f"run {run_id} no longer exists")
    if row["status"] != Status.RUNNING:
        return RunLost(f"run {run_id} is {row['status']} now")
    return RunLost(f"run {run_id} was re-claimed (attempt {row['attempts']}, ours {attempt})")


def record_progress(*, run_id: int, attempt: int, fraction: float, message: str) -> None:
    """Write progress (0-100) and the heartbeat; RunLost if this attempt no longer owns it."""
    percent = max(0, min(100, int(round(float(fraction) * 100))))
    updated = _owned(run_id, attempt).update(
        progress=percent, progress_message=message[:300], heartbeat_at=timezone.now()
    )
    if updated != 1:
        raise _lost(run_id, attempt)


def touch_heartbeat(*, run_id: int, attempt: int) -> bool:
    """Refresh the heartbeat; False when this attempt no longer owns the run."""
    return _owned(run_id, attempt).update(heartbeat_at=timezone.now()) == 1


class ThrottledProgress:
    """The harness's ``progress(fraction, message)`` callback: writes at most once per
    ``interval`` seconds (always the first and the last call), and raises RunLost as soon as
    the run was cancelled or taken over, which stops the harness at its next report."""

    def __init__(self, *, run_id: int, attempt: int, interval: float | None = None) -> None:
        self.run_id = run_id
        self.attempt = attempt
        self.interval = conf.progress_interval() if interval is None else interval
        self._last = float("-inf")
        self.writes = 0

    def __call__(self, fraction: float, message: str) -> None:
        now = time.monotonic()
        if now - self._last < self.interval and fraction < 1.0:
            return
        self._last = now
        self.writes += 1
        record_progress(run_id=self.run_id, attempt=self.attempt, fraction=fraction,
                        message=message)


def artifact_dir(run_id: int) -> Path:
    return Path(settings.VAR_DIR) / "replications" / str(run_id)


def finish_run(*, run_id: int, attempt: int, results: dict[str, Any], out_dir: Path,
               artifacts: list[str], device_used: str = "") -> ReplicationResult:
    """Publish the run's files through the artefact storage (``replication.artifacts``),
    then mark the run succeeded and save its one result, in one transaction."""
    import json

    from replication import artifacts as store
    from replication.records import provenance_of

    if not _owned(run_id, attempt).exists():
        raise _lost(run_id, attempt)
    files = store.read_folder(Path(out_dir), artifacts)
    if "results.json" in artifacts and "results.json" not in files:
        files["results.json"] = json.dumps(results, indent=2).encode("utf-8")
    published = store.publish(run_id=run_id, files=files)
    now = timezone.now()
    try:
        with transaction.atomic():
            updated = _owned(run_id, attempt).update(
                status=Status.SUCCEEDED, progress=100, finished_at=now, heartbeat_at=now,
                progress_message=f"done: {results.get('verdict', '')}"[:300],
                device_used=device_used[:200], provenance=provenance_of(results),
            )
            if updated != 1:
                raise _lost(run_id, attempt)
            result = ReplicationResult.objects.create(
                run_id=run_id, spec_hash=str(results.get("spec_hash", "")),
                verdict=str(results.get("verdict", "")), results=results,
                artifact_dir=published, attempt=attempt,
                artifacts=[name for name in artifacts if name in files],
            )
    except IntegrityError as exc:  # a result already exists: never a second one
        raise RunLost(f"run {run_id} already has a result") from exc
    _note(run_id, "succeeded", attempt=attempt, verdict=result.verdict)
    return result


def fail_run(*, run_id: int, error: str, traceback: str = "", attempt: int | None = None) -> bool:
    """Fail a run this attempt owns (or, with no attempt, any queued or running run)."""
    rows = (_owned(run_id, attempt) if attempt is not None else
            ReplicationRun.objects.filter(pk=run_id, status__in=[Status.QUEUED, Status.RUNNING]))
    updated = rows.update(status=Status.FAILED, finished_at=timezone.now(), error=error,
                          traceback=traceback)
    if updated:
        _note(run_id, "failed", attempt=attempt, error=error[:500])
    return updated == 1


def cancel_run(*, run_id: int, by: Any = None) -> bool:
    """Cancel a queued or running run; a running worker stops at its next progress report."""
    who = f" by {by}" if by else ""
    updated = ReplicationRun.objects.filter(
        pk=run_id, status__in=[Status.QUEUED, Status.RUNNING]
    ).update(status=Status.CANCELLED, finished_at=timezone.now(), error=f"Cancelled{who}.")
    if updated:
        _note(run_id, "cancelled", by=str(by or ""))
    return updated == 1


def requeue_run(*, run_id: int, by: Any = None) -> bool:
    """Put a failed or cancelled run back in its queue (the same run, the next attempt).

    The run is sent once the transaction commits (tracker.queueing.after_commit): with the
    broker down it stays queued with ``dispatch_error`` set, which the caller can read, and
    the reconciler sends it later. Returns False if the run was not failed or cancelled.
    """
    with transaction.atomic():
        row = ReplicationRun.objects.filter(pk=run_id).values("error").first()
        updated = ReplicationRun.objects.filter(
            pk=run_id, status__in=[Status.FAILED, Status.CANCELLED]
        ).update(
            status=Status.QUEUED, progress=0, progress_message="", error="", traceback="",
            finished_at=None, started_at=None, heartbeat_at=None, dispatched_at=None,
            dispatch_error="", worker_host="",
        )
        if not updated:
            return False
        _note(run_id, "requeued", by=str(by or ""), previous_error=row["error"] if row else "")
        after_commit(lambda: dispatch_run(run_id=run_id))
    return True


def reap_stale_runs(*, now: dt.datetime | None = None,
                    requeued: list[int] | None = None) -> list[int]:
    """Runs whose worker stopped (no heartbeat for REPLICATION_STALE_AFTER_SECONDS) are
    re-queued while they have attempts left (their ids also appended to ``requeued``, for
    the caller to send), and failed with the reason after that; runs past their hard time
    limit plus REPLICATION_TIME_LIMIT_GRACE are failed. Returns the ids it touched."""
    now = now or timezone.now()
    stale_after = conf.stale_after_seconds()
    cutoff = now - dt.timedelta(seconds=stale_after)
    reaped: list[int] = []
    requeued = [] if requeued is None else requeued
    running = ReplicationRun.objects.filter(status=Status.RUNNING).select_related("spec")
    for run in running:
        heartbeat = run.heartbeat_at or run.started_at
        overdue_at = (run.started_at or now) + dt.timedelta(
            seconds=run.spec.time_limit + conf.time_limit_grace()
        )
        if heartbeat is not None and heartbeat < cutoff:
            age = (now - heartbeat).total_seconds()
            lost = (
                f"The worker stopped reporting: no heartbeat from "
                f"{run.worker_host or 'the worker'} "
                f"since {heartbeat:%Y-%m-%d %H:%M:%S} UTC ({age:.0f} s ago; the limit is "
                f"{stale_after:.0f} s) during attempt {run.attempts}."
            )
            rows = ReplicationRun.objects.filter(
                pk=run.pk, status=Status.RUNNING, attempts=run.attempts, heartbeat_at__lt=cutoff
            )
            if run.attempts < conf.max_attempts():
                # The status and its history entry commit together: no reader sees a
                # re-queued run without the reason.
                with transaction.atomic():
                    requeued_now = rows.update(
                        status=Status.QUEUED, progress=0, heartbeat_at=None, started_at=None,
                        dispatched_at=None, dispatch_error="", worker_host="",
                        progress_message=f"Re-queued: {lost}"[:300],
                    ) == 1
                    if requeued_now:
                        _note(run.pk, "reaped", attempt=run.attempts, requeued=True, error=lost)
                if requeued_now:
                    log.warning("Re-queued replication run %s: %s", run.pk, lost)
                    requeued.append(run.pk)
                    reaped.append(run.pk)
                continue
            reason = (
                f"{lost} It was probably killed (out of memory, SIGKILL, host lost), and "
                f"that was its last of {conf.max_attempts()} attempts "
                "(REPLICATION_MAX_ATTEMPTS). Re-queue the run to try again."
            )
        elif now > overdue_at:
            reason = (
                f"The run passed its hard time limit ({run.spec.time_limit} s) by more than "
                f"{conf.time_limit_grace()} s on {run.worker_host or 'the worker'} without "
                f"finishing (attempt {run.attempts}). Re-queue it, or raise the spec's limit."
            )
            rows = ReplicationRun.objects.filter(pk=run.pk, status=Status.RUNNING,
                                                 attempts=run.attempts)
        else:
            continue
        with transaction.atomic():
            failed_now = rows.update(status=Status.FAILED, finished_at=now, error=reason) == 1
            if failed_now:
                _note(run.pk, "reaped", attempt=run.attempts, error=reason)
        if failed_now:
            log.warning("Reaped replication run %s: %s", run.pk, reason)
            reaped.append(run.pk)
    return reaped


def reconcile_runs(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """The reconciler's replication step: reap (re-queued runs are sent at once), then
    resend what may be lost."""
    requeued: list[int] = []
    reaped = reap_stale_runs(now=now, requeued=requeued)
    for run_id in requeued:
        try:
            dispatch_run(run_id=run_id)
        except QueueUnavailable:
            break  # still queued, never sent: redispatch_queued_runs sends it later
    return {"reaped": reaped, "redispatched": redispatch_queued_runs(now=now)}
