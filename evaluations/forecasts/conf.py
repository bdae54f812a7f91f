"""Settings of the forecasts app, read from the environment with the project's strict helpers.

* ``MANIFOLD_API_URL``: base of Manifold's public API (default https://api.manifold.markets);
  tests point it at a local server.
* ``MANIFOLD_TIMEOUT_S``: per-request timeout in seconds (default 10).
* ``MANIFOLD_RETRIES``: retries on connection errors and 429/5xx answers (default 3).
* ``FORECAST_PSEUDO_COUNT``: how many imaginary 50% forecasts the leaderboard's shrunk Brier
  score adds to each forecaster's record (default 5).

A Django setting of the same name, when present, wins over the environment.
"""

from __future__ import annotations

from django.conf import settings

from tracker.env import env_float, env_int, env_url

_DEFAULT_MANIFOLD_API_URL = "https://api.manifold.markets"


def manifold_api_url() -> str:
    value = getattr(settings, "MANIFOLD_API_URL", None) or env_url(
        "MANIFOLD_API_URL", _DEFAULT_MANIFOLD_API_URL, schemes={"http", "https"}
    )
    return value.rstrip("/")


def manifold_timeout_s() -> float:
    return float(
        getattr(settings, "MANIFOLD_TIMEOUT_S", None)
        or env_float("MANIFOLD_TIMEOUT_S", 10.0, minimum=0.1)
    )


def manifold_retries() -> int:
    value = getattr(settings, "MANIFOLD_RETRIES", None)
    return int(value) if value is not None else env_int("MANIFOLD_RETRIES", 3, minimum=0)


def pseudo_count() -> float:
    value = getattr(settings, "FORECAST_PSEUDO_COUNT", None)
    return float(value) if value is not None else float(
        env_int("FORECAST_PSEUDO_COUNT", 5, minimum=0)
    )
