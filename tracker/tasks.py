"""Celery tasks of the catalogue: thin wrappers that call services."""

from __future__ import annotations

import logging
import socket

from celery import shared_task

from tracker.services import record_worker_heartbeat


@shared_task(name="tracker.heartbeat", ignore_result=True, bind=True)
def heartbeat(self, hostname: str | None = None, queue: str = "") -> None:
    """Proves a worker consumes from ``queue``: beat sends one to each queue every minute,
    and "Ping the workers" on /health/ sends one to each now. Recorded under the worker's
    node name (default@host, gpu@host), so two workers on one machine are two rows."""
    record_worker_heartbeat(
        hostname=hostname or self.request.hostname or socket.gethostname(), queue=queue)


@shared_task(name="tracker.compact_content_log", ignore_result=True)
def compact_content_log() -> None:
    """Keeps the content version's log short, so reading the version stays one small sum."""
    from tracker import content_version

    content_version.compact()


@shared_task(name="tracker.ingest_arxiv", ignore_result=True)
def ingest_arxiv(search_id: int | None = None, requested: bool = False) -> None:
    """Beat runs it for every active saved search; with an id, for that search only
    (``requested``: a "Run now" request, run once however often it is delivered).

    A search already being ingested elsewhere is skipped (its lock is held); a request
    stays open then, and the reconciler sends it again later."""
    from tracker.ingestion.locks import IngestionAlreadyRunning
    from tracker.ingestion.services import ingest_search, run_ingestion
    from tracker.models import SavedSearch

    if search_id is None:
        run_ingestion()
        return
    try:
        ingest_search(search_id=search_id, requested=requested)
    except (IngestionAlreadyRunning, SavedSearch.DoesNotExist) as exc:
        logging.getLogger(__name__).warning("arXiv ingestion skipped: %s", exc)
