"""The site's public routes, read from the URLconf (not a hand list that goes stale): for
tests that must reach every page, feed, export and API answer."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, reverse


def named_routes(patterns=None, namespace: str = "") -> Iterator[tuple[str, list[str]]]:
    """(qualified name, parameter names) of every named route outside the admin."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"unnamed route {entry.pattern}: name it so it can be checked"
            yield f"{namespace}{entry.name}", sorted(entry.pattern.regex.groupindex)


def route_urls(values: dict[str, list[str]]) -> set[str]:
    """Every route with every combination of the given values of its parameters; a route
    whose parameter has no values fails, naming it."""
    urls: set[str] = set()
    for name, params in named_routes():
        unknown = [p for p in params if p not in values]
        assert not unknown, f"route {name} takes {unknown}: give this test their values"
        choices: list[dict[str, str]] = [{}]
        for param in params:
            choices = [{**c, param: v} for c in choices for v in values[param]]
        urls.update(reverse(name, kwargs=c) for c in choices)
    return urls
