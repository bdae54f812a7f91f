"""Ingestion under at-least-once delivery: a "Run now" request is a row, resent by the
reconciler until a worker runs it, and run once however often it is delivered; a
run-log row left "running" by a process that died is closed with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.test_tracker.arxiv_server import ArxivStub, recorded_pages
from tracker.ingestion.services import reconcile_ingestion
from tracker.models import SavedSearch, SearchRun
from tracker.tasks import ingest_arxiv

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub(settings):
    with ArxivStub(recorded_pages("sae")) as stub:
        settings.ARXIV_API_URL = stub.url
        settings.ARXIV_PAGE_SIZE = 4
        settings.ARXIV_DELAY_SECONDS = 0.0
        settings.ARXIV_BACKOFF_SECONDS = 0.0
        yield stub


def test_a_request_whose_message_was_lost_is_resent_and_runs_once(search, stub):
    SavedSearch.objects.filter(pk=search.pk).update(
        run_requested_at=timezone.now() - dt.timedelta(minutes=10))

    report = reconcile_ingestion()  # tasks run eagerly here: the resend runs it

    assert report["resent"] == [search.pk]
    search.refresh_from_db()
    assert search.run_requested_at is None
    assert SearchRun.objects.filter(search=search, status="succeeded").count() == 1
    # A duplicate delivery of the same request finds it closed: no second run.
    ingest_arxiv.delay(search_id=search.pk, requested=True)
    assert SearchRun.objects.filter(search=search).count() == 1
    assert reconcile_ingestion() == {}


def test_a_fresh_request_is_left_to_its_own_message(search, stub):
    SavedSearch.objects.filter(pk=search.pk).update(run_requested_at=timezone.now())

    assert reconcile_ingestion() == {}
    assert not SearchRun.objects.exists()


def test_a_run_left_running_by_a_dead_process_is_failed_and_its_lock_freed(search, settings):
    settings.ARXIV_RUN_DEADLINE_SECONDS = 600
    started = timezone.now() - dt.timedelta(hours=1)
    run = SearchRun.objects.create(search=search, query="q", api_url="x", started_at=started)
    SavedSearch.objects.filter(pk=search.pk).update(running_since=started)

    report = reconcile_ingestion()

    run.refresh_from_db()
    assert report["failed"] == [run.pk]
    assert run.status == SearchRun.Status.FAILED
    assert "The process running this ingestion stopped before it finished" in run.error
    search.refresh_from_db()
    assert search.running_since is None
