"""The address a request comes from, for the login lockout (django-axes calls
``client_address`` through ``AXES_CLIENT_IP_CALLABLE``).

Without a proxy it is ``REMOTE_ADDR``: a client can send any X-Forwarded-For it likes, so
the header is never read. Behind the one trusted proxy of ``SECURE_PROXY_SSL=1`` (nginx
with ``proxy_add_x_forwarded_for``) every request's ``REMOTE_ADDR`` is the proxy's, and
the client's address is the *last* entry of X-Forwarded-For: the one the proxy appended.
Entries before it are whatever the client sent, so they are never trusted. django-ipware
parses the header (ports, IPv6 brackets, malformed entries skipped); in its terms the
client sits right before ``proxy_count=0`` further proxies, and ``strict=False`` accepts
a header with client-sent entries in front.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_address(request: HttpRequest) -> str | None:
    if settings.BEHIND_TRUSTED_PROXY:
        address, _routable = get_client_ip(
            request, proxy_count=0, request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False)
        if address:
            return address
    return request.META.get("REMOTE_ADDR")
