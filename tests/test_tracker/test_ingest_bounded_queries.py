"""Re-running an ingestion changes nothing, and the queries per page do not grow with
the number of entries or authors on the page (bulk reads and writes only)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_tracker.arxiv_server import (
    ArxivStub,
    fast_config,
    recorded_pages,
    synthetic_source,
)
from tracker.ingestion.services import ingest_query
from tracker.ingestion.triage import SAE_PROFILE
from tracker.models import (
    Authorship,
    Candidacy,
    Market,
    Paper,
    PaperRelevance,
    PaperVersion,
    TriageProfile,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def market():
    market = Market.objects.create(slug="sae", title="SAEs beat baselines?")
    TriageProfile.objects.create(
        market=market,
        method_terms=list(SAE_PROFILE.method_terms),
        baseline_terms=list(SAE_PROFILE.baseline_terms),
        task_terms=list(SAE_PROFILE.task_terms),
    )
    return market


def _queries(source, *, page_size: int, pages: int) -> tuple[int, object]:
    with ArxivStub(source) as stub, CaptureQueriesContext(connection) as ctx:
        run = ingest_query(query="q", max_results=page_size * pages,
                           config=fast_config(stub.url, page_size=page_size))
    assert run.status == "succeeded", run.error
    return len(ctx), run


def _snapshot():
    return (
        list(Paper.objects.order_by("pk").values()),
        list(Authorship.objects.order_by("pk").values()),
        list(PaperVersion.objects.order_by("pk").values()),
        list(Candidacy.objects.order_by("pk").values()),
        list(PaperRelevance.objects.order_by("pk").values()),
    )


def test_re_running_the_same_ingestion_changes_nothing(market):
    with ArxivStub(recorded_pages("sae")) as stub:
        ingest_query(query="q", max_results=None, config=fast_config(stub.url))
        before = _snapshot()
        again = ingest_query(query="q", max_results=None, config=fast_config(stub.url))
    assert _snapshot() == before
    assert (again.created, again.updated, again.unchanged, again.candidates) == (0, 0, 10, 0)


def test_a_page_of_a_hundred_new_papers_needs_a_handful_of_queries(market):
    """Bulk writes: SQLite splits them into batches of at most 999 parameters, so the
    count depends on the page size, never on the entries one by one."""
    queries, run = _queries(synthetic_source(200, authors=6), page_size=100, pages=2)
    assert run.created == 200 and run.candidates > 0
    assert queries <= 4 + 2 * 20


def test_queries_grow_by_a_constant_per_page(market):
    two, _ = _queries(synthetic_source(20), page_size=10, pages=2)
    four, _ = _queries(synthetic_source(40, first_index=1000), page_size=10, pages=4)
    six, _ = _queries(synthetic_source(60, first_index=2000), page_size=10, pages=6)
    assert four - two == six - four
    assert (four - two) / 2 <= 15


def test_a_re_run_needs_fewer_queries_than_the_first_run(market):
    source = synthetic_source(60)
    first, _ = _queries(source, page_size=20, pages=3)
    rerun, run = _queries(source, page_size=20, pages=3)
    assert run.unchanged == 60 and run.created == run.updated == 0
    # Per page: read the papers, save the run counters (plus the page's savepoint).
    assert rerun < first
    assert rerun <= 4 + 3 * 4


def test_pages_of_new_versions_need_a_constant_number_of_queries_each(market):
    _queries(synthetic_source(50, version=1), page_size=25, pages=2)
    two, run = _queries(synthetic_source(50, version=2), page_size=25, pages=2)
    assert run.updated == 50
    _queries(synthetic_source(100, version=1, first_index=1000), page_size=25, pages=4)
    four, run = _queries(synthetic_source(100, version=2, first_index=1000), page_size=25,
                         pages=4)
    assert run.updated == 100
    per_page = (four - two) / 2
    assert per_page <= 12
    assert two == 3 + 2 * per_page  # the run row, the profiles, the final status
    assert PaperVersion.objects.filter(version=2).count() == 150
