"""The forecasts app's settings: read from Django settings, where zero is a value."""

from __future__ import annotations

from evaluations.forecasts import conf


def test_the_accessors_read_the_settings(settings):
    settings.MANIFOLD_API_URL = "http://127.0.0.1:9/"
    settings.MANIFOLD_TIMEOUT_S = 2.5
    settings.MANIFOLD_RETRIES = 7
    settings.FORECAST_PSEUDO_COUNT = 4

    assert conf.manifold_api_url() == "http://127.0.0.1:9"
    assert conf.manifold_timeout_s() == 2.5
    assert conf.manifold_retries() == 7
    assert conf.pseudo_count() == 4.0


def test_zero_is_a_value_not_unset(settings):
    """It used to fall back to the environment's value (10 s, 5 forecasts)."""
    settings.MANIFOLD_TIMEOUT_S = 0
    settings.MANIFOLD_RETRIES = 0
    settings.FORECAST_PSEUDO_COUNT = 0

    assert conf.manifold_timeout_s() == 0.0
    assert conf.manifold_retries() == 0
    assert conf.pseudo_count() == 0.0
