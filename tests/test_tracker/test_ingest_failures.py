"""What a run does when arXiv misbehaves: retry 5xx and timeouts with backoff, record
what could not be fixed, stop cleanly on a truncated page, and treat no results as fine."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
from tracker.ingestion.client import ArxivClient, build_search
from tracker.ingestion.services import ingest_query, ingest_search
from tracker.models import Paper, PaperVersion, SearchRun

pytestmark = pytest.mark.django_db


def test_a_503_is_retried_and_the_run_succeeds(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.fail_statuses = [503, 502]
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url, num_retries=2))
    assert run.status == SearchRun.Status.SUCCEEDED
    assert run.created == 10
    assert stub.starts == [0, 0, 0, 4, 8]


def test_5xx_after_every_retry_is_recorded_on_the_run_log(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.fail_statuses = [503] * 3
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url, num_retries=2))
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED
    assert "HTTP 503" in run.error and "gave up after 3 attempts" in run.error
    assert run.errors == 1
    assert run.finished_at is not None
    assert Paper.objects.count() == 0
    search.refresh_from_db()
    assert search.last_run_at == run.started_at
    assert search.last_success_at is None
    assert search.running_since is None  # the lock is released after a failure


def test_a_failure_on_a_later_page_keeps_the_pages_before_it(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.fail_at_start = {8: [500, 500]}
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url, num_retries=1))
    assert run.status == SearchRun.Status.FAILED
    assert "HTTP 500" in run.error
    assert (run.pages, run.created) == (2, 8)
    assert Paper.objects.count() == 8


def test_a_timeout_is_retried(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.stall_times = 1  # the first request is never answered
        run = ingest_search(
            search_id=search.pk, config=fast_config(stub.url, timeout_seconds=1.0)
        )
    assert run.status == SearchRun.Status.SUCCEEDED
    assert run.created == 10
    assert stub.starts[:2] == [0, 0]


def test_timeouts_after_every_retry_are_recorded(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.stall_times = 2  # no request is ever answered
        run = ingest_search(
            search_id=search.pk,
            config=fast_config(stub.url, timeout_seconds=0.3, num_retries=1),
        )
    assert run.status == SearchRun.Status.FAILED
    assert "timeout" in run.error and "gave up after 2 attempts" in run.error


def test_a_truncated_page_stops_the_run_and_writes_nothing_from_it(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.truncate_at_start = 4
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url))
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED
    assert "Malformed Atom page" in run.error
    assert "start=4" in run.error
    assert "nothing from that page was written" in run.error
    assert stub.starts == [0, 4]  # not retried, and no page after it is asked for
    assert (run.pages, run.fetched, run.created) == (1, 4, 4)
    assert Paper.objects.count() == 4
    assert PaperVersion.objects.count() == 4
    assert not Paper.objects.filter(arxiv_id="2506.11002").exists()


def test_a_page_that_is_not_a_feed_is_malformed(db):
    with ArxivStub({0: b"<html><body>Rate exceeded.</body></html>"}) as stub:
        run = ingest_query(query="q", config=fast_config(stub.url))
    assert run.status == SearchRun.Status.FAILED
    assert "root is not <feed>" in run.error


def test_an_empty_result_is_not_an_error(search):
    with ArxivStub(recorded_pages("empty")) as stub:
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url))
    assert run.status == SearchRun.Status.SUCCEEDED
    assert (run.pages, run.fetched, run.created, run.errors, run.error) == (0, 0, 0, 0, "")
    assert stub.starts == [0]
    search.refresh_from_db()
    assert search.last_success_at == run.finished_at


def test_a_4xx_is_not_retried(db):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.fail_statuses = [400]
        run = ingest_query(query="bad:(", config=fast_config(stub.url))
    assert run.status == SearchRun.Status.FAILED
    assert "HTTP 400" in run.error
    assert stub.starts == [0]


def test_retries_back_off_exponentially(monkeypatch):
    pauses = []
    monkeypatch.setattr("tracker.ingestion.client.time.sleep", pauses.append)
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.fail_statuses = [503, 503, 503]
        client = ArxivClient(fast_config(stub.url, num_retries=3, backoff_seconds=2.0))
        pages = list(client.pages(build_search("q", 4)))
    assert pauses == [2.0, 4.0, 8.0]
    assert len(pages) == 1


class _Clock:
    """The client's ``datetime``: ``now()`` moves ``step`` seconds on every call."""

    def __init__(self, step: float) -> None:
        self.at = dt.datetime(2025, 7, 1, 12, 0)
        self.step = dt.timedelta(seconds=step)

    def now(self) -> dt.datetime:
        self.at += self.step
        return self.at


def _polite_pauses(monkeypatch, clock_step: float) -> list[float]:
    """The pauses a client asked to wait 3 s between requests sleeps while reading the
    recorded three pages, with its clock moving ``clock_step`` s per reading."""
    pauses = []
    monkeypatch.setattr("tracker.ingestion.client.time.sleep", pauses.append)
    monkeypatch.setattr("tracker.ingestion.client.datetime", _Clock(clock_step))
    with ArxivStub(recorded_pages("sae")) as stub:
        client = ArxivClient(fast_config(stub.url, delay_seconds=3.0))
        list(client.pages(build_search("q", None)))
    return pauses


def test_the_client_waits_between_requests_as_arxiv_asks(monkeypatch):
    pauses = _polite_pauses(monkeypatch, 0.0)
    assert len(pauses) == 2  # before the second and third pages, not before the first
    assert all(2.5 < p <= 3.0 for p in pauses)
    assert pauses == [3.0, 3.0]


def test_time_already_spent_since_the_last_request_counts_towards_the_wait(monkeypatch):
    assert _polite_pauses(monkeypatch, 1.0) == [2.0, 2.0]


# --- D9: dropped connections, trickling feeds, entries without an id -------------------


def test_a_connection_closed_before_its_content_length_is_retried(search):
    """It was a ChunkedEncodingError traceback, with no retry."""
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.cut_short_times = 1
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url, num_retries=2))
    assert run.status == SearchRun.Status.SUCCEEDED, run.error
    assert run.created == 10
    assert stub.starts == [0, 0, 4, 8]


def test_a_connection_closed_every_time_fails_the_run_with_the_reason(search):
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.cut_short_times = 3
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url, num_retries=2))
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED
    assert "connection closed before the whole answer arrived" in run.error
    assert "gave up after 3 attempts" in run.error
    assert Paper.objects.count() == 0


def test_a_trickling_feed_meets_the_request_deadline_and_the_run_fails(search):
    """One byte a second never trips the socket timeout: it hung, and the run stayed
    'running'. The per-request deadline cuts it; the run's deadline ends the retries."""
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.drip_seconds = 0.5
        config = fast_config(stub.url, num_retries=5, request_deadline_seconds=1.0,
                             run_deadline_seconds=3.0, backoff_seconds=0.5)
        run = ingest_search(search_id=search.pk, config=config)
    run.refresh_from_db()
    assert run.status == SearchRun.Status.FAILED
    assert run.finished_at is not None
    assert "deadline" in run.error and "ARXIV_RUN_DEADLINE_SECONDS" in run.error
    assert Paper.objects.count() == 0
    search.refresh_from_db()
    assert search.running_since is None


def test_an_entry_without_an_id_counts_as_an_error_with_its_reason(search):
    """It was dropped silently: errors=0."""
    def drop_first_id(body: bytes) -> bytes:
        head, entry, rest = body.partition(b"<entry>")
        start, end = rest.index(b"<id>"), rest.index(b"</id>") + len(b"</id>")
        return head + entry + rest[:start] + rest[end:]

    with ArxivStub(recorded_pages("sae")) as stub:
        stub.body_filter = drop_first_id
        run = ingest_search(search_id=search.pk, config=fast_config(stub.url))
    assert run.status == SearchRun.Status.SUCCEEDED
    assert run.errors == 3  # one per page
    assert "it has no <id>; skipped." in run.error
    assert "entry 1 of the page at" in run.error
    assert run.created == 7
