"""Pages and API answers served from a cache keyed by the content version.

A public page at a large tenant costs tens of milliseconds spread over many small parts
(queries, aggregates, template rendering); no one stored aggregate removes that. What every
page shares is that its content changes only when a catalogue table is written, and the
database counts those writes (tracker/content_version.py). So a rendered page is kept under
the content stamp, the URL, host, scheme, Accept and the deployed code (tracker/page_store.py),
and served again until any write commits: never stale, and with no list of which write
invalidates which page to keep up to date.

- Shared (`PublishedPageCache`, before sessions): what is the same for every reader. GET
  requests without a session, messages or Authorization, answered 200 without setting a
  cookie and without Cache-Control private/no-cache/no-store. Never the admin.
- Per viewer (`for_viewer`; `SignedInPageCache` applies it to a signed-in reader's public
  pages, API answers and the admin's index, and the adjudicators' admin lists and scoring
  page call it): also keyed by the user and their CSRF cookie (a page's forms carry a token
  for that cookie's secret; a page that made a new secret is not kept), and never while
  they have messages waiting to be shown.

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
from django.template.response import SimpleTemplateResponse

from tracker import content_version, page_reads, page_store

logger = logging.getLogger(__name__)

ADMIN_PREFIX = "/admin/"
MESSAGES_COOKIE = "messages"
UNCACHEABLE_DIRECTIVES = ("private", "no-cache", "no-store")
STAMP_ATTRIBUTE = "content_snapshot"  # set on the request by PublishedPageCache
READS_ATTRIBUTE = "content_reads"  # page_reads.Reads of this request's render


class PublishedPageCache:
    """Middleware: placed before the session middleware, so a hit skips sessions, CSRF,
    authentication and the view, and a response that sets any cookie is seen as such."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not may_be_kept(request):
            return self.get_response(request)
        found = read_snapshot()
        setattr(request, STAMP_ATTRIBUTE, found)  # for for_viewer, further in
        if found is None:
            return self.get_response(request)
        shared = is_shared_request(request)
        known = known_reads(request)
        if shared and known is not None and \
                (stored := page_store.read(page_key(request, found, known))) is not None:
            return page_store.restore(stored)
        reads = page_reads.Reads(known)
        setattr(request, READS_ATTRIBUTE, reads)
        with page_reads.watching(reads):
            response = self.get_response(request)
        if answered_by_drf(response):
            return response  # cached inside DRF, or not at all (tracker/api_cache.py)
        if shared and is_shared_response(response):
            page_store.keep(page_key(request, found, reads.tables), response)
        remember_reads(request, known, reads.tables)
        return response


class SignedInPageCache:
    """Middleware, after authentication and messages: a signed-in reader's public pages, API
    answers and the admin's index, kept per viewer (`for_viewer`). The rest of the admin
    opts in view by view (the adjudicators' lists and scoring sheet); its other pages are
    always rendered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The admin's index (an adjudicator's queue counts) is a page like the others.
        path = request.path_info
        if path.startswith(ADMIN_PREFIX) and path != ADMIN_PREFIX:
            return self.get_response(request)
        return for_viewer(request, lambda: self.get_response(request))


def for_viewer(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The signed-in viewer's page at this URL from the cache, or `render()` kept there.
    For views whose content depends only on the database and the viewer."""
    found = getattr(request, STAMP_ATTRIBUTE, None)
    reads = getattr(request, READS_ATTRIBUTE, None)
    if found is None or reads is None or not is_viewer_request(request):
        return render()
    known = known_reads(request)
    if known is not None and \
            (stored := page_store.read(viewer_key(request, found, known))) is not None:
        return page_store.restore(stored)
    response = render()
    if isinstance(response, SimpleTemplateResponse):
        response.render()  # rendered here so its content can be kept
    if is_viewer_response(request, response) and not answered_by_drf(response):
        page_store.keep(viewer_key(request, found, reads.tables), response)
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


def is_viewer_request(request: HttpRequest) -> bool:
    from django.contrib import messages

    user = getattr(request, "user", None)
    return (
        may_be_kept(request)
        and user is not None and user.is_authenticated
        and len(messages.get_messages(request)) == 0
    )


def is_viewer_response(request: HttpRequest, response: HttpResponse) -> bool:
    from django.contrib import messages

    # A page whose forms carry a CSRF token fits the secret in the key (the request's
    # cookie) only: not one the render made because the request had none. The admin's
    # csrf_protect renews the cookie on the response: the same secret is fine, any other
    # cookie is not.
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    renewed = {settings.CSRF_COOKIE_NAME: secret}
    return (
        response.status_code == 200
        and not response.streaming
        and request.META.get("CSRF_COOKIE", "") == secret
        and all(renewed.get(name) == morsel.value for name, morsel in response.cookies.items())
        and not getattr(messages.get_messages(request), "added_new", False)
        and len(response.content) <= page_store.MAX_BYTES
    )


def page_key(request: HttpRequest, found: content_version.Snapshot,
             tables: frozenset[str]) -> str:
    # Host and scheme: the API writes absolute `next` links. Accept: DRF negotiates on it.
    return page_store.key("page", *_stamped(found, tables), request.scheme, request.get_host(),
                          request.get_full_path(), request.META.get("HTTP_ACCEPT", ""))


def viewer_key(request: HttpRequest, found: content_version.Snapshot,
               tables: frozenset[str]) -> str:
    return page_store.key("viewer", *_stamped(found, tables), request.user.pk, request.scheme,
                          request.get_host(), request.get_full_path(),
                          request.META.get("HTTP_ACCEPT", ""),
                          request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""))


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
