"""A local stand-in for the arXiv API: http.server in a thread on 127.0.0.1.

It serves recorded Atom pages by their `start` offset (or pages built on the fly by a
callable, for the benchmark), and can be told to fail: answer 5xx a number of times,
truncate the page at one offset, or stall (answer nothing until the stub closes, so any
client timeout trips however slow the machine). The real
`arxiv.Client` (through tracker.ingestion.client) talks to it over HTTP.
"""

from __future__ import annotations

import socket
import threading
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
        self.fail_at_start: dict[int, list[int]] = {}  # the same, for one offset only
        self.truncate_at_start: int | None = None
        self.stall_times = 0  # requests that get no answer until the stub closes
        self.cut_short_times = 0  # answers that close before their Content-Length
        self.drip_seconds = 0.0  # send the body one byte every this many seconds
        self.body_filter: Callable[[bytes], bytes] | None = None
        self.gate: threading.Event | None = None  # when set, requests wait for it
        self.waiting = threading.Event()
        self.closed = threading.Event()  # set on exit: stalled and dripping answers stop
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/query"

    def __enter__(self) -> ArxivStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closed.set()
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

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, delayed ACKs
                # add ~40 ms to every page.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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
                    stub.closed.wait(timeout=60)
                    return
                start = int(params.get("start", "0"))
                failures = stub.fail_at_start.get(start) or stub.fail_statuses
                if failures:
                    self._send(failures.pop(0), b"<html>Service Unavailable</html>",
                               "text/html")
                    return
                body = stub.body_for(start, int(params.get("max_results", "10")))
                if stub.body_filter is not None:
                    body = stub.body_filter(body)
                if stub.truncate_at_start == start:
                    body = body[: len(body) * 2 // 3]
                if stub.cut_short_times > 0:
                    stub.cut_short_times -= 1
                    self._send_cut_short(body)
                    return
                if stub.drip_seconds:
                    self._drip(body)
                    return
                self._send(200, body, "application/atom+xml; charset=utf-8")

            def _headers(self, length: int) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
                self.send_header("Content-Length", str(length))
                self.end_headers()

            def _send_cut_short(self, body: bytes) -> None:
                """Promise the whole body, send half, close the connection."""
                self._headers(len(body))
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.request.shutdown(socket.SHUT_RDWR)

            def _drip(self, body: bytes) -> None:
                self._headers(len(body))
                try:
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        if stub.closed.wait(stub.drip_seconds):
                            return
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

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


# --- Synthetic feeds (query-count tests and the benchmark) ------------------------------

_FEED_HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
    "  <id>https://arxiv.org/api/synthetic</id>\n"
    "  <title>arXiv Query: synthetic</title>\n"
    "  <updated>2025-07-10T00:00:00-04:00</updated>\n"
    "  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
    "  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
    "  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
)
_TOPICS = [
    ("Sparse Autoencoder Probes for {x} Detection",
     "We train sparse autoencoders on a language model and use their latents for {x} "
     "detection, comparing with linear probes and logistic regression baselines. SAE probes "
     "outperform the baselines by {n}.{m} percentage points of AUROC."),
    ("Steering {x} With Difference-in-Means Directions",
     "We steer a chat model towards {x} with a difference-in-means vector and compare with "
     "prompting; steering matches prompting within {n}%."),
    ("A Survey of {x} in Graph Neural Networks",
     "We review {n} methods for {x} on graphs and discuss open problems."),
]
_WORDS = ["toxicity", "sarcasm", "deception", "sentiment", "bias", "refusal", "code smell",
          "hallucination", "jailbreak", "privacy", "fairness", "spam"]
_NAMES = ["Zoë", "José", "Łukasz", "Chen", "Priya", "Søren", "Ana-María", "Kwame", "Ольга",
          "Björn", "Ayşe", "Nguyễn", "Hiroshi", "Fatima", "Mateo", "Ilse"]
_SURNAMES = ["Brontë", "Pérez", "Wróbel", "Wei", "Raghunathan", "Ødegård", "Ortega", "Mensah",
             "Иванова", "Åström", "Yılmaz", "Hương", "Tanaka", "El Amrani", "Rossi", "de Vries"]


def synthetic_entry(index: int, version: int = 1, authors: int = 4) -> str:
    """A realistic-looking entry; the same index and version always give the same text."""
    from xml.sax.saxutils import escape

    year_month = 2400 + (index // 90000) * 100 + (index // 30000) % 12 + 1
    arxiv_id = f"{year_month}.{index % 90000 + 10000:05d}"
    title, summary = _TOPICS[index % len(_TOPICS)]
    word = _WORDS[index % len(_WORDS)]
    values = {"x": word, "n": index % 17 + 1, "m": index % 10}
    people = "".join(
        f"    <author><name>{escape(_NAMES[(index + k) % 16])} {chr(65 + (index // 16 + k) % 26)}. "
        f"{escape(_SURNAMES[(index * 7 + k * 3) % 16])}</name></author>\n"
        for k in range(authors)
    )
    day = 1 + index % 28
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>\n"
        f"    <updated>2025-06-{day:02d}T1{version % 10}:00:00Z</updated>\n"
        f"    <published>2025-05-{day:02d}T09:30:00Z</published>\n"
        f"    <title>{escape(title.format(**values))}</title>\n"
        f"    <summary>  {escape(summary.format(**values))}\n</summary>\n"
        f"{people}"
        f'    <link href="http://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" '
        'type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{arxiv_id}v{version}" rel="related" '
        'type="application/pdf"/>\n'
        '    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>\n'
        '    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>\n'
        '    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>\n'
        "  </entry>\n"
    )


def synthetic_source(
    total: int, *, version: int = 1, authors: int = 4, first_index: int = 0
) -> PageSource:
    """Pages of `total` synthetic entries, cut at whatever start/max_results is asked;
    entries are numbered from `first_index` (distinct ranges are distinct papers)."""
    cache: dict[int, str] = {}

    def page(start: int, max_results: int) -> bytes:
        stop = min(total, start + max_results)
        parts = [_FEED_HEAD.format(per_page=max_results, total=total, start=start)]
        for i in range(start, stop):
            if i not in cache:
                cache[i] = synthetic_entry(first_index + i, version=version, authors=authors)
            parts.append(cache[i])
        parts.append("</feed>\n")
        return "".join(parts).encode("utf-8")

    return page
