"""A bad environment stops start-up with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Made once by Django's get_random_secret_key(): a key the entropy check accepts.
PROD_KEY = 'rha+ar&(nq-s+l9i@s^x=wo^fb2+@y6e-*ve7*b!p!h&giq_vi'


def start_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_overrides)
    command = args or ("-c", "import django; django.setup()")
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://db/tracker"}, "DATABASE_URL='mysql://db/tracker' is not a supported URL"),
        ({"DATABASE_URL": "postgres:///nohost"}, "DATABASE_URL='postgres:///nohost' has no host name"),
        ({"CELERY_BROKER_URL": "ftp://broker"}, "CELERY_BROKER_URL='ftp://broker' is not a supported URL"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "example.org"}, "SECRET_KEY is required when DEBUG is off"),
        ({"DEBUG": "0", "SECRET_KEY": "short", "ALLOWED_HOSTS": "x"}, "SECRET_KEY must be at least 50"),
        # Long enough, but guessable: one letter, a short pattern repeated, a phrase.
        ({"DEBUG": "0", "SECRET_KEY": "a" * 60, "ALLOWED_HOSTS": "x"}, "SECRET_KEY is too predictable (1 distinct characters, about 0 bits"),
        ({"DEBUG": "0", "SECRET_KEY": "abcdefghijklmnopqrst" * 3, "ALLOWED_HOSTS": "x"}, "a repeated pattern"),
        ({"DEBUG": "0", "SECRET_KEY": "correct horse battery staple correct horse battery", "ALLOWED_HOSTS": "x"}, "SECRET_KEY is too predictable"),
        ({"ALLOWED_HOSTS": "a.org,,b.org"}, "ALLOWED_HOSTS='a.org,,b.org' has an empty item"),
        ({"CELERY_TASK_TIME_LIMIT": "an hour"}, "CELERY_TASK_TIME_LIMIT='an hour' is not an integer"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL='VERBOSE' is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ({"PAGE_CACHE_SECONDS": "-1"}, "PAGE_CACHE_SECONDS=-1 must be at least 0"),
        ({"PAGE_CACHE_URL": "memcached://127.0.0.1"}, "PAGE_CACHE_URL='memcached://127.0.0.1' is not a supported URL"),
        # Ingestion, forecasts and replication settings fail at start-up too, not hours later
        # in a worker. A polite delay below three seconds is a configuration error.
        ({"ARXIV_DELAY_SECONDS": "1"}, "ARXIV_DELAY_SECONDS=1.0 must be at least 3.0"),
        ({"ARXIV_PAGE_SIZE": "lots"}, "ARXIV_PAGE_SIZE='lots' is not an integer"),
        ({"ARXIV_API_URL": "ftp://arxiv.org/api"}, "ARXIV_API_URL='ftp://arxiv.org/api' is not a supported URL"),
        ({"ARXIV_REQUEST_RESEND_SECONDS": "0"}, "ARXIV_REQUEST_RESEND_SECONDS=0.0 must be at least 1.0"),
        ({"MANIFOLD_API_URL": "manifold.markets"}, "MANIFOLD_API_URL='manifold.markets' is not a supported URL"),
        ({"MANIFOLD_TIMEOUT_S": "0"}, "MANIFOLD_TIMEOUT_S=0.0 must be at least 0.1"),
        ({"MANIFOLD_RETRIES": "-1"}, "MANIFOLD_RETRIES=-1 must be at least 0"),
        ({"FORECAST_PSEUDO_COUNT": "2.5"}, "FORECAST_PSEUDO_COUNT='2.5' is not an integer"),
        ({"REPLICATION_MAX_ATTEMPTS": "0"}, "REPLICATION_MAX_ATTEMPTS=0 must be at least 1"),
        ({"REPLICATION_HEARTBEAT_SECONDS": "often"}, "REPLICATION_HEARTBEAT_SECONDS='often' is not a number"),
        # Passed `manage.py check`, then failed the first API request (issue 23).
        ({"API_ANON_RATE": "banana"}, "API_ANON_RATE='banana' is not a rate: write requests/period"),
        ({"API_USER_RATE": "600/fortnight"}, "API_USER_RATE='600/fortnight' is not a rate"),
        ({"API_ANON_RATE": "0/min"}, "API_ANON_RATE='0/min' is not a rate"),
        ({"AXES_ADDRESS_FAILURE_LIMIT": "0"}, "AXES_ADDRESS_FAILURE_LIMIT=0 must be at least 1"),
        ({"MANIFOLD_DEADLINE_S": "0.5"}, "MANIFOLD_DEADLINE_S=0.5 must be at least 1.0"),
    ],
)
def test_a_bad_variable_stops_start_up_naming_it(env, message):
    result = start_django(env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_defaults_start_without_any_variable():
    result = start_django({}, "-c", "import django; django.setup(); print('started')")

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_the_deploy_check_reports_nothing_with_production_settings():
    env = {"DEBUG": "0", "SECRET_KEY": PROD_KEY, "ALLOWED_HOSTS": "tracker.example.org",
           "CACHE_URL": "redis://cache.example.org:6379/3"}

    result = start_django(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_says_throttles_are_per_process_without_a_shared_cache():
    """Issue 23 F3: without CACHE_URL each web process counts the API's limit on its own."""
    env = {"DEBUG": "0", "SECRET_KEY": PROD_KEY, "ALLOWED_HOSTS": "tracker.example.org"}

    result = start_django(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "tracker.W010" in result.stderr and "tracker.W011" in result.stderr
    assert "a client gets the API rate limit once per process" in result.stderr


def test_loading_settings_creates_no_folder_and_start_up_makes_them(tmp_path):
    var = tmp_path / "var"
    check = (
        "import os, tracker.settings as s; print(os.path.exists(s.VAR_DIR)); "
        "import django; django.setup(); "
        "print(sorted(os.listdir(s.VAR_DIR)), sorted(os.listdir(s.BROKER_DIR)))"
    )
    result = start_django({"TRACKER_VAR_DIR": str(var)}, "-c", check)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == [
        "False", "['broker', 'static'] ['control', 'processed', 'queue']"
    ]


def test_make_run_stops_on_a_bad_variable_before_starting_any_process():
    result = start_django({"ARXIV_PAGE_SIZE": "lots"}, "scripts/run_all.py", "--port", "1")

    assert result.returncode != 0
    assert "ARXIV_PAGE_SIZE='lots' is not an integer" in result.stderr
    assert "Tracker at" not in result.stdout


@pytest.mark.parametrize("rate", ["5/s", "120/min", "120/minute", "1000/hour", "20000/day"])
def test_every_rate_drf_understands_is_accepted(monkeypatch, rate):
    from rest_framework.throttling import SimpleRateThrottle

    from tracker.env import env_rate

    monkeypatch.setenv("API_ANON_RATE", rate)
    assert env_rate("API_ANON_RATE", "120/min") == rate
    assert SimpleRateThrottle.parse_rate(None, rate)[0] == int(rate.split("/")[0])
