"""Ingestion settings, read from Django settings.

tracker/settings.py parses every ``ARXIV_*`` variable at start-up with tracker.env's strict
helpers, so a bad value stops start-up naming it instead of failing later in a worker;
tests override the settings (``settings`` fixture, override_settings).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

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


def load_config() -> IngestionConfig:
    """The configuration from settings (see docs/INGESTION.md)."""
    return IngestionConfig(
        api_url=settings.ARXIV_API_URL,
        page_size=settings.ARXIV_PAGE_SIZE,
        delay_seconds=settings.ARXIV_DELAY_SECONDS,
        num_retries=settings.ARXIV_NUM_RETRIES,
        backoff_seconds=settings.ARXIV_BACKOFF_SECONDS,
        timeout_seconds=settings.ARXIV_TIMEOUT_SECONDS,
        lock_stale_seconds=settings.ARXIV_LOCK_STALE_SECONDS,
        request_deadline_seconds=settings.ARXIV_REQUEST_DEADLINE_SECONDS,
        run_deadline_seconds=settings.ARXIV_RUN_DEADLINE_SECONDS,
    )
