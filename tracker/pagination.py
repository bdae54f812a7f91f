"""Pagination shared by the HTML pages and the API: one page of a queryset (LIMIT/OFFSET
in SQL), never the whole list."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE = 25


class NarrowPaginator(Paginator):
    """Pages a queryset in two steps: the page's primary keys in order (only the ORDER BY
    columns and the key go through the sort or the index, not every column of every
    joined row), then those rows in full with their joins and prefetches. A deep page of
    10,000 papers or a forecaster's 12,900 predictions then sorts narrow rows (or reads
    an index only) instead of spilling wide ones to disk."""

    def __init__(self, object_list, *args, **kwargs):
        self.rows = object_list if isinstance(object_list, QuerySet) else None
        if self.rows is not None:
            object_list = object_list.prefetch_related(None).values_list("pk", flat=True)
        super().__init__(object_list, *args, **kwargs)

    def _get_page(self, object_list, number, paginator) -> Page:
        if self.rows is None:
            return super()._get_page(  # type: ignore[misc]  # documented hook the stubs omit
                object_list, number, paginator)
        ids = list(object_list)
        by_pk = {row.pk: row for row in self.rows.filter(pk__in=ids).order_by()}
        return Page([by_pk[pk] for pk in ids if pk in by_pk], number, paginator)


def page_of(request: HttpRequest, rows, size: int = PAGE_SIZE) -> Page:
    """The page ``?page=N`` of ``rows``. A page number that is not a whole number or lies
    past the last page is a 404 that says so, rather than a silent first or last page."""
    try:
        return NarrowPaginator(rows, size).page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404(f"No such page: {exc}") from None


class ApiPagination(PageNumberPagination):
    """The API's pagination: ``count``, ``next``, ``previous`` and ``results``; a client
    may ask for up to 200 rows a page with ``?page_size=``."""

    django_paginator_class = NarrowPaginator
    page_size_query_param = "page_size"
    max_page_size = 200

    def total(self) -> int:
        """The number of rows on all pages (after ``paginate_queryset``)."""
        if self.page is None:
            raise RuntimeError("paginate_queryset() has not been called")
        return self.page.paginator.count
