"""Where tracker/page_cache.py keeps pages: the "pages" cache, entries as plain tuples, keys
that name the deployed code, and a cache that cannot be reached costing renders, not pages.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse

logger = logging.getLogger(__name__)

CACHE_ALIAS = "pages"
HIT_HEADER = "X-Page-Cache"
# Pages here are 1-100 KB; the bound keeps a process's cache (256 entries: settings.CACHES)
# small whatever URLs a client invents.
MAX_BYTES = 512 * 1024
Stored = tuple[int, list[tuple[str, str]], bytes]  # status, headers, body
SOURCE_DIRS = ("tracker", "evaluations", "replication", "templates", "static")
SOURCE_SUFFIXES = {".py", ".html", ".txt", ".svg", ".css", ".js"}


def key(kind: str, *parts: object) -> str:
    """A key for `parts`, under the code that renders them: after a deploy, or on a server
    of another build sharing PAGE_CACHE_URL, no page of the other build is served."""
    text = "\x1f".join(str(part) for part in (build_id(), *parts))
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


@functools.cache
def build_id() -> str:
    """A digest of the code, templates and static files (read once per process)."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for folder in SOURCE_DIRS:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read(cache_key: str) -> Stored | None:
    try:
        return caches[CACHE_ALIAS].get(cache_key)
    except Exception as exc:  # any backend's connection error: a miss, never a 500
        logger.warning("Page cache unreachable, rendering instead: %s", exc)
        return None


def keep(cache_key: str, response: HttpResponse) -> bool:
    try:
        caches[CACHE_ALIAS].set(cache_key, freeze(response), settings.PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Page cache unreachable, page not kept: %s", exc)
        return False
    response[HIT_HEADER] = "miss"
    return True


def freeze(response: HttpResponse) -> Stored:
    return response.status_code, list(response.items()), response.content


def restore(stored: Stored) -> HttpResponse:
    status, headers, content = stored
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response[name] = value
    response[HIT_HEADER] = "hit"
    return response
