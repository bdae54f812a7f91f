"""Start a real Celery worker process against the test database and the configured broker."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test_ database)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def _env(extra_env: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL, **(extra_env or {})}


@contextlib.contextmanager
def running_worker(*, queues: str = "default", hostname: str = "test-worker",
                   extra_env: dict[str, str] | None = None,
                   pool: str = "solo",
                   progress_pause: float = 0.0) -> Iterator[subprocess.Popen]:
    """A worker process; ``pool="prefork"`` runs tasks in one child process.
    ``progress_pause`` seconds are waited after each progress write of a replication run
    (tests/paused_worker.py patches the worker before it starts)."""
    log = (Path(settings.VAR_DIR) / f"{hostname}.log").open("w")
    concurrency = ["--concurrency", "1"] if pool == "prefork" else []
    launcher = (["tests.paused_worker", str(progress_pause)] if progress_pause
                else ["celery"])
    proc = subprocess.Popen(
        [sys.executable, "-m", *launcher, "-A", "tracker", "worker", "-Q", queues,
         "--pool", pool, *concurrency, "--hostname", f"{hostname}@%h", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=_env(extra_env), stdout=log, stderr=subprocess.STDOUT,
    )
    yield from _stopping(proc, log)


@contextlib.contextmanager
def running_beat(*, extra_env: dict[str, str] | None = None,
                 name: str = "test-beat") -> Iterator[subprocess.Popen]:
    """Beat with the project's scheduler: the reconciler runs in this process."""
    log = (Path(settings.VAR_DIR) / f"{name}.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tracker", "beat", "--loglevel", "INFO",
         "--pidfile", ""],
        cwd=ROOT, env=_env(extra_env), stdout=log, stderr=subprocess.STDOUT,
    )
    yield from _stopping(proc, log)


def _stopping(proc: subprocess.Popen, log) -> Iterator[subprocess.Popen]:  # noqa: ANN001
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def wait_for(predicate: Callable[[], bool], *, timeout: float = 60, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False
