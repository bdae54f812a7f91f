"""Ingestion settings, read once from the environment with tracker.env's strict helpers.

A Django setting of the same name, when present, wins (tests use override_settings).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from tracker.env import env_float, env_int, env_url

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
#: arXiv asks for no more than one request every three seconds.
MIN_POLITE_DELAY = 3.0


@dataclass(frozen=True)
class IngestionConfig:
    api_url: str = DEFAULT_API_URL
    page_size: int = 100
    delay_seconds: float = MIN_POLITE_DELAY
    num_retries: int = 3
    backoff_seconds: float = 5.0
    timeout_seconds: float = 30.0
    lock_stale_seconds: int = 2 * 3600
    #: The most one request may take, however slowly its bytes trickle in.
    request_deadline_seconds: float = 120.0
    #: The most a whole run may take, retries and polite pauses included.
    run_deadline_seconds: float = 1800.0

    def with_overrides(self, **overrides: Any) -> IngestionConfig:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _setting(name: str, from_env: Any) -> Any:
    return getattr(settings, name, from_env)


def load_config() -> IngestionConfig:
    """The configuration from settings / environment (see docs/INGESTION.md)."""
    return IngestionConfig(
        api_url=_setting(
            "ARXIV_API_URL", env_url("ARXIV_API_URL", DEFAULT_API_URL, schemes={"http", "https"})
        ),
        page_size=_setting("ARXIV_PAGE_SIZE", env_int("ARXIV_PAGE_SIZE", 100, minimum=1)),
        delay_seconds=_setting(
            "ARXIV_DELAY_SECONDS",
            env_float("ARXIV_DELAY_SECONDS", MIN_POLITE_DELAY, minimum=MIN_POLITE_DELAY),
        ),
        num_retries=_setting("ARXIV_NUM_RETRIES", env_int("ARXIV_NUM_RETRIES", 3, minimum=0)),
        backoff_seconds=_setting(
            "ARXIV_BACKOFF_SECONDS", env_float("ARXIV_BACKOFF_SECONDS", 5.0, minimum=0)
        ),
        timeout_seconds=_setting(
            "ARXIV_TIMEOUT_SECONDS", env_float("ARXIV_TIMEOUT_SECONDS", 30.0, minimum=0.1)
        ),
        lock_stale_seconds=_setting(
            "ARXIV_LOCK_STALE_SECONDS", env_int("ARXIV_LOCK_STALE_SECONDS", 2 * 3600, minimum=60)
        ),
        request_deadline_seconds=_setting(
            "ARXIV_REQUEST_DEADLINE_SECONDS",
            env_float("ARXIV_REQUEST_DEADLINE_SECONDS", 120.0, minimum=1),
        ),
        run_deadline_seconds=_setting(
            "ARXIV_RUN_DEADLINE_SECONDS", env_float("ARXIV_RUN_DEADLINE_SECONDS", 1800.0, minimum=1)
        ),
    )
