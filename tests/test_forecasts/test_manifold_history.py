"""The Manifold importer, against a local HTTP server answering with recorded JSON."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from evaluations.forecasts.manifold import (
    ManifoldClient,
    ManifoldError,
    do_import_manifold_history,
    do_record_snapshot,
)
from evaluations.forecasts.models import ManifoldMarket, Prediction, ProbabilityPoint

RECORDED = Path(__file__).parent / "recorded"
MARKET_ID = "SAEmkt2024"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        self.server.requests.append((parts.path, query))
        if self.server.failures_left > 0:
            self.server.failures_left -= 1
            self._send(503, {"message": "try again"})
            return
        if self.server.hold is not None:
            self.server.hold.wait(timeout=60)  # released when the test ends
        if self.server.drip_every is not None:
            self._drip()
            return
        if parts.path in self.server.answers:
            self._send(200, self.server.answers[parts.path])
            return
        if parts.path.startswith("/v0/market/"):
            name = f"market-{parts.path.rsplit('/', 1)[-1]}.json"
        elif parts.path == "/v0/bets":
            before = query.get("before")
            name = f"bets-{query.get('contractId')}" + (f"-before-{before}" if before else "")
            name += ".json"
        else:
            name = ""
        path = RECORDED / name
        if not name or not path.is_file():
            self._send(404, {"message": "not found"})
            return
        self._send(200, json.loads(path.read_text()))

    def _drip(self) -> None:
        """A 200 whose body comes one byte every ``drip_every`` seconds: each read gets
        its byte before the read timeout, so only a deadline on the whole answer ends it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        while not self.server.stop.is_set():
            self.wfile.write(b" ")
            self.wfile.flush()
            self.server.stop.wait(self.server.drip_every)

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[str, dict]] = []
        self.failures_left = 0
        #: when set to an Event, every answer waits for it: a server that never answers
        self.hold: threading.Event | None = None
        #: when set, every answer is a body sent one byte every this many seconds
        self.drip_every: float | None = None
        self.stop = threading.Event()
        #: path -> JSON answer, instead of the recorded file
        self.answers: dict[str, object] = {}

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out and hung up is what one test wants

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def manifold(settings):
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MANIFOLD_API_URL = server.url
    settings.MANIFOLD_RETRIES = 2
    settings.MANIFOLD_TIMEOUT_S = 2.0
    yield server
    if server.hold is not None:
        server.hold.set()
    server.stop.set()
    server.shutdown()
    server.server_close()


def _client() -> ManifoldClient:
    return ManifoldClient(backoff=0.0)


def test_the_client_pages_through_bets_with_before_until_a_short_page(manifold):
    bets = list(_client().bets(MARKET_ID, page_size=2))
    assert [bet["id"] for bet in bets] == ["bet5", "bet4", "bet3", "bet2", "bet1", "order6"]
    befores = [query.get("before") for path, query in manifold.requests if path == "/v0/bets"]
    assert befores == [None, "bet4", "bet2", "order6"]
    assert all(query["contractId"] == MARKET_ID and query["limit"] == "2"
               for path, query in manifold.requests)


@pytest.mark.django_db
def test_the_history_is_each_bets_prob_after_oldest_first(manifold, seed_market):
    result = do_import_manifold_history(
        manifold_id=MARKET_ID, market=seed_market, client=_client(), page_size=2
    )
    assert (result.fetched_points, result.new_points) == (5, 5)
    record = ManifoldMarket.objects.get(manifold_id=MARKET_ID)
    assert record.market == seed_market and record.resolution == "YES"
    assert record.question.startswith("Will Sparse Autoencoders")
    points = list(record.points.values_list("bet_id", "probability"))
    assert points == [("bet1", 0.55), ("bet2", 0.61), ("bet3", 0.63), ("bet4", 0.58),
                      ("bet5", 0.8)]
    assert record.points.first().at == dt.datetime(2024, 10, 1, 12, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_importing_again_adds_only_new_bets(manifold):
    do_import_manifold_history(manifold_id=MARKET_ID, client=_client(), page_size=2)
    again = do_import_manifold_history(manifold_id=MARKET_ID, client=_client(), page_size=2)
    assert again.new_points == 0
    assert ProbabilityPoint.objects.count() == 5


@pytest.mark.django_db
def test_a_snapshot_records_the_days_closing_price_as_a_scored_crowd_prediction(
    manifold, seed_market
):
    seed_market.status, seed_market.outcome = "resolved", "yes"
    seed_market.save()
    result = do_import_manifold_history(
        manifold_id=MARKET_ID, market=seed_market, client=_client(), page_size=2
    )
    prediction = do_record_snapshot(
        manifold_market=result.manifold_market, day=dt.date(2024, 10, 11),
        set_slug="manifold-history-2024-10-11",
    )
    assert prediction.probability == pytest.approx(0.63)  # bet3, the day's last
    assert prediction.forecaster.slug == "manifold-crowd"
    prediction = Prediction.objects.get(pk=prediction.pk)
    assert prediction.outcome == "yes"
    assert prediction.score.brier == pytest.approx(0.1369)


def test_server_errors_are_retried(manifold):
    manifold.failures_left = 2
    assert _client().market(MARKET_ID)["id"] == MARKET_ID
    assert len(manifold.requests) == 3


def test_it_gives_up_after_the_retries_with_a_clear_error(manifold):
    manifold.failures_left = 10
    with pytest.raises(ManifoldError, match="HTTP 503"):
        _client().market(MARKET_ID)
    assert len(manifold.requests) == 3  # the first try and two retries


def test_a_slow_server_times_out(manifold):
    manifold.hold = threading.Event()  # no answer until the test is over, however long
    client = ManifoldClient(timeout=0.2, retries=0)
    with pytest.raises(ManifoldError, match="failed"):
        client.market(MARKET_ID)


@pytest.mark.django_db
def test_a_server_that_drips_its_answer_is_cut_off_at_the_import_deadline(manifold, settings):
    """F7: against one byte every 5 s, the import was still running at 240 s; the read
    timeout bounds one wait for bytes, never the answer."""
    manifold.drip_every = 0.2
    settings.MANIFOLD_TIMEOUT_S = 1.0  # each byte arrives well within it
    settings.MANIFOLD_RETRIES = 3
    settings.MANIFOLD_DEADLINE_S = 2.0
    started = time.monotonic()

    with pytest.raises(CommandError) as caught:
        call_command("import_manifold_history", MARKET_ID)

    took = time.monotonic() - started
    assert str(caught.value) == (
        "The import passed its deadline of 2 s (MANIFOLD_DEADLINE_S) while GET "
        f"{manifold.url}/v0/market/{MARKET_ID} was still arriving; nothing was stored.")
    assert took < 2.0 + 1.5  # stopped at the deadline, not after the retries
    assert len(manifold.requests) == 1  # a cut-off answer is not asked again
    assert ManifoldMarket.objects.count() == ProbabilityPoint.objects.count() == 0


def test_no_retry_starts_that_would_end_past_the_deadline(manifold):
    manifold.failures_left = 10
    client = ManifoldClient(retries=5, backoff=1.0, deadline=1.5)

    with pytest.raises(ManifoldError, match=r"deadline of 1.5 s \(MANIFOLD_DEADLINE_S\) while "
                       r"retrying \(GET .* answered HTTP 503\.\)"):
        client.market(MARKET_ID)
    assert len(manifold.requests) == 2  # at 0 s and after 1 s; the next pause, 2 s, would pass


@pytest.mark.django_db
def test_text_no_page_can_show_and_times_no_date_can_hold_are_not_stored(manifold, client):
    """JSON may carry a lone surrogate or a NUL (PostgreSQL refused them with a traceback;
    SQLite stored them, and a page showing them could not be encoded), and a createdTime
    no date can hold (fromtimestamp raised)."""
    manifold.answers[f"/v0/market/{MARKET_ID}"] = {
        "id": MARKET_ID, "question": "Will \ud800 SAEs\u0000 win?", "url": "https://m.example/x"}
    manifold.answers["/v0/bets"] = [
        {"id": "b1", "probAfter": 0.4, "createdTime": 1_700_000_000_000},
        {"id": "b2", "probAfter": 0.5, "createdTime": 10**30},
        {"id": "b\udfff3", "probAfter": 0.6, "createdTime": 1_700_000_100_000},
    ]

    result = do_import_manifold_history(manifold_id=MARKET_ID, client=_client())

    stored = ManifoldMarket.objects.get()
    assert stored.question == "Will \ufffd SAEs\ufffd win?"
    assert sorted(stored.points.values_list("bet_id", flat=True)) == ["b1", "b\ufffd3"]
    assert (result.fetched_points, result.new_points) == (2, 2)


def test_an_unknown_market_is_an_error(manifold):
    with pytest.raises(ManifoldError, match="HTTP 404"):
        _client().market("nope")


@pytest.mark.django_db
def test_the_command_reads_the_base_url_from_the_setting(manifold, seed_market):
    out = StringIO()
    call_command("import_manifold_history", MARKET_ID, "--market", seed_market.slug,
                 "--snapshot-on", "2024-10-12", "--set", "manifold-cmd-test", "--page-size", "2",
                 stdout=out)
    assert "5 bets with a probability, 5 new" in out.getvalue()
    assert "Recorded 0.580 on 2024-10-12" in out.getvalue()
    assert manifold.requests[0][0] == f"/v0/market/{MARKET_ID}"


@pytest.mark.django_db
def test_the_command_reports_an_unreachable_api(settings):
    settings.MANIFOLD_API_URL = "http://127.0.0.1:9"
    settings.MANIFOLD_RETRIES = 0
    with pytest.raises(CommandError, match="failed"):
        call_command("import_manifold_history", MARKET_ID)
