"""Pages and API answers served from a cache keyed by the content version.

A public page at a large tenant costs tens of milliseconds spread over many small parts
(queries, aggregates, template rendering); no one stored aggregate removes that. What every
page shares is that its content changes only when a catalogue table is written, and the
database counts those writes (tracker/content_version.py). So a rendered page is kept under
the content stamp, the URL, host, scheme, Accept and the deployed code (tracker/page_store.py),
and served again until any write commits: never stale, and with no list of which write
invalidates which page to keep up to date.

Shared pages only (`PublishedPageCache`, before sessions): what is the same for every
reader. GET requests without a session, messages or Authorization, answered 200 without
setting a cookie and without Cache-Control private/no-cache/no-store. Never the admin.
A signed-in reader's pages are always rendered (issue 27 removed the per-viewer copies:
an adjudicator's own saves expire the very pages they come back to, so those copies were
served on reloads only, for a key that had to track the viewer, their CSRF secret and
their messages).

The stamp is read once, first thing in the request, before anything else is read from the
database: a write that commits after it can only make the page newer than its key, never
older. It is read for every table at once (content_version.snapshot); a page is keyed by
the stamp of the tables this URL's renders read (tracker/page_reads.py: the union of what
its renders read, remembered per URL), so a write expires only the pages that read its
table. The health pages are never kept. DRF's answers are never kept here: a hit here
would skip DRF's authentication, permissions and throttles; DRF views cache inside DRF
(tracker/api_cache.py), after those ran, with the stamp read here. PAGE_CACHE_SECONDS
(0 turns it off) bounds how long an entry lives; the stamp, not the timeout, is what keeps
pages fresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from tracker import content_version, page_reads, page_store

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"
MESSAGES_COOKIE = "messages"
UNCACHEABLE_DIRECTIVES = ("private", "no-cache", "no-store")
STAMP_ATTRIBUTE = "content_snapshot"  # set on the request by PublishedPageCache


class PublishedPageCache:
    """Middleware: placed before the session middleware, so a hit skips sessions, CSRF,
    authentication and the view, and a response that sets any cookie is seen as such.
    It reads the stamp for every GET it may answer, signed in or not: the API's own cache
    (tracker/api_cache.py) keys a viewer's answers by it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_be_kept(request):
            return self.get_response(request)
        found = read_snapshot()
        setattr(request, STAMP_ATTRIBUTE, found)  # for tracker/api_cache.py, further in
        if found is None or not is_shared_request(request):
            return self.get_response(request)
        known = known_reads(request)
        if known is not None and \
                (stored := page_store.read(page_key(request, found, known))) is not None:
            return page_store.restore(stored)
        reads = page_reads.Reads(known)
        with page_reads.watching(reads):
            response = self.get_response(request)
        if answered_by_drf(response):
            return response  # cached inside DRF, or not at all (tracker/api_cache.py)
        if is_shared_response(response):
            page_store.keep(page_key(request, found, reads.tables), response)
        remember_reads(request, known, reads.tables)
        return response


def answered_by_drf(response: HttpResponse) -> bool:
    from rest_framework.response import Response

    return isinstance(response, Response)


def may_be_kept(request: HttpRequest) -> bool:
    """A GET the cache may answer, for someone: the stamp is read for these only."""
    return (settings.PAGE_CACHE_SECONDS > 0 and request.method == "GET"
            and not request.path_info.startswith(tuple(settings.PAGE_CACHE_NEVER)))


def read_snapshot() -> content_version.Snapshot | None:
    """Every table's version; None (no caching for this request) when the database cannot
    give it, e.g. code deployed before `migrate` made the log table."""
    try:
        return content_version.snapshot()
    except DatabaseError as exc:
        logger.warning("Content version unreadable, rendering without the page cache: %s", exc)
        return None


def is_shared_request(request: HttpRequest) -> bool:
    """A request whose answer is the same for every reader of this URL."""
    return (
        may_be_kept(request)
        and not request.path_info.startswith(ADMIN_PREFIX)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def is_shared_response(response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "").lower()
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not any(directive in cache_control for directive in UNCACHEABLE_DIRECTIVES)
        and len(response.content) <= page_store.MAX_BYTES
    )


def page_key(request: HttpRequest, found: content_version.Snapshot,
             tables: frozenset[str]) -> str:
    # Host and scheme: the API writes absolute `next` links. Accept: DRF negotiates on it.
    return page_store.key("page", *_stamped(found, tables), request.scheme, request.get_host(),
                          request.get_full_path(), request.META.get("HTTP_ACCEPT", ""))


def _stamped(found: content_version.Snapshot, tables: frozenset[str]) -> tuple[str, str]:
    """The tables' stamp and their names: the same stamp of other tables is another key."""
    return content_version.stamp_of(found, tables), ",".join(sorted(tables))


def reads_key(request: HttpRequest) -> str:
    return page_store.key("reads", request.scheme, request.get_host(), request.get_full_path(),
                          request.META.get("HTTP_ACCEPT", ""))


def known_reads(request: HttpRequest) -> frozenset[str] | None:
    """The tables earlier renders of this URL read; None until one was rendered."""
    found = page_store.read(reads_key(request))
    return frozenset(found) if found is not None else None


def remember_reads(request: HttpRequest, known: frozenset[str] | None,
                   read: frozenset[str]) -> None:
    """Keeps the union of what this URL's renders read (a render for another viewer, or
    of other data, may read more), when this one added to it."""
    if known is None or not read <= known:
        page_store.remember(reads_key(request), sorted(read))
