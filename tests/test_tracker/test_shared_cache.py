"""Throttles and pages shared between web processes (issue 23, F3): with CACHE_URL set, a
DRF throttle's limit holds across processes; without it, `check --deploy` and the web
server's start-up say each process counts on its own."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tracker import shared_cache

ROOT = Path(__file__).resolve().parents[2]
ON_REDIS = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
REDIS = {"BACKEND": "django.core.cache.backends.redis.RedisCache",
         "LOCATION": "redis://127.0.0.1:6379/0"}
# Each process asks for the API this many times, as one client (one address), at a limit
# of RATE requests a minute.
RATE, ASKS = 6, 6
REQUESTS = f"""
import json
from django.test import Client
client = Client(REMOTE_ADDR={{address!r}})
print(json.dumps([client.get('/api/markets/').status_code for _ in range({ASKS})]))
"""


@pytest.mark.parametrize(("default", "pages", "expected"), [
    (LOCMEM, LOCMEM, ["tracker.W010", "tracker.W011"]),
    (LOCMEM, REDIS, ["tracker.W010"]),
    (REDIS, REDIS, []),
])
def test_deploy_check_names_each_per_process_cache(settings, default, pages, expected):
    settings.DEBUG = False
    settings.CACHES = {"default": default, "pages": pages}
    assert [w.id for w in shared_cache.check_shared_caches()] == expected


def test_deploy_check_is_quiet_in_development(settings):
    settings.DEBUG = True
    settings.CACHES = {"default": LOCMEM, "pages": LOCMEM}
    assert shared_cache.check_shared_caches() == []


def test_check_deploy_prints_the_throttle_warning(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": LOCMEM, "pages": REDIS}
    err = io.StringIO()
    call_command("check", deploy=True, stderr=err, stdout=io.StringIO())
    assert "tracker.W010" in err.getvalue()
    assert "a client gets the API rate limit once per process" in err.getvalue()


def test_start_up_logs_each_per_process_cache(settings, caplog):
    settings.DEBUG = False
    settings.CACHES = {"default": LOCMEM, "pages": LOCMEM}
    with caplog.at_level(logging.WARNING, logger="tracker.shared_cache"):
        shared_cache.warn_at_start_up()
    assert "API throttle counts" in caplog.text and "cached pages" in caplog.text
    assert "CACHE_URL=redis://" in caplog.text


def _ask_from_another_process(address: str, extra_env: dict[str, str]) -> list[int]:
    db = connection.settings_dict
    env = {name: value for name, value in os.environ.items() if name != "CACHE_URL"}
    env.update(API_ANON_RATE=f"{RATE}/min", **extra_env,
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}")
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", REQUESTS.format(address=address)],
        cwd=ROOT, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not ON_REDIS or connection.vendor != "postgresql",
                    reason="the Postgres + Redis pass runs it (on the broker's Redis)")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shared", [True, False])
def test_the_api_limit_holds_across_processes_only_with_a_shared_cache(shared):
    """Two processes, one client address: with CACHE_URL the second process refuses what
    the first used up; without it, each process lets the client have the whole limit."""
    import redis

    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    env = {"CACHE_URL": settings.CELERY_BROKER_URL} if shared else {}
    first = _ask_from_another_process(address, env)
    second = _ask_from_another_process(address, env)
    assert first == [200] * ASKS
    assert second == ([429] * ASKS if shared else [200] * ASKS)
    server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    if keys := server.keys(f"tracker-default:*{address}*"):
        server.delete(*keys)  # only ours: the broker's queues share this database
