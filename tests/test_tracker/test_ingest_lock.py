"""Two ingestions of one saved search never run at once: the second is refused."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
from tracker.ingestion.locks import IngestionAlreadyRunning, claim_search, release_search
from tracker.ingestion.services import ingest_search, run_ingestion
from tracker.models import Market, SavedSearch, SearchRun


def _search(name: str = "SAEs") -> SavedSearch:
    market, _ = Market.objects.get_or_create(slug="sae", defaults={"title": "SAEs?"})
    return SavedSearch.objects.create(market=market, name=name, query='abs:"sparse autoencoder"')


@pytest.mark.django_db(transaction=True)
def test_a_second_concurrent_ingestion_of_one_search_is_refused():
    search = _search()
    outcome = {}
    with ArxivStub(recorded_pages("sae")) as stub:
        stub.gate = threading.Event()
        config = fast_config(stub.url)

        def first_ingestion():
            try:
                outcome["run"] = ingest_search(search_id=search.pk, config=config)
            finally:
                connection.close()

        worker = threading.Thread(target=first_ingestion)
        worker.start()
        assert stub.waiting.wait(timeout=10), "the first ingestion never reached arXiv"
        try:
            with pytest.raises(IngestionAlreadyRunning) as refused:
                ingest_search(search_id=search.pk, config=config)
        finally:
            stub.gate.set()
            worker.join(timeout=30)

    message = str(refused.value)
    assert "'SAEs'" in message and "already being ingested" in message
    assert "this run was refused" in message
    assert outcome["run"].status == SearchRun.Status.SUCCEEDED
    assert SearchRun.objects.count() == 1  # the refused run started nothing
    search.refresh_from_db()
    assert search.running_since is None


@pytest.mark.django_db
def test_the_lock_is_claimed_once_and_released_by_its_holder():
    search = _search()
    token = claim_search(search_id=search.pk, stale_after=dt.timedelta(hours=2))
    with pytest.raises(IngestionAlreadyRunning):
        claim_search(search_id=search.pk, stale_after=dt.timedelta(hours=2))
    release_search(search_id=search.pk, token=token + dt.timedelta(seconds=1))  # not ours
    search.refresh_from_db()
    assert search.running_since == token
    release_search(search_id=search.pk, token=token)
    search.refresh_from_db()
    assert search.running_since is None


@pytest.mark.django_db
def test_a_stale_lock_left_by_a_dead_run_is_taken_over():
    search = _search()
    SavedSearch.objects.filter(pk=search.pk).update(
        running_since=timezone.now() - dt.timedelta(hours=3)
    )
    with ArxivStub(recorded_pages("sae")) as stub:
        run = ingest_search(
            search_id=search.pk, config=fast_config(stub.url, lock_stale_seconds=2 * 3600)
        )
    assert run.status == SearchRun.Status.SUCCEEDED


@pytest.mark.django_db
def test_the_scheduled_run_skips_a_search_that_is_running_and_runs_the_others():
    busy, free = _search("busy"), _search("free")
    SavedSearch.objects.filter(pk=busy.pk).update(running_since=timezone.now())
    with ArxivStub(recorded_pages("sae")) as stub:
        runs = run_ingestion(config=fast_config(stub.url))
    assert [r.search_id for r in runs] == [free.pk]


@pytest.mark.django_db
def test_inactive_searches_do_not_run_on_schedule():
    _search("off").__class__.objects.filter(name="off").update(active=False)
    with ArxivStub(recorded_pages("sae")) as stub:
        assert run_ingestion(config=fast_config(stub.url)) == []
        assert stub.requests == []
