"""Home, market and paper pages as a reader sees them; queries do not grow with rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker.models import Author, Authorship, Candidacy, Paper

pytestmark = pytest.mark.django_db

MARKET_URL = "/markets/sae-downstream-beat-baselines/"


def test_home_lists_the_market_with_its_status(client, seed_market):
    page = client.get("/").content.decode()

    assert seed_market.title in page
    assert MARKET_URL in page
    assert seed_market.get_status_display() in page


def test_the_market_page_shows_criteria_and_candidates(client, seed_market):
    page = client.get(MARKET_URL).content.decode()

    assert "Fair-fight baselines" in page
    assert "Must pass" in page
    assert "HypotheSAEs" in page
    assert "/papers/2502.04382/" in page
    assert "Rajiv Movva, Kenny Peng, Nikhil Garg, et al." in page


def test_the_paper_page_shows_metadata_claims_and_links(client, seeded):
    page = client.get("/papers/2502.04382/").content.decode()

    assert "Sparse Autoencoders for Hypothesis Generation" in page
    assert "Rajiv Movva, Kenny Peng, Nikhil Garg, Jon Kleinberg, Emma Pierson" in page
    assert "https://arxiv.org/abs/2502.04382" in page
    assert "ICML 2025" in page
    assert "F1 gain in recovering reference hypotheses" in page


def test_a_paper_without_arxiv_id_is_found_by_slug(client, seeded):
    response = client.get("/papers/sieve/")

    assert response.status_code == 200
    assert "https://tilderesearch.com/blog/sieve" in response.content.decode()


def test_a_versioned_id_redirects_to_the_paper(client, seeded):
    response = client.get("/papers/2502.04382v2/")

    assert response.status_code == 302
    assert response["Location"] == "/papers/2502.04382/"


def test_a_malformed_id_is_a_404_page_that_shows_the_expected_form(client, seeded):
    response = client.get("/papers/2502.0438/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "expected a form like 2502.04382" in page  # the parser's own message
    assert "hep-th/9901001" in page and "a paper&#x27;s slug" in page  # the forms accepted
    assert "<h1>Not found</h1>" in page


def test_an_unknown_paper_is_404(client, seeded):
    response = client.get("/papers/2601.99999/")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()  # the site's page, not Django's


def add_candidates(market, count: int, start: int) -> None:
    author = Author.objects.create(name=f"Extra Author {start}")
    for n in range(start, start + count):
        paper = Paper.objects.create(slug=f"extra-{n}", title=f"Extra {n}",
                                     arxiv_id=f"2601.{n:05d}")
        Authorship.objects.create(paper=paper, author=author, position=1)
        Candidacy.objects.create(paper=paper, market=market)


def count_queries(client, url: str) -> int:
    # One request first: the market's stored agreement is recomputed on the first read
    # after a change (a fixed few queries); the count is of the steady state.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/", MARKET_URL, "/papers/", MARKET_URL + "?page=2"])
def test_the_number_of_queries_does_not_grow_with_rows(client, seed_market, url,
                                                      no_page_cache):
    add_candidates(seed_market, 10, start=1)
    few = count_queries(client, url)

    add_candidates(seed_market, 60, start=100)
    many = count_queries(client, url)

    assert many == few


def test_the_market_page_is_paginated(client, seed_market):
    add_candidates(seed_market, 30, start=1)

    page = client.get(MARKET_URL + "?page=2").content.decode()

    assert "page 2 of 3" in page


def test_the_paper_page_queries_do_not_grow_with_replication_runs(client, seeded, tmp_path,
                                                                  no_page_cache):
    from replication import services
    from tests.replication_specs import make_spec, results_dict

    candidacy = Candidacy.objects.get(paper__arxiv_id="2502.16681")
    spec = make_spec(key="probe", candidacy=candidacy)

    def add_finished_run(n: int) -> None:
        run = services.create_run(spec=spec)
        attempt = services.claim_run(run_id=run.pk, worker_host="w")
        services.finish_run(run_id=run.pk, attempt=attempt, results=results_dict(),
                            out_dir=tmp_path / str(n), artifacts=["results.json"])

    add_finished_run(1)
    few = count_queries(client, "/papers/2502.16681/")
    for n in range(2, 6):
        add_finished_run(n)
    many = count_queries(client, "/papers/2502.16681/")

    assert many == few
