"""Public pages and API show verdicts, the leaderboard, agreement, the resolution with its
history, and the rationales of submitted assessments; never drafts; blind where needed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.test_evaluations.conftest import score
from tracker.models import Candidacy, Paper

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


def test_the_leaderboard_puts_the_qualifiers_first(client, seed_market):
    response = client.get(f"/markets/{SLUG}/leaderboard/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {r.candidacy.paper.slug for r in rows[:2]} == {"hypothesaes",
                                                          "auditing-hidden-objectives"}
    assert all(r.verdict == "qualifies" for r in rows[:2])
    sieve = next(r for r in rows if r.candidacy.paper.slug == "sieve")
    assert (sieve.verdict, sieve.criteria_not_met) == (
        "falls_short", ["An interesting, real downstream task"]
    )
    page = response.content.decode()
    assert '<th scope="col">Replication</th>' in page
    assert 'class="replication">&mdash;<' in page
    # One adjudicator per candidate: nothing to agree on, said once; no column of dashes.
    assert page.count("needs two or more adjudicators") == 1
    assert "Nothing to measure yet" in page and '<th scope="col">Agreement</th>' not in page
    assert "6 of 6 met" in page  # must-pass criteria as a count


def test_the_leaderboard_api(client, seed_market):
    rows = client.get(f"/api/markets/{SLUG}/leaderboard/").json()["results"]
    first = rows[0]
    assert first["verdict"] == "qualifies" and first["replication"] is None
    refusal = next(r for r in rows if r["paper"]["arxiv_id"] == "2406.11717")
    assert refusal["verdict"] == "falls_short"
    assert refusal["conflict_waivers"] == 13
    assert client.get("/api/markets/nope/leaderboard/").status_code == 404


def test_the_market_page_shows_the_resolution_and_its_history(client, seed_market):
    page = client.get(f"/markets/{SLUG}/").content.decode()
    assert "Resolved YES" in page
    assert "arXiv 2502.04382" in page and "arXiv 2503.10965" in page
    assert 'id="resolution-history"' in page
    assert "Neel Nanda" in page  # who
    assert "At least two works clear every must-pass criterion" in page  # why
    assert "Agreement between adjudicators" in page
    # One adjudicator per candidate: nothing to agree on, said once instead of a table of
    # dashes and zeros.
    assert "Nothing to measure yet: agreement (Fleiss&#x27; kappa) needs two or more" in page \
        or "Nothing to measure yet: agreement (Fleiss' kappa) needs two or more" in page
    assert 'id="agreement-by-criterion"' not in page
    assert page.count('class="badge qualifies"') >= 2


def test_the_api_gives_verdicts_and_the_resolution_with_arxiv_ids(client, seed_market):
    body = client.get(f"/api/markets/{SLUG}/").json()
    verdicts = {c["paper"]["slug"]: c["verdict"]["outcome"] for c in body["candidacies"]}
    assert verdicts["hypothesaes"] == verdicts["auditing-hidden-objectives"] == "qualifies"
    assert verdicts["sieve"] == verdicts["refusal-single-direction"] == "falls_short"
    assert verdicts["axbench"] == "undecided"
    resolution = body["resolution"]
    assert (resolution["status"], resolution["outcome"]) == ("resolved", "yes")
    assert sorted(p["arxiv_id"] for p in resolution["cited_papers"]) == [
        "2502.04382", "2503.10965"
    ]
    assert resolution["resolved_by"] == "Neel Nanda"
    assert [e["action"] for e in resolution["history"]] == ["resolve_yes"]


def test_the_paper_page_shows_consensus_and_rationales(client, seed_market):
    page = client.get("/papers/2406.11717/").content.decode()
    assert "criterion-consensus" in page
    assert "No SAE is used" in page  # a submitted rationale
    assert "Conflict of interest" in page and "co-wrote this paper" in page
    assert "Transcribed from" in page


def test_drafts_never_reach_the_pages(client, tiny, ada, three_raters):
    other = Candidacy.objects.create(
        market=tiny["market"], paper=Paper.objects.create(slug="z", title="Paper Z")
    )
    score(ada, other, {"useful": "met"}, submit=False)
    other.status = "decided"  # settled: everything submitted is public, drafts are not
    other.save()
    page = client.get("/papers/z/").content.decode()
    assert "ada says met" not in page
    body = client.get("/api/markets/tiny/").json()
    assert next(c for c in body["candidacies"] if c["paper"]["slug"] == "z")["verdict"][
        "submitted_count"] == 0


def test_blind_review_on_the_pages(client, three_raters, ada):
    from django.contrib.auth.models import Group, User

    dora = User.objects.create_user("dora", first_name="Dora", last_name="Late", is_staff=True)
    dora.groups.add(Group.objects.get(name="adjudicators"))
    client.force_login(dora)
    page = client.get("/papers/2501.00002/").content.decode()
    assert "Hidden until you have submitted" in page and "ada says" not in page
    assert "hidden until you submit" in client.get("/markets/tiny/leaderboard/").content.decode()
    body = client.get("/api/markets/tiny/").json()
    assert body["candidacies"] and all(c["verdict"] is None for c in body["candidacies"])


UNDER_REVIEW_URLS = ["/papers/2501.00002/", "/markets/tiny/", "/markets/tiny/leaderboard/",
                     "/api/markets/tiny/", "/api/markets/tiny/leaderboard/",
                     "/api/papers/2501.00002/"]


@pytest.mark.parametrize("url", UNDER_REVIEW_URLS)
def test_logging_out_shows_no_more_of_a_candidacy_under_review(client, three_raters, url):
    """Issue 14, D10: the anonymous see nothing of the assessments, verdict or agreement
    of a candidacy under review; once it is decided they see them."""
    page = client.get(url).content.decode()
    for secret in ("ada says", "ben says", "cleo says", "badge falls_short", '"falls_short"',
                   "badge qualifies", '"qualifies"', "Falls short", "κ ="):
        assert secret not in page, (url, secret)
    for candidacy in (three_raters["x"], three_raters["y"]):
        candidacy.status = "decided"
        candidacy.save()
    if url in ("/papers/2501.00002/", "/markets/tiny/leaderboard/"):
        assert "badge falls_short" in client.get(url).content.decode()


def test_the_api_and_leaderboard_say_why_a_verdict_is_missing(client, three_raters):
    rows = client.get("/api/markets/tiny/leaderboard/").json()["results"]
    assert rows and all(
        r["hidden"] and r["verdict"] is None and r["adjudicators"] == 0 for r in rows
    )
    body = client.get("/api/markets/tiny/").json()
    assert body["candidacies"] and all(c["verdict"] is None for c in body["candidacies"])
    page = client.get("/markets/tiny/leaderboard/").content.decode()
    assert "under review: published once decided" in page
    assert "Under review" in client.get("/papers/2501.00002/").content.decode()


def count_queries(client, url):
    # One request first: the market's stored agreement is recomputed on the first read
    # after a change (a fixed few queries); the count is of the steady state.
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/markets/tiny/", "/api/markets/tiny/",
                                 "/markets/tiny/leaderboard/",
                                 "/api/markets/tiny/leaderboard/", "/papers/2501.00001/"])
def test_query_counts_do_not_grow_with_rows(client, three_raters, ada, ben, url,
                                            no_page_cache):
    before = count_queries(client, url)
    for index in range(3):
        paper = Paper.objects.create(slug=f"more-{index}", title=f"More {index}")
        candidacy = Candidacy.objects.create(market=three_raters["market"], paper=paper)
        for user in (ada, ben):
            score(user, candidacy, {"useful": "met", "beats": "met", "note": "not_applicable"})
    assert count_queries(client, url) == before


def test_blind_review_on_the_matrix_papers_list_and_feeds(client, three_raters, ada):
    from django.contrib.auth.models import Group, User

    # Under review: a logged-out reader sees no verdicts; an adjudicator who submitted does.
    page = client.get("/markets/tiny/").content.decode()
    assert 'class="cell met"' not in page and 'class="cell not_met"' not in page
    client.force_login(ada)
    page = client.get("/markets/tiny/").content.decode()
    assert '<td class="cell met" data-criterion="useful"' in page
    dora = User.objects.create_user("dora", first_name="Dora", last_name="Late", is_staff=True)
    dora.groups.add(Group.objects.get(name="adjudicators"))
    client.force_login(dora)

    response = client.get("/markets/tiny/")
    rows = response.context["matrix"].rows
    assert rows and all(r.hidden and r.verdict == "" for r in rows)
    assert all(c.key == "hidden" for r in rows for c in r.cells)
    page = response.content.decode()
    assert 'class="cell met"' not in page and 'class="cell not_met"' not in page
    papers = client.get("/papers/").content.decode()
    assert "hidden until you submit" in papers and "badge qualifies" not in papers
    feed = client.get("/markets/tiny/feeds/changes.atom").content.decode()
    assert "Qualifies" not in feed and "Falls short" not in feed
