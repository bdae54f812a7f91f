"""Settings of replication runs, read from the environment at import (strictly parsed).

Each value may also be set in Django settings under the same name (tests override them
with ``settings`` fixtures); the environment gives the default.

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
- ``REPLICATION_PROGRESS_PAUSE`` (0): seconds the worker waits after each progress write.
  A test hook only: the crash tests set it so a small run lasts long enough to be killed
  in the middle, on a fast machine as on a busy one. Never set it in production.
"""

from __future__ import annotations

from django.conf import settings

from tracker.env import env_float, env_int

_DEFAULTS = {
    "REPLICATION_HEARTBEAT_SECONDS": env_float("REPLICATION_HEARTBEAT_SECONDS", 15.0, minimum=0.1),
    "REPLICATION_STALE_AFTER_SECONDS": env_float(
        "REPLICATION_STALE_AFTER_SECONDS", 120.0, minimum=0.5
    ),
    "REPLICATION_PROGRESS_INTERVAL": env_float("REPLICATION_PROGRESS_INTERVAL", 3.0, minimum=0.0),
    "REPLICATION_MAX_ATTEMPTS": env_int("REPLICATION_MAX_ATTEMPTS", 3, minimum=1),
    "REPLICATION_RESEND_AFTER_SECONDS": env_float(
        "REPLICATION_RESEND_AFTER_SECONDS", 600.0, minimum=0.5
    ),
    "REPLICATION_TIME_LIMIT": env_int("REPLICATION_TIME_LIMIT", 3600, minimum=10),
    "REPLICATION_SOFT_TIME_LIMIT": env_int("REPLICATION_SOFT_TIME_LIMIT", 3300, minimum=5),
    "REPLICATION_TIME_LIMIT_GRACE": env_int("REPLICATION_TIME_LIMIT_GRACE", 300, minimum=0),
    "REPLICATION_PROGRESS_PAUSE": env_float("REPLICATION_PROGRESS_PAUSE", 0.0, minimum=0.0),
}


def get(name: str):  # noqa: ANN201 - int or float, by name
    return getattr(settings, name, _DEFAULTS[name])


def heartbeat_seconds() -> float:
    return float(get("REPLICATION_HEARTBEAT_SECONDS"))


def stale_after_seconds() -> float:
    return float(get("REPLICATION_STALE_AFTER_SECONDS"))


def progress_interval() -> float:
    return float(get("REPLICATION_PROGRESS_INTERVAL"))


def progress_pause() -> float:
    return float(get("REPLICATION_PROGRESS_PAUSE"))


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
