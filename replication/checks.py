"""System checks of replication settings (registered when replication.models is imported)."""

from __future__ import annotations

from django.core import checks

from replication import conf


@checks.register(checks.Tags.compatibility)
def check_time_limits(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The default hard limit must stay below the broker's visibility timeout (Redis), or a
    long run would be handed to a second worker while the first still runs it."""
    found: list[checks.CheckMessage] = []
    visibility = conf.visibility_timeout()
    limit = conf.default_time_limit()
    if visibility is not None and limit >= visibility:
        found.append(checks.Error(
            f"REPLICATION_TIME_LIMIT ({limit} s) is not below the broker's visibility "
            f"timeout ({visibility} s).",
            hint="Raise CELERY_VISIBILITY_TIMEOUT or lower REPLICATION_TIME_LIMIT.",
            id="replication.E001",
        ))
    if conf.default_soft_time_limit() >= limit:
        found.append(checks.Error(
            "REPLICATION_SOFT_TIME_LIMIT must be below REPLICATION_TIME_LIMIT.",
            id="replication.E002",
        ))
    if conf.stale_after_seconds() <= 2 * conf.heartbeat_seconds():
        found.append(checks.Warning(
            "REPLICATION_STALE_AFTER_SECONDS is at most twice REPLICATION_HEARTBEAT_SECONDS: "
            "a live run may be taken for dead after one late heartbeat.",
            id="replication.W001",
        ))
    return found
