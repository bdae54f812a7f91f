"""Ingesting recorded arXiv pages through the real arxiv.Client and a local server."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
from tracker.ingestion.services import ingest_query
from tracker.models import Author, Paper, PaperVersion, SearchRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def first_run():
    with ArxivStub(recorded_pages("sae")) as stub:
        run = ingest_query(query='abs:"sparse autoencoder"', max_results=None,
                           config=fast_config(stub.url))
    return run, stub


def test_it_walks_every_page_by_start_offset(first_run):
    run, stub = first_run
    assert stub.starts == [0, 4, 8]
    assert {r["max_results"] for r in stub.requests} == {"4"}
    assert stub.requests[0]["search_query"] == 'abs:"sparse autoencoder"'
    assert stub.requests[0]["sortBy"] == "lastUpdatedDate"


def test_it_logs_the_run_with_its_counts(first_run):
    run, _ = first_run
    run.refresh_from_db()
    assert run.status == SearchRun.Status.SUCCEEDED
    assert (run.pages, run.fetched, run.created, run.updated, run.unchanged) == (3, 10, 10, 0, 0)
    assert run.errors == 0 and run.error == ""
    assert run.finished_at >= run.started_at


def test_it_stores_papers_under_the_id_without_version(first_run):
    paper = Paper.objects.get(arxiv_id="2506.07731")
    assert paper.arxiv_version == 2
    assert paper.slug == "arxiv-2506-07731"
    assert paper.url == "https://arxiv.org/abs/2506.07731"
    assert paper.title == (
        "SteerBench: Simple Baselines Still Beat Dictionary Learning for Concept Steering"
    )
    assert paper.abstract.startswith("We introduce a benchmark")
    assert "\n" not in paper.abstract
    assert paper.published == dt.date(2025, 6, 9)
    assert paper.updated == dt.date(2025, 6, 27)
    assert paper.primary_category == "cs.CL"
    assert paper.categories == ["cs.CL", "cs.LG"]


def test_it_accepts_old_style_ids(first_run):
    hep = Paper.objects.get(arxiv_id="hep-th/9901001")
    assert hep.arxiv_version == 2
    assert hep.slug == "arxiv-hep-th-9901001"
    assert hep.doi == "10.1016/S0550-3213(99)00211-7"
    assert hep.journal_ref == "Nucl.Phys. B552 (1999) 341-362"
    assert hep.published == dt.date(1999, 1, 4)


def test_it_keeps_unicode_author_names_in_order(first_run):
    paper = Paper.objects.get(arxiv_id="2506.19934")
    assert paper.ordered_author_names() == [
        "Zoë Brontë", "Łukasz Wróbel", "Nguyễn Thị Hương", "李明", "Ольга Иванова",
    ]
    assert Author.objects.get(name="Zoë Brontë").normalized_name == "zoe bronte"


def test_it_accepts_entries_without_optional_fields(first_run):
    bare = Paper.objects.get(arxiv_id="2507.00418")
    assert (bare.arxiv_comment, bare.journal_ref, bare.doi) == ("", "", "")
    assert bare.primary_category == "" and bare.categories == []
    assert bare.ordered_author_names() == ["Amara Okafor"]


def test_it_squashes_line_breaks_in_titles(first_run):
    paper = Paper.objects.get(arxiv_id="2507.02002")
    assert paper.title == r"$\ell_1$-Free Sparse Dictionaries: Top-$k$ Crosscoders for Model Diffing"


def test_it_records_the_first_version_seen_of_each_paper(first_run):
    assert PaperVersion.objects.count() == 10
    version = PaperVersion.objects.get(paper__arxiv_id="2506.11002")
    assert version.version == 3
    assert version.updated_at == dt.datetime(2025, 7, 1, 16, 20, tzinfo=dt.UTC)
    assert version.published_at == dt.datetime(2025, 6, 12, 8, 0, tzinfo=dt.UTC)


def test_an_author_on_two_papers_is_one_author(db):
    with ArxivStub(recorded_pages("sae")) as stub:
        ingest_query(query="q", max_results=None, config=fast_config(stub.url))
    with ArxivStub(recorded_pages("weekly")) as stub:
        ingest_query(query="q", max_results=None, config=fast_config(stub.url))
    assert Author.objects.filter(normalized_name="rajiv menon").count() == 1


def test_max_results_stops_early_and_asks_for_no_more_than_it_needs(db):
    with ArxivStub(recorded_pages("sae")) as stub:
        run = ingest_query(query="q", max_results=6, config=fast_config(stub.url))
    assert stub.starts == [0, 4]
    assert [r["max_results"] for r in stub.requests] == ["4", "2"]
    assert run.fetched == 6
    assert Paper.objects.count() == 6
