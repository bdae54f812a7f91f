"""Pages and API answers served from a cache keyed by the content version.

A public page at a large tenant costs tens of milliseconds spread over many small parts
(queries, aggregates, template rendering); no one stored aggregate removes that. What every
page shares is that its content changes only when a catalogue table is written, and the
database counts those writes (tracker/content_version.py). So a rendered page is kept under
(content version, URL, host, scheme, Accept) and served again until any write commits:
never stale, and with no list of which write invalidates which page to keep up to date.

- Shared (`PublishedPageCache`, before sessions): what is the same for every reader. GET
  requests without a session, messages or Authorization, answered 200 without setting a
  cookie and without Cache-Control private/no-cache/no-store. Never the admin.
- Per viewer (`for_viewer`; `SignedInPageCache` applies it to a signed-in reader's public
  pages and API answers, and the adjudicators' admin lists and scoring page call it): under
  the same version, the user, the URL and their CSRF cookie (a page's forms carry a token
  for that cookie's secret; a page that made a new secret is not kept), and never while
  they have messages waiting to be shown.

The health pages are never kept. Hits on API URLs still count against the view's
throttles, as the view itself would count them.

PAGE_CACHE_SECONDS (0 turns it off) bounds how long an entry lives; the version, not the
timeout, is what keeps pages fresh. The cache is the "pages" alias: per process on the
embedded default, or shared where CACHES points it at Redis.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.urls import Resolver404, resolve

from tracker import content_version

logger = logging.getLogger(__name__)

Stored = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body
CACHE_ALIAS = "pages"
ADMIN_PREFIX = "/admin/"
HIT_HEADER = "X-Page-Cache"
MESSAGES_COOKIE = "messages"
MAX_BYTES = 2 * 1024 * 1024
UNCACHEABLE_DIRECTIVES = ("private", "no-cache", "no-store")


class PublishedPageCache:
    """Middleware: placed before the session middleware, so a hit skips sessions, CSRF,
    authentication and the view, and a response that sets any cookie is seen as such."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_shared_request(request):
            return self.get_response(request)
        key = page_key(request, content_version.current())
        stored = _read(key)
        if stored is not None and not throttled(request):
            return restore(stored)
        response = self.get_response(request)
        if is_shared_response(response) and _keep(key, response):
            response[HIT_HEADER] = "miss"
        return response


class SignedInPageCache:
    """Middleware, after authentication and messages: a signed-in reader's public pages, API
    answers and the admin's index, kept per viewer (`for_viewer`). The rest of the admin
    opts in view by view (forms, actions and history pages are always rendered)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The admin's index (an adjudicator's queue counts) is a page like the others.
        if request.path.startswith(ADMIN_PREFIX) and request.path != ADMIN_PREFIX:
            return self.get_response(request)
        return for_viewer(request, lambda: self.get_response(request))


def for_viewer(request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """The signed-in viewer's page at this URL from the cache, or `render()` kept there.
    For views whose content depends only on the database and the viewer."""
    if not is_viewer_request(request):
        return render()
    key = viewer_key(request, content_version.current())
    stored = _read(key)
    if stored is not None and not throttled(request):
        return restore(stored)
    response = render()
    if isinstance(response, SimpleTemplateResponse):
        response.render()  # rendered here so its content can be kept
    if is_viewer_response(request, response) and _keep(key, response):
        response[HIT_HEADER] = "miss"
    return response


# A cache that cannot be reached (PAGE_CACHE_URL's Redis down) costs the renders it would
# have saved, never a page: reads count as misses and nothing is kept, with a warning.


def _read(key: str) -> Stored | None:
    try:
        return caches[CACHE_ALIAS].get(key)
    except Exception as exc:  # any backend's connection error
        logger.warning("Page cache unreachable, rendering instead: %s", exc)
        return None


def _keep(key: str, response: HttpResponse) -> bool:
    try:
        caches[CACHE_ALIAS].set(key, freeze(response), settings.PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Page cache unreachable, page not kept: %s", exc)
        return False
    return True


def is_viewer_request(request: HttpRequest) -> bool:
    from django.contrib import messages

    user = getattr(request, "user", None)
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and not request.path.startswith(tuple(settings.PAGE_CACHE_NEVER))
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
        and len(response.content) <= MAX_BYTES
    )


def viewer_key(request: HttpRequest, version: int) -> str:
    return "viewer:" + _digest(version, request.user.pk, request.scheme, request.get_host(),
                               request.get_full_path(),
                               request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""))


def is_shared_request(request: HttpRequest) -> bool:
    """A request whose answer is the same for every reader of this URL."""
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method == "GET"
        and not request.path.startswith((ADMIN_PREFIX, *settings.PAGE_CACHE_NEVER))
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
        and len(response.content) <= MAX_BYTES
    )


def page_key(request: HttpRequest, version: int) -> str:
    # Host and scheme: the API writes absolute `next` links. Accept: DRF negotiates on it.
    return "page:" + _digest(version, request.scheme, request.get_host(),
                             request.get_full_path(), request.META.get("HTTP_ACCEPT", ""))


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def freeze(response: HttpResponse) -> Stored:
    return response.status_code, list(response.items()), response.content


def restore(stored: Stored) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response


def throttled(request: HttpRequest) -> bool:
    """Whether the API view at this URL would refuse this request now. A hit that is
    allowed is recorded in the throttle's history, as the view would record it; one that
    is not goes on to the view, which answers 429 with its Retry-After."""
    try:
        view_class = getattr(resolve(request.path_info).func, "cls", None)
    except Resolver404:
        return False
    if view_class is None or not hasattr(view_class, "get_throttles"):
        return False
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    api_request = Request(request, authenticators=())
    # The outer middleware runs before authentication: its requests carry no session.
    api_request.user = getattr(request, "user", None) or AnonymousUser()
    view = view_class()
    # Every throttle is asked, as DRF asks them, so each records the request it allows.
    allowed = [throttle.allow_request(api_request, view) for throttle in view.get_throttles()]
    return not all(allowed)
