"""A local stand-in for the arXiv API: http.server in a thread on 127.0.0.1.

It serves recorded Atom pages by their `start` offset (or pages built on the fly by a
callable, for the benchmark), and can be told to fail: answer 5xx a number of times,
truncate the page at one offset, or stall long enough to time a client out. The real
`arxiv.Client` (through tracker.ingestion.client) talks to it over HTTP.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).with_name("recorded_arxiv")

PageSource = Callable[[int, int], bytes]


def recorded_pages(name: str) -> dict[int, bytes]:
    """{start: body} for the files `<name>_start<N>.xml`."""
    pages = {}
    for path in RECORDED.glob(f"{name}_start*.xml"):
        pages[int(path.stem.rsplit("_start", 1)[1])] = path.read_bytes()
    if not pages:
        raise FileNotFoundError(f"No recorded pages named {name!r} in {RECORDED}")
    return pages


class ArxivStub:
    def __init__(self, pages: dict[int, bytes] | PageSource) -> None:
        self.pages = pages
        self.requests: list[dict[str, str]] = []
        self.fail_statuses: list[int] = []  # answered in order, one per request
        self.truncate_at_start: int | None = None
        self.stall_seconds = 0.0
        self.stall_times = 0
        self.gate: threading.Event | None = None  # when set, requests wait for it
        self.waiting = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def __enter__(self) -> ArxivStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.gate is not None:
            self.gate.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def starts(self) -> list[int]:
        return [int(r.get("start", "0")) for r in self.requests]

    def body_for(self, start: int, max_results: int) -> bytes:
        if callable(self.pages):
            return self.pages(start, max_results)
        return self.pages.get(start, self.pages.get(-1, b""))

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                stub.requests.append(params)
                if stub.gate is not None:
                    stub.waiting.set()
                    stub.gate.wait(timeout=30)
                if stub.stall_times > 0:
                    stub.stall_times -= 1
                    time.sleep(stub.stall_seconds)
                if stub.fail_statuses:
                    self._send(stub.fail_statuses.pop(0), b"<html>Service Unavailable</html>",
                               "text/html")
                    return
                start = int(params.get("start", "0"))
                body = stub.body_for(start, int(params.get("max_results", "10")))
                if stub.truncate_at_start == start:
                    body = body[: len(body) * 2 // 3]
                self._send(200, body, "application/atom+xml; charset=utf-8")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def fast_config(api_url: str, **overrides):
    """Ingestion settings for tests: the stub's URL, recorded page size, no waiting."""
    from tracker.ingestion.conf import IngestionConfig

    values = {
        "api_url": api_url, "page_size": 4, "delay_seconds": 0.0, "num_retries": 2,
        "backoff_seconds": 0.0, "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return IngestionConfig(**values)
