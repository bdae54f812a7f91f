"""Settings of the forecasts app, read from Django settings.

tracker/settings.py parses each variable at start-up with the project's strict helpers (a
bad value stops start-up naming it); tests override them with the ``settings`` fixture.
Zero is a value like any other, never "unset".

* ``MANIFOLD_API_URL``: base of Manifold's public API (default https://api.manifold.markets);
  tests point it at a local server.
* ``MANIFOLD_TIMEOUT_S``: per-request timeout in seconds (default 10, at least 0.1).
* ``MANIFOLD_RETRIES``: retries on connection errors and 429/5xx answers (default 3, at
  least 0).
* ``MANIFOLD_DEADLINE_S``: the most one import may take, every request and retry included,
  however slowly the server answers (default 300, at least 1).
* ``FORECAST_PSEUDO_COUNT``: how many imaginary 50% forecasts the leaderboard's shrunk Brier
  score adds to each forecaster's record (default 5, at least 0: 0 is the raw Brier score).
"""

from __future__ import annotations

from django.conf import settings


def manifold_api_url() -> str:
    return str(settings.MANIFOLD_API_URL).rstrip("/")


def manifold_timeout_s() -> float:
    return float(settings.MANIFOLD_TIMEOUT_S)


def manifold_retries() -> int:
    return int(settings.MANIFOLD_RETRIES)


def manifold_deadline_s() -> float:
    return float(settings.MANIFOLD_DEADLINE_S)


def pseudo_count() -> float:
    return float(settings.FORECAST_PSEUDO_COUNT)
