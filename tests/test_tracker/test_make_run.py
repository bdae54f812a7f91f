"""`make run` as a person runs it, in a terminal (a pseudo-terminal here): it serves the
site as readers see it (DEBUG off: the site's own 404 for /api/nope/ and
/papers/?page=2, never Django's debug page), the API root lists the endpoints, and Ctrl-C
stops every process with exit status 0 and no "make: *** Error". On the embedded defaults
in a var folder of its own (SQLite, filesystem broker), whatever the test run uses."""

from __future__ import annotations

import json
import os
import pty
import socket
import threading
import time
import urllib.error
import urllib.request

import psutil
import pytest

from tests.worker import ROOT, wait_for

pytestmark = pytest.mark.services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _drain(fd: int, out: list[bytes]) -> None:
    """Read the terminal until it closes (an unread terminal would block the processes)."""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return
        if not chunk:
            return
        out.append(chunk)


def _wait_exit(pid: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.2)
    return None


def test_make_run_serves_the_sites_404_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY")}
    env.update(TRACKER_VAR_DIR=str(tmp_path / "var"), OMP_NUM_THREADS="1")
    pid, fd = pty.fork()
    if pid == 0:  # the child: make in the foreground of its own terminal, as in a shell
        os.chdir(ROOT)
        os.execvpe("make", ["make", "run", f"PORT={port}"], env)
    output: list[bytes] = []
    reader = threading.Thread(target=_drain, args=(fd, output), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    status = None
    try:
        assert wait_for(lambda: _get(f"{base}/health/live/")[0] == 200, timeout=240), \
            b"".join(output).decode(errors="replace")[-3000:]
        for path in ("/api/nope/", "/papers/?page=2"):
            status, body = _get(base + path)
            assert status == 404, path
            assert "<title>Not found · SAE resolution tracker</title>" in body, path
            assert "DEBUG = True" not in body and "URLconf" not in body, path
        status, body = _get(f"{base}/api/")
        assert status == 200
        listed = json.loads(body)
        for name in ("markets", "forecasters", "replications", "schema", "docs"):
            assert _get(listed[name])[0] == 200, name
        os.write(fd, b"\x03")  # Ctrl-C, as the terminal sends it
        status = _wait_exit(pid, timeout=60)
    finally:
        if status is None:  # a failed check: stop make and everything it started
            for process in [*psutil.Process(pid).children(recursive=True),
                            psutil.Process(pid)]:
                process.terminate()
            _wait_exit(pid, timeout=30)
    reader.join(timeout=5)
    text = b"".join(output).decode(errors="replace")
    assert status is not None, "make run did not stop on Ctrl-C"
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text[-2000:]
    assert "Error" not in text.split("Ctrl-C stops.")[-1], text[-2000:]
    assert "Stopped." in text
