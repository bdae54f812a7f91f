"""Shared pieces of the adjudicators' and resolvers' console: the role guard and small
formatting helpers. Every write in the console goes through `evaluations.services`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern

from evaluations import services
from tracker.models import Candidacy


@dataclass
class RequestCache:
    """What a console page works out once per request: the admin instances are shared
    between requests, and the answers depend on who looks."""

    conflicts: dict[int, str | None] = field(default_factory=dict)
    conflicted_ids: set[int] | None = None
    scoring_page: list[Candidacy] = field(default_factory=list)  # the rows this page shows
    scoring_figures: dict[str, Any] | None = None
    markets: int | None = None  # how many markets (the scoring list's columns ask twice)


_request_caches: WeakKeyDictionary[HttpRequest, RequestCache] = WeakKeyDictionary()


def request_cache(request: HttpRequest) -> RequestCache:
    """The request's cache, made on first use and dropped with the request."""
    cache = _request_caches.get(request)
    if cache is None:
        cache = _request_caches[request] = RequestCache()
    return cache


def _blank(value: object) -> str:
    return "—" if value in (None, "", []) else str(value)


def format_kappa(result) -> str:
    if result is None or result.kappa is None:
        why = result.undefined_because if result is not None else "no submitted assessments"
        return f"undefined ({why})"
    return f"κ = {result.kappa:.3f} over {result.items} items, up to {result.raters} raters"


if TYPE_CHECKING:  # the mixin's super() is the ModelAdmin it is mixed into
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class RoleGuardMixin(_ModelAdminBase):
    """Authenticated users who are neither adjudicators nor resolvers get 403 on these
    pages; the anonymous still go to the login page."""

    def get_urls(self) -> list[URLPattern]:
        return [self._guard(pattern) for pattern in super().get_urls()]

    @staticmethod
    def _guard(pattern: URLPattern) -> URLPattern:
        view = pattern.callback

        @wraps(view)
        def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if user.is_authenticated and not (
                user.is_superuser or services.is_adjudicator(user) or services.can_resolve(user)
            ):
                raise PermissionDenied("Adjudicators and resolvers only.")
            return view(request, *args, **kwargs)

        return URLPattern(pattern.pattern, guarded, pattern.default_args, pattern.name)

    def _is_insider(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_superuser or services.is_adjudicator(user) or services.can_resolve(user)


def conflict_of(request: HttpRequest, candidacy: Candidacy) -> str | None:
    cache = request_cache(request).conflicts
    if candidacy.pk not in cache:
        cache[candidacy.pk] = (
            services.find_conflict(user=request.user, paper=candidacy.paper)
            if request.user.is_authenticated else None
        )
    return cache[candidacy.pk]


def conflicted_ids(request: HttpRequest) -> set[int]:
    """Every candidacy the requesting user has a conflict with (two queries a request)."""
    cache = request_cache(request)
    if cache.conflicted_ids is None:
        cache.conflicted_ids = services.conflicted_candidacy_ids(user=request.user)
    return cache.conflicted_ids



def submit_for(request: HttpRequest, candidacies) -> None:
    for candidacy in candidacies:
        try:
            count = services.submit_assessments(adjudicator=request.user, candidacy=candidacy)
        except ValidationError as exc:
            messages.error(request, f"{candidacy.paper}: {' '.join(exc.messages)}")
        except PermissionDenied as exc:
            messages.error(request, f"{candidacy.paper}: {exc}")
        else:
            messages.success(request, f"{candidacy.paper}: {count} assessments submitted.")
