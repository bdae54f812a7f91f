"""Lists are read a page at a time: the two-step paginator keeps the order and the
prefetches of the full queryset, pages link to each other, and a page that does not
exist is a 404 that says so (HTML) or DRF's "Invalid page." (API)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import queries
from tracker.models import Author, Authorship, Paper
from tracker.pagination import NarrowPaginator

pytestmark = pytest.mark.django_db


def _papers(n: int) -> None:
    author = Author.objects.create(name="Page Author")
    for i in range(n):
        paper = Paper.objects.create(
            slug=f"p-{i}", title=f"Title {i % 7}",  # ties on title: the id breaks them
            published=dt.date(2024, 1, 1) + dt.timedelta(days=i % 5) if i % 9 else None,
        )
        Authorship.objects.create(paper=paper, author=author, position=1)


def test_the_two_step_pages_are_slices_of_the_full_order():
    _papers(60)
    full = list(queries.paper_list())
    paginator = NarrowPaginator(queries.paper_list(), 25)
    pages = [list(paginator.page(n).object_list) for n in paginator.page_range]
    assert [len(p) for p in pages] == [25, 25, 10]
    assert [p.pk for page in pages for p in page] == [p.pk for p in full]
    with CaptureQueriesContext(connection) as captured:
        page = paginator.page(2)
        names = [paper.ordered_author_names() for paper in page]  # prefetched
    assert names == [["Page Author"]] * 25
    assert len(captured) == 3  # ids, rows, their authorships


def test_a_plain_list_still_pages():
    page = NarrowPaginator(list(range(30)), 25).page(2)
    assert list(page) == list(range(25, 30))


def test_the_papers_list_links_its_pages_and_refuses_bad_ones(client):
    _papers(30)
    first = client.get("/papers/").content.decode()
    assert 'href="?page=2" rel="next"' in first and "page 1 of 2" in first
    assert client.get("/papers/?page=2").status_code == 200
    for bad in ("3", "0", "-1", "two"):
        response = client.get(f"/papers/?page={bad}")
        assert response.status_code == 404, bad


def test_the_runs_api_pages_with_next_links(client):
    response = client.get("/api/replications/?page=2")
    assert response.status_code == 404 and response.json()["detail"] == "Invalid page."
    body = client.get("/api/replications/").json()
    assert set(body) == {"count", "next", "previous", "results"} and body["next"] is None
