"""Settings of replication runs: accessors over Django settings.

tracker/settings.py parses each from the environment at start-up (a bad value stops
start-up naming the variable); tests override them with the ``settings`` fixture.

- ``REPLICATION_HEARTBEAT_SECONDS`` (15): how often a running task touches its row.
- ``REPLICATION_STALE_AFTER_SECONDS`` (120): a running run whose heartbeat is older than
  this is presumed dead: the reaper fails it and a redelivered task may re-claim it.
- ``REPLICATION_PROGRESS_INTERVAL`` (3.0): at most one progress write per this many seconds.
- ``REPLICATION_MAX_ATTEMPTS`` (3): a run whose worker died is taken over (by its
  redelivered task) or re-queued (by the reconciler) while it has had fewer attempts
  than this; after that the reconciler fails it with the reason.
- ``REPLICATION_RESEND_AFTER_SECONDS`` (600): a run still queued this long after its
  message was sent, while its queue on the broker is empty, is sent again (the broker
  lost the message, e.g. Redis restarted without its data).
- ``REPLICATION_TIME_LIMIT`` (3600) and ``REPLICATION_SOFT_TIME_LIMIT`` (3300): the
  default hard and soft limits in seconds of a spec that sets none.
- ``REPLICATION_TIME_LIMIT_GRACE`` (300): the reaper fails a run that has been running
  longer than its hard limit plus this grace, whatever its heartbeat says.
"""

from __future__ import annotations

from django.conf import settings


def get(name: str):  # noqa: ANN201 - int or float, by name
    return getattr(settings, name)


def heartbeat_seconds() -> float:
    return float(get("REPLICATION_HEARTBEAT_SECONDS"))


def stale_after_seconds() -> float:
    return float(get("REPLICATION_STALE_AFTER_SECONDS"))


def progress_interval() -> float:
    return float(get("REPLICATION_PROGRESS_INTERVAL"))


def max_attempts() -> int:
    return int(get("REPLICATION_MAX_ATTEMPTS"))


def resend_after_seconds() -> float:
    return float(get("REPLICATION_RESEND_AFTER_SECONDS"))


def default_time_limit() -> int:
    return int(get("REPLICATION_TIME_LIMIT"))


def default_soft_time_limit() -> int:
    return int(get("REPLICATION_SOFT_TIME_LIMIT"))


def time_limit_grace() -> int:
    return int(get("REPLICATION_TIME_LIMIT_GRACE"))


def visibility_timeout() -> int | None:
    """The broker's redelivery timeout in seconds, where the transport has one (Redis)."""
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    value = options.get("visibility_timeout")
    return int(value) if value is not None else None
