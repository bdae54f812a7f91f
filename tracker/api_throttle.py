"""DRF's throttles for an API answer served from the page cache: the view is skipped, its
throttles are not. A hit counts as the view would count it, and a refused one gets the
view's 429 with its Retry-After, without the request being counted twice."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve


def refusal(request: HttpRequest) -> HttpResponse | None:
    """None when the API view at this URL would let this request through (and it is then
    recorded by each throttle); its rendered 429 when a throttle refuses it; None for a URL
    that is not an API view."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None)
    if view_class is None or not hasattr(view_class, "get_throttles"):
        return None
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.exceptions import Throttled
    from rest_framework.request import Request

    view = view_class(**getattr(match.func, "initkwargs", {}))
    api_request = Request(request, authenticators=())
    # The shared cache answers before authentication: its requests carry no session.
    api_request.user = getattr(request, "user", None) or AnonymousUser()
    view.request, view.args, view.kwargs = api_request, match.args, match.kwargs
    view.format_kwarg, view.headers = None, view.default_response_headers
    # Every throttle is asked, as DRF asks them, so each records the request it allows.
    waits = [throttle.wait() for throttle in view.get_throttles()
             if not throttle.allow_request(api_request, view)]
    if not waits:
        return None
    known = [wait for wait in waits if wait is not None]
    response = view.handle_exception(Throttled(max(known) if known else None))
    # Returned by a middleware, not a view: Django will not render it for us.
    return view.finalize_response(api_request, response).render()
