"""Where tracker/page_cache.py keeps pages: the "pages" cache, entries as plain tuples, keys
that name the deployed code, and a cache that cannot be reached costing renders, not pages.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from pathlib import Path
from typing import Any

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
    """The deployed build, read once per process: the project's code, templates and static
    files, and the versions of Python and of the libraries that render pages."""
    import sys

    import django
    import drf_spectacular
    import rest_framework

    versions = f"{sys.version}|{django.__version__}|{rest_framework.VERSION}|" \
               f"{drf_spectacular.__version__}"
    return source_digest(Path(settings.BASE_DIR), extra=versions)


def source_digest(base: Path, *, extra: str = "") -> str:
    """A digest of the names and contents of the source files under `base`."""
    digest = hashlib.sha256(extra.encode())
    for folder in SOURCE_DIRS:
        for path in sorted((base / folder).rglob("*")):
            if path.suffix in SOURCE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def read(cache_key: str) -> Any:
    """A kept page (`Stored`) or value (`remember`); None when absent or away."""
    try:
        return caches[CACHE_ALIAS].get(cache_key)
    except Exception as exc:  # any backend's connection error: a miss, never a 500
        logger.warning("Page cache unreachable, rendering instead: %s", exc)
        return None


def keep(cache_key: str, response: HttpResponse) -> None:
    """Keeps the response and marks it a miss; marks nothing when the cache is away."""
    try:
        caches[CACHE_ALIAS].set(cache_key, freeze(response), settings.PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Page cache unreachable, page not kept: %s", exc)
        return
    response[HIT_HEADER] = "miss"


def remember(cache_key: str, value: object) -> bool:
    """Keeps a value (a URL's tables, an API answer's payload) as long as the pages;
    False, and nothing kept, when the cache is away."""
    try:
        caches[CACHE_ALIAS].set(cache_key, value, settings.PAGE_CACHE_SECONDS)
    except Exception as exc:
        logger.warning("Page cache unreachable, %s not kept: %s", cache_key.split(":")[0], exc)
        return False
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
