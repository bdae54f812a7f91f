"""API answers cached inside DRF: conditional GET and payload caching in the view.

`cached` wraps a DRF view's `get` handler, which DRF calls after `initial()`: the
authentication, permissions and throttles run on every request as DRF runs them, hit or
not, and a hit skips only the handler's reads and serialisation.

- The answer's payload (`response.data`, status and the handler's headers, never the
  rendered bytes: DRF renders it for the request's Accept) is kept in the "pages" cache
  (tracker/page_store.py) under the stamp of the tables the handler reads
  (tracker/page_reads.py, remembered per URL as the page cache does), the URL, host and
  scheme (absolute `next` links), and the viewer: a signed-in viewer's answers are their
  own (the leaderboard shows an adjudicator more), an anonymous answer is shared by the
  anonymous. A render that was refused (403, 404) is never kept.
- Its ETag is a digest of that key and the Accept header: a client sending it back in
  If-None-Match gets 304 with no read but the stamp, until a write to a table the answer
  read moves it. A write to another table changes nothing.

The stamp is the one tracker.page_cache.PublishedPageCache reads first thing in the
request (before the session, the user and the data), so a write committed after it can
only make an answer newer than its key. Without it (cache off, or the version unreadable)
the handler just runs.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpResponseBase
from django.utils.http import parse_etags, quote_etag
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker import content_version, page_cache, page_reads, page_store

# A signed-in viewer's answer may depend on who they are (roles, groups): their user row is
# part of what it read, whatever the handler's own SQL named.
VIEWER_TABLES = frozenset({"auth_user", "auth_user_groups", "auth_user_user_permissions"})
Stored = tuple[int, Any, list[tuple[str, str]]]  # status, data, headers the handler set
View = TypeVar("View", bound=type[APIView])


def cached(view_class: View) -> View:
    """Class decorator for a read-only DRF view: its GET answers as the module says."""
    handler = view_class.get  # type: ignore[attr-defined]

    @functools.wraps(handler)
    def get(self: APIView, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return answer(request, lambda: handler(self, request, *args, **kwargs))

    view_class.get = get  # type: ignore[attr-defined]
    return view_class


def answer(request: Request, render: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """The answer from the cache, 304 when the client holds it, or `render()` kept."""
    found = getattr(request._request, page_cache.STAMP_ATTRIBUTE, None)
    if found is None or settings.PAGE_CACHE_SECONDS <= 0:
        return render()
    known = page_store.read(reads_key(request))
    if known is not None:
        known = frozenset(known)
        key = answer_key(request, found, known)
        tag = etag(request, key)
        if holds(request, tag):
            return Response(status=304, headers={"ETag": tag})
        if (stored := page_store.read(key)) is not None:
            status, data, headers = stored
            kept = Response(data, status=status, headers=dict(headers))
            kept["ETag"], kept[page_store.HIT_HEADER] = tag, "hit"
            return kept
    reads = page_reads.Reads(known)
    with page_reads.watching(reads):
        response = render()
    if isinstance(response, Response) and response.status_code == 200 and not response.exception:
        key = answer_key(request, found, reads.tables)
        if page_store.remember(key, freeze(response)):
            response["ETag"], response[page_store.HIT_HEADER] = etag(request, key), "miss"
    if known is None or not reads.tables <= known:
        page_store.remember(reads_key(request), sorted(reads.tables))
    return response


def freeze(response: Response) -> Stored:
    headers = [(name, value) for name, value in response.items() if name != "Content-Type"]
    return response.status_code, response.data, headers


def viewer(request: Request) -> int | None:
    user = request.user
    return user.pk if user is not None and user.is_authenticated else None


def answer_key(request: Request, found: content_version.Snapshot,
               tables: frozenset[str]) -> str:
    who = viewer(request)
    if who is not None:
        tables = tables | VIEWER_TABLES
    return page_store.key("api", content_version.stamp_of(found, tables),
                          ",".join(sorted(tables)), who, request.scheme, request.get_host(),
                          request.get_full_path())


def reads_key(request: Request) -> str:
    return page_store.key("api-reads", viewer(request) is not None, request.scheme,
                          request.get_host(), request.get_full_path())


def holds(request: Request, tag: str) -> bool:
    """If-None-Match names this answer (weak comparison, as RFC 9110 asks for GET)."""
    sent = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
    return "*" in sent or tag.removeprefix("W/") in {s.removeprefix("W/") for s in sent}


def etag(request: Request, key: str) -> str:
    """Weak: the same payload may be rendered to other bytes (another JSON library)."""
    accept = request.META.get("HTTP_ACCEPT", "")
    digest = hashlib.sha256(f"{key}\x1f{accept}".encode()).hexdigest()[:32]
    return "W/" + quote_etag(digest)
