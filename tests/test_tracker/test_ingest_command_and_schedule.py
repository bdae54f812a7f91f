"""`manage.py ingest_arxiv`, the Celery task and its beat entry."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from tests.test_tracker.arxiv_server import ArxivStub, recorded_pages
from tracker.ingestion.conf import DEFAULT_API_URL, load_config
from tracker.models import Paper, SavedSearch, SearchRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def stub():
    with ArxivStub(recorded_pages("sae")) as stub:
        yield stub


def test_the_command_runs_an_ad_hoc_query_against_the_given_url(stub, capsys):
    call_command("ingest_arxiv", "--query", 'abs:"sparse autoencoder"', "--api-url", stub.url,
                 "--max-results", "6", "--page-size", "4", "--delay", "0")
    out = capsys.readouterr().out
    assert "succeeded; 2 pages, 6 fetched, 6 created" in out
    assert stub.requests[0]["search_query"] == 'abs:"sparse autoencoder"'
    run = SearchRun.objects.get()
    assert run.search is None and run.api_url == stub.url
    assert Paper.objects.count() == 6


def test_without_a_query_the_command_runs_the_active_saved_searches(stub, search, capsys):
    call_command("ingest_arxiv", "--api-url", stub.url, "--page-size", "4", "--delay", "0")
    assert "SAEs: succeeded; 3 pages, 10 fetched, 10 created" in capsys.readouterr().out
    assert stub.requests[0]["search_query"] == (
        '(abs:"sparse autoencoder") AND (cat:cs.LG OR cat:cs.CL)'
    )
    assert SearchRun.objects.get().search == search


def test_the_command_runs_one_saved_search_by_name(stub, search):
    call_command("ingest_arxiv", "--search", "SAEs", "--api-url", stub.url, "--page-size", "4",
                 "--delay", "0")
    assert search.runs.count() == 1


def test_the_command_fails_loudly_when_the_run_fails(stub, search, capsys):
    stub.truncate_at_start = 0
    with pytest.raises(CommandError, match="failed; the error is in the run log"):
        call_command("ingest_arxiv", "--api-url", stub.url, "--page-size", "4", "--delay", "0")
    assert "Malformed Atom page" in capsys.readouterr().err


def test_the_command_refuses_a_search_that_is_already_running(stub, search):
    from django.utils import timezone

    SavedSearch.objects.filter(pk=search.pk).update(running_since=timezone.now())
    with pytest.raises(CommandError, match="already being ingested"):
        call_command("ingest_arxiv", "--search", str(search.pk), "--api-url", stub.url,
                     "--delay", "0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query", "q", "--search", "x"], "not both"),
        (["--max-results", "0"], "at least 1"),
        (["--page-size", "5000"], "between 1 and 2000"),
        (["--delay", "-1"], "cannot be negative"),
        (["--api-url", DEFAULT_API_URL, "--delay", "0.5"], "at least 3 s"),
        (["--search", "nope"], "No saved search matches 'nope'"),
    ],
)
def test_the_command_rejects_bad_options(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ingest_arxiv", *args)


def test_settings_point_the_client_elsewhere(settings):
    settings.ARXIV_API_URL = "http://127.0.0.1:9/api/query"
    settings.ARXIV_DELAY_SECONDS = 0
    config = load_config()
    assert config.api_url == "http://127.0.0.1:9/api/query"
    assert config.delay_seconds == 0


def test_by_default_the_client_asks_arxiv_politely(monkeypatch):
    for name in ("ARXIV_API_URL", "ARXIV_DELAY_SECONDS", "ARXIV_PAGE_SIZE"):
        monkeypatch.delenv(name, raising=False)
    config = load_config()
    assert config.api_url == "https://export.arxiv.org/api/query"
    assert config.delay_seconds >= 3
    assert config.page_size == 100


def test_the_task_runs_the_service_through_celery(stub, search, settings):
    from tracker.tasks import ingest_arxiv

    settings.ARXIV_API_URL = stub.url
    settings.ARXIV_PAGE_SIZE = 4
    settings.ARXIV_DELAY_SECONDS = 0
    ingest_arxiv.delay()
    assert search.runs.get().status == SearchRun.Status.SUCCEEDED
    ingest_arxiv.delay(search_id=search.pk)
    assert search.runs.count() == 2


def test_setup_periodic_tasks_creates_the_ingestion_beat_entry_once():
    call_command("setup_periodic_tasks")
    call_command("setup_periodic_tasks")
    entry = PeriodicTask.objects.get(name="arXiv ingestion")
    assert entry.task == "tracker.ingest_arxiv"
    assert json.loads(entry.kwargs) == {}
    assert entry.interval.every == 6 * 3600 and entry.interval.period == "seconds"
    assert entry.enabled


def test_an_edited_beat_entry_keeps_its_schedule(settings):
    call_command("setup_periodic_tasks")
    PeriodicTask.objects.filter(name="arXiv ingestion").update(enabled=False)
    call_command("setup_periodic_tasks")
    assert not PeriodicTask.objects.get(name="arXiv ingestion").enabled
