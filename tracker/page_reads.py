"""Which covered tables a request's render read: what its cached page depends on.

tracker/page_cache.py keys a page by the versions of the tables it reads, not by every
table's: a replication's progress (replication_replicationrun) expires the pages that read
runs, and the forecasters' pages stay cached. No page declares its tables by hand (a list
that would go out of date): the render's own SQL says which it read, and the URL's entry
remembers their union. A page is kept only when every table its render read is among the
tables its key's stamp covered, so a page is never served past a write to a table it read.

Why that is enough: a render is a function of what it reads (and the request and the code,
in the key). Which tables it goes on to read is decided by what it read before, so while
those tables are unchanged a render reads the same tables and makes the same page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections


@functools.cache
def _pattern() -> re.Pattern[str]:
    from tracker.content_version import covered_tables

    names = sorted(covered_tables(), key=len, reverse=True)
    return re.compile(r"(?<![\w$])(" + "|".join(map(re.escape, names)) + r")(?![\w$])")


def tables_in(sql: str) -> set[str]:
    """The covered tables named in a statement (quoted or not)."""
    return set(_pattern().findall(sql))


class Reads:
    """The covered tables read on the default connection while `watching` is open, with
    the ones earlier renders of the URL read (`known`): what a page is keyed by."""

    def __init__(self, known: frozenset[str] | None = None) -> None:
        self.tables: frozenset[str] = known or frozenset()

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool,
                 context: dict) -> Any:
        self.add(tables_in(sql))
        return execute(sql, params, many, context)

    def add(self, names: set[str]) -> None:
        if found := names - self.tables:
            self.tables = self.tables | found


_watching: ContextVar[tuple[Reads, ...]] = ContextVar("page_reads", default=())


@contextmanager
def watching(reads: Reads, using: str = "default") -> Iterator[Reads]:
    token = _watching.set((*_watching.get(), reads))
    try:
        with connections[using].execute_wrapper(reads):
            yield reads
    finally:
        _watching.reset(token)


def note(*names: str) -> None:
    """Counts `names` as read by every render being watched: for what the SQL does not
    say, the live columns of a row (content_version.live_name) that a render shows."""
    for reads in _watching.get():
        reads.add(set(names))
