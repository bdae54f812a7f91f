"""One ingestion per saved search at a time: a conditional update claims the row.

`running_since` is set only when it is empty (or older than the stale limit, for a run
that died without cleaning up), and the row count says whether this process won. It
works the same on SQLite and Postgres.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from tracker.ingestion.client import IngestionError
from tracker.models import SavedSearch


class IngestionAlreadyRunning(IngestionError):
    """Another ingestion of the same saved search holds the lock."""


def claim_search(*, search_id: int, stale_after: dt.timedelta) -> dt.datetime:
    """Take the lock or raise IngestionAlreadyRunning; returns the token to release."""
    now = timezone.now()
    claimed = (
        SavedSearch.objects.filter(pk=search_id)
        .filter(Q(running_since__isnull=True) | Q(running_since__lt=now - stale_after))
        .update(running_since=now)
    )
    if claimed:
        return now
    search = SavedSearch.objects.filter(pk=search_id).values("name", "running_since").first()
    if search is None:
        raise SavedSearch.DoesNotExist(f"No saved search with id {search_id}.")
    raise IngestionAlreadyRunning(
        f"Saved search {search['name']!r} (id {search_id}) is already being ingested "
        f"(running since {search['running_since']:%Y-%m-%d %H:%M:%S} UTC); "
        "this run was refused."
    )


def release_search(*, search_id: int, token: dt.datetime) -> None:
    """Release only our own claim (a stale-lock takeover may have replaced it)."""
    SavedSearch.objects.filter(pk=search_id, running_since=token).update(running_since=None)
