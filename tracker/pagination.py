"""Pagination shared by the HTML pages and the API: one page of a queryset (LIMIT/OFFSET
in SQL), never the whole list."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 25


def page_of(request: HttpRequest, rows, size: int = PAGE_SIZE) -> Page:
    """The page ``?page=N`` of ``rows``. A page number that is not a whole number or lies
    past the last page is a 404 that says so, rather than a silent first or last page."""
    try:
        return Paginator(rows, size).page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(f"No such page: {exc}") from None


class ApiPagination(PageNumberPagination):
    """The API's pagination: ``count``, ``next``, ``previous`` and ``results``; a client
    may ask for up to 200 rows a page with ``?page_size=``."""

    page_size_query_param = "page_size"
    max_page_size = 200
