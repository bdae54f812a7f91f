"""Whether the caches that must be shared between web processes are: DRF's throttle counts
("default") and the page cache ("pages"). In a per-process cache each gunicorn worker counts
its own requests, so `-w 4` lets a client through at 4x the configured rate (and 4x again per
server), and each worker renders every page for itself.

`check --deploy` reports it (a warning: a single-process server is a valid deployment), and
the WSGI application logs it once at start-up when DEBUG is off.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks

logger = logging.getLogger(__name__)

PER_PROCESS_BACKENDS = ("django.core.cache.backends.locmem.LocMemCache",
                        "django.core.cache.backends.dummy.DummyCache")
WHAT = {"default": "API throttle counts", "pages": "cached pages"}


def per_process_aliases() -> list[str]:
    """The aliases of WHAT whose backend keeps its entries inside one process."""
    return [alias for alias in WHAT
            if settings.CACHES.get(alias, {}).get("BACKEND") in PER_PROCESS_BACKENDS]


def warnings() -> list[checks.CheckMessage]:
    return [checks.Warning(
        f"The {alias!r} cache ({WHAT[alias]}) is per process: with several web workers or "
        "servers each keeps its own, so "
        + ("a client gets the API rate limit once per process."
           if alias == "default" else "each process renders every page for itself."),
        hint="Set CACHE_URL=redis://HOST:PORT/DB (a Redis database of its own) for every "
             "web process.",
        id=f"tracker.W0{10 + index}",
    ) for index, alias in enumerate(per_process_aliases())]


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_caches(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check --deploy`: production settings keep throttles and pages shared."""
    return [] if settings.DEBUG else warnings()


def warn_at_start_up() -> None:
    """Logged once by the web server's process (tracker/wsgi.py) when DEBUG is off."""
    if settings.DEBUG:
        return
    for warning in warnings():
        logger.warning("%s %s (%s)", warning.msg, warning.hint, warning.id)
