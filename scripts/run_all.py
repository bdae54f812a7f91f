"""`make run`: the web server, one Celery worker per queue, and beat, each a process.

The `default` queue (ingestion, scoring, CPU replications) and the `gpu` queue (CUDA
replications, one at a time) have their own workers, so an ingestion never waits behind a
long replication. Beat runs alone: its process also runs the reconciler (tracker.beat),
which must outlive any worker. Everything runs on the embedded defaults (SQLite and the
filesystem broker under TRACKER_VAR_DIR, default var/) unless DATABASE_URL /
CELERY_BROKER_URL point elsewhere. The settings are loaded once before anything starts, so
a bad variable stops here, named, not in four processes at once. Ctrl-C (or SIGTERM) stops
all of them and exits 0; a process that stops by itself stops the others and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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


def take_the_terminal() -> Callable[[], None]:
    """Ctrl-C must stop these processes, not `make` above them: make, interrupted too, exits
    130 whatever they do (and "make: *** Error 1" when one exits 1). So, run from a
    terminal, this process and its children become the terminal's foreground process group,
    as a shell makes a job: the Ctrl-C reaches them only, they stop cleanly, and make sees
    a clean exit. Returns the function that hands the terminal back."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return lambda: None  # no terminal (CI, a service manager): nothing to take
    try:
        if os.tcgetpgrp(tty) != os.getpgrp():
            raise OSError("not in the foreground")  # started in the background: leave it
        previous = os.getpgrp()
        if os.getpid() != os.getsid(0):  # a session leader is its own group already
            os.setpgid(0, 0)
        _set_foreground(tty, os.getpgrp())
    except OSError:
        os.close(tty)
        return lambda: None

    def hand_back() -> None:
        with contextlib.suppress(OSError):
            _set_foreground(tty, previous)
        os.close(tty)

    return hand_back


def _set_foreground(tty: int, group: int) -> None:
    # A background group changing the terminal's foreground is sent SIGTTOU: ignored here.
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        os.tcsetpgrp(tty, group)
    finally:
        signal.signal(signal.SIGTTOU, old)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()

    var = var_dir()
    # Started from a shell's background job (`make run &`, CI), SIGINT arrives ignored and
    # Python then installs no KeyboardInterrupt: Ctrl-C would stop the workers (Celery sets
    # its own handlers) and leave this process reporting them as "stopped by itself".
    signal.signal(signal.SIGINT, signal.default_int_handler)
    commands = process_commands(sys.executable, args.host, args.port)
    hand_back = take_the_terminal()
    procs = {name: subprocess.Popen(cmd, cwd=ROOT, env=os.environ.copy())
             for name, cmd in commands.items()}
    print(f"Tracker at http://{args.host}:{args.port}/ (admin at /admin/), files in {var}; "
          "Ctrl-C stops.", flush=True)
    asked_to_stop = False

    def stop(*_):
        nonlocal asked_to_stop
        asked_to_stop = True
        raise KeyboardInterrupt  # out of the wait below, as Ctrl-C does

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(proc.poll() is None for proc in procs.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        asked_to_stop = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the stop
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ended = [name for name, proc in procs.items() if proc.poll() is not None]
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    hand_back()
    if asked_to_stop:  # the processes that ended got the same Ctrl-C
        print("Stopped.", flush=True)
        return 0
    for name in ended:
        print(f"{name} stopped by itself (exit status {procs[name].returncode}); the others "
              "were stopped.", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
