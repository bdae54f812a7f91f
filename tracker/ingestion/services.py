"""Ingestion workflows: run a saved search (under its lock), an ad-hoc query, or every
active search. Each page is stored in its own transaction, so a failure keeps the pages
before it and writes nothing from the failing one; the run log records the outcome."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from tracker.ingestion.client import (
    ArxivClient,
    FetchError,
    IngestionError,
    MalformedPageError,
    Page,
    build_search,
)
from tracker.ingestion.conf import IngestionConfig, load_config
from tracker.ingestion.entries import BadEntry, entry_from_result
from tracker.ingestion.locks import IngestionAlreadyRunning, claim_search, release_search
from tracker.ingestion.triage_store import MarketProfile, active_profiles, triage_papers
from tracker.ingestion.upsert import upsert_entries
from tracker.models import SavedSearch, SearchRun
from tracker.queueing import QueueUnavailable, send_now

logger = logging.getLogger(__name__)

RUN_COUNTERS = ["pages", "fetched", "created", "updated", "unchanged", "candidates", "errors"]
INGEST_TASK = "tracker.ingest_arxiv"


def request_runs(*, search_ids: list[int]) -> int:
    """"Run now": mark the searches requested, then send one task each.

    The mark is the source of truth: the task clears it when it starts the run, and the
    reconciler resends a request still marked after ARXIV_REQUEST_RESEND_SECONDS (the
    broker was down, or lost the message). Raises :class:`QueueUnavailable` after saving
    when the broker cannot be reached (it sends now: the caller tells a person). Returns
    how many were requested."""
    with transaction.atomic():
        count = SavedSearch.objects.filter(pk__in=search_ids).update(
            run_requested_at=timezone.now()
        )
    try:
        for search_id in search_ids:
            send_now(INGEST_TASK, kwargs={"search_id": search_id, "requested": True},
                     retry=True, retry_policy={"max_retries": 1})
    except QueueUnavailable as exc:
        raise QueueUnavailable(
            f"{exc}. The request is saved: it is sent as soon as the broker is back.",
            task=exc.task,
        ) from exc.__cause__
    return count


def ingest_search(
    *,
    search_id: int,
    max_results: int | None = None,
    config: IngestionConfig | None = None,
    requested: bool = False,
) -> SearchRun | None:
    """Run one saved search; raises IngestionAlreadyRunning if it is running elsewhere.

    With ``requested`` (a "Run now" task), runs only while the request is still open,
    and closes it: a resent duplicate of the request finds it closed and returns None."""
    config = config or load_config()
    search = SavedSearch.objects.select_related("market").get(pk=search_id)
    token = claim_search(
        search_id=search.pk, stale_after=dt.timedelta(seconds=config.lock_stale_seconds)
    )
    if requested and not SavedSearch.objects.filter(
        pk=search.pk, run_requested_at__isnull=False
    ).update(run_requested_at=None):
        release_search(search_id=search.pk, token=token)
        return None
    try:
        run = _run(
            search=search,
            query=search.full_query(),
            max_results=max_results or search.max_results,
            config=config,
        )
        stamp: dict[str, dt.datetime | None] = {"last_run_at": run.started_at}
        if run.status == SearchRun.Status.SUCCEEDED:
            stamp["last_success_at"] = run.finished_at
        SavedSearch.objects.filter(pk=search.pk).update(**stamp)
        return run
    finally:
        release_search(search_id=search.pk, token=token)


def ingest_query(
    *, query: str, max_results: int | None = 100, config: IngestionConfig | None = None
) -> SearchRun:
    """An ad-hoc query (no saved search, so no lock); logged as a run without a search."""
    return _run(search=None, query=query, max_results=max_results, config=config or load_config())


def run_ingestion(
    *, max_results: int | None = None, config: IngestionConfig | None = None
) -> list[SearchRun]:
    """Every active saved search in turn; one that is already running is skipped."""
    runs: list[SearchRun] = []
    ids = SavedSearch.objects.filter(active=True).order_by("pk").values_list("pk", flat=True)
    for search_id in list(ids):
        try:
            run = ingest_search(search_id=search_id, max_results=max_results, config=config)
        except IngestionAlreadyRunning as exc:
            logger.warning("%s", exc)
            continue
        except SavedSearch.DoesNotExist:
            continue  # deleted meanwhile
        if run is not None:  # None only for a "Run now" request, which this is not
            runs.append(run)
    return runs


def _run(
    *, search: SavedSearch | None, query: str, max_results: int | None, config: IngestionConfig
) -> SearchRun:
    run = SearchRun.objects.create(
        search=search, query=query, api_url=config.api_url, started_at=timezone.now()
    )
    client = ArxivClient(config)
    profiles = active_profiles()
    try:
        for page in client.pages(build_search(query, max_results)):
            with transaction.atomic():
                _store_page(run, page, profiles, search)
    except MalformedPageError as exc:
        _fail(run, f"{exc} Run stopped; nothing from that page was written.")
    except FetchError as exc:
        _fail(run, str(exc))
    except IngestionError as exc:  # pragma: no cover - any other known failure
        _fail(run, str(exc))
    except Exception as exc:
        _fail(run, f"Unexpected {type(exc).__name__}: {exc}")
        raise
    else:
        run.status = SearchRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
    logger.info(
        "arXiv ingestion %s: %s fetched, %s created, %s updated, %s candidates",
        run.status, run.fetched, run.created, run.updated, run.candidates,
    )
    return run


def _store_page(
    run: SearchRun, page: Page, profiles: list[MarketProfile], search: SavedSearch | None
) -> None:
    entries = []
    bad = list(page.skipped)
    for result in page.results:
        try:
            entries.append(entry_from_result(result))
        except BadEntry as exc:
            bad.append(str(exc))
    outcome = upsert_entries(entries)
    candidates = triage_papers(outcome.changed, profiles, found_by=search)
    run.pages += 1
    run.fetched += len(page.results) + len(page.skipped)
    run.created += len(outcome.created)
    run.updated += len(outcome.updated)
    run.unchanged += outcome.unchanged
    run.candidates += candidates
    if bad:
        run.errors += len(bad)
        run.error = "\n".join([run.error, *bad]).strip()
    run.save(update_fields=[*RUN_COUNTERS, "error"])


def _fail(run: SearchRun, message: str) -> None:
    logger.error("arXiv ingestion failed: %s", message)
    run.status = SearchRun.Status.FAILED
    run.errors += 1
    run.error = "\n".join([run.error, message]).strip()
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "errors", "error", "finished_at"])


def reconcile_ingestion(*, now: dt.datetime | None = None,
                        config: IngestionConfig | None = None) -> dict[str, list[int]]:
    """The reconciler's ingestion step.

    Resends "Run now" requests still open after ARXIV_REQUEST_RESEND_SECONDS (the request
    time moves on, so at most one resend per that interval; a duplicate finds the request
    closed), and fails run-log rows still "running" past the run deadline plus a minute
    (the client stops a live run at the deadline, so these were left by a process that
    died), and frees their searches' locks."""
    config = config or load_config()
    now = now or timezone.now()
    resend_before = now - dt.timedelta(seconds=request_resend_seconds())
    resent = []
    for search_id, requested_at in SavedSearch.objects.filter(
        run_requested_at__lt=resend_before, running_since__isnull=True
    ).values_list("pk", "run_requested_at"):
        # Move the request on first (only if still open), so a task that runs and closes
        # it at once is not followed by a phantom reopening.
        if not SavedSearch.objects.filter(pk=search_id, run_requested_at=requested_at).update(
            run_requested_at=now
        ):
            continue
        try:
            send_now(INGEST_TASK, kwargs={"search_id": search_id, "requested": True},
                     retry=True, retry_policy={"max_retries": 0})
        except QueueUnavailable:
            break
        resent.append(search_id)
    abandoned_before = now - dt.timedelta(seconds=config.run_deadline_seconds + 60)
    failed = []
    for run in SearchRun.objects.filter(
        status=SearchRun.Status.RUNNING, started_at__lt=abandoned_before
    ):
        _fail(run, f"The process running this ingestion stopped before it finished (no "
                   f"end recorded {config.run_deadline_seconds:.0f} s after it started, "
                   "the run deadline). Its pages written before that are kept.")
        failed.append(run.pk)
    # A lock taken before the deadline by a run that cannot still be going.
    SavedSearch.objects.filter(running_since__lt=abandoned_before).update(running_since=None)
    return {"resent": resent, "failed": failed} if resent or failed else {}


def request_resend_seconds() -> float:
    from django.conf import settings

    return float(settings.ARXIV_REQUEST_RESEND_SECONDS)
