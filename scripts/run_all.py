"""`make run`: the web server, one Celery worker per queue, and beat, each a process.

The `default` queue (ingestion, scoring, CPU replications) and the `gpu` queue (CUDA
replications, one at a time) have their own workers, so an ingestion never waits behind a
long replication. Beat runs alone: its process also runs the reconciler (tracker.beat),
which must outlive any worker. Everything runs on the embedded defaults (SQLite and the
filesystem broker under TRACKER_VAR_DIR, default var/) unless DATABASE_URL /
CELERY_BROKER_URL point elsewhere. The settings are loaded once before anything starts, so
a bad variable stops here, named, not in four processes at once. Ctrl-C stops all of them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def process_commands(python: str, host: str, port: int) -> dict[str, list[str]]:
    """The processes `make run` starts, by name."""

    def worker(queue: str) -> list[str]:
        return [python, "-m", "celery", "-A", "tracker", "worker", "-Q", queue,
                "--concurrency", "1", "--hostname", f"{queue}@%h", "--loglevel", "INFO"]

    return {
        "worker-default": worker("default"),
        "worker-gpu": worker("gpu"),
        "beat": [python, "-m", "celery", "-A", "tracker", "beat", "--loglevel", "INFO"],
        "web": [python, "manage.py", "runserver", "--noreload", f"{host}:{port}"],
    }


def var_dir() -> Path:
    """The folder the processes keep their files in (TRACKER_VAR_DIR, parsed by the settings).
    Raises ImproperlyConfigured, naming the variable, when any setting is bad."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    from django.conf import settings

    return Path(settings.VAR_DIR)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    var = var_dir()
    commands = process_commands(sys.executable, args.host, args.port)
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy())
             for name, cmd in commands.items()}
    print(f"Tracker at http://{args.host}:{args.port}/ (admin at /admin/), files in {var}; "
          "Ctrl-C stops.", flush=True)

    def stop(*_):
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(proc.poll() is None for proc in procs.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    failed = [name for name, proc in procs.items() if proc.returncode not in (0, -15, None)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
