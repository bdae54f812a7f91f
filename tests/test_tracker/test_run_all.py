"""`make run` (scripts/run_all.py): the default and gpu queues in separate worker
processes, beat (with the reconciler) in its own, and the web server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import psutil
import pytest
from django.conf import settings

from tests.worker import ROOT, database_url, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def test_make_run_starts_a_worker_per_queue_beat_and_the_web_server():
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url(),
           "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
    proc = subprocess.Popen([sys.executable, "scripts/run_all.py", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_for(lambda: _answers(f"http://127.0.0.1:{port}/health/"), timeout=90)
        children = [" ".join(c.cmdline()) for c in psutil.Process(proc.pid).children()]
        workers = sorted(c.split(" -Q ")[1].split()[0] for c in children if " worker " in c)
        assert workers == ["default", "gpu"], children
        assert sum(" beat " in c for c in children) == 1, children
        assert sum("runserver" in c for c in children) == 1, children
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
