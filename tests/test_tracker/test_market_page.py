"""The market page as a reader sees it on the seed: status and dates with their sources, the
evidence matrix, the probability over time, the timeline and the Atom feeds; the home page,
the papers list and the API docs."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tracker import reader
from tracker.models import Market

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"
URL = f"/markets/{SLUG}/"
ATOM = "{http://www.w3.org/2005/Atom}"
RECORDED = Path(__file__).parents[1] / "test_forecasts" / "recorded"


def test_the_status_dates_and_resolution_come_first_with_their_sources(client, seed_market):
    page = client.get(URL).content.decode()
    box = page[page.index('class="resolution-box'):page.index("</section>")]
    assert "Resolved YES" in box and "At least two works clear every must-pass" in box
    # The seed's sources give no opening, closing or resolution date: say so, do not show
    # the time the seed was loaded as if it were the resolution date.
    assert "Opened</dt><dd>unknown: the sources give no opening date" in box
    assert "Closes</dt><dd>unknown: the sources give no closing date" in box
    assert "Resolved</dt><dd>unknown: the sources give no date (recorded in the tracker" in box


def test_the_matrix_shows_the_seeded_verdicts(client, seed_market):
    response = client.get(URL)
    matrix = response.context["matrix"]
    rows = {r.candidacy.paper.slug: r for r in matrix.rows}
    must_pass = [c.key for c in matrix.criteria if c.kind == "must_pass"]
    assert len(must_pass) == matrix.must_pass == 6
    for slug in ("hypothesaes", "auditing-hidden-objectives"):
        assert rows[slug].verdict == "qualifies"
        assert [c.key for c in rows[slug].cells if c.criterion.kind == "must_pass"] == [
            "met"] * 6
    sieve = {c.criterion.key: c.key for c in rows["sieve"].cells}
    assert rows["sieve"].verdict == "falls_short" and sieve["downstream_interesting"] == "not_met"
    assert rows["axbench"].cells
    assert all(c.key == "not_assessed" for c in rows["axbench"].cells)
    # Informational criteria are left out of the columns, and said to be.
    assert {c.key for c in matrix.left_out} == {"personal_judgement", "post_hoc_task_choice",
                                                "other_dictionary_learning_allowed"}
    page = response.content.decode()
    assert page.index('data-paper="auditing-hidden-objectives"') < page.index(
        'data-paper="sieve"')  # qualifiers first
    assert 'data-paper="axbench"' not in page  # no row of dashes: named below instead
    # 22 candidates: 7 assessed, the sparse-probing case study unassessed but with a
    # recorded replication (a row of its own, for its marks), 14 named below
    assert 'data-paper="are-saes-useful-sparse-probing"' in page
    assert "Not assessed yet (14)" in page and ">AxBench</a>" in page
    # Colour and words: the class colours the cell, the text says it.
    assert '<td class="cell met" data-criterion="downstream_interesting" data-kind="must_pass"' in page


def test_replication_evidence_is_marked_on_the_criteria_it_bears_on(client, seed_market,
                                                                    tmp_path, settings):
    from replication import services
    from tests.replication_specs import make_spec, results_dict
    from tracker.models import Candidacy

    settings.VAR_DIR = tmp_path
    candidacy = Candidacy.objects.get(paper__slug="hypothesaes")
    spec = make_spec(key="probe", candidacy=candidacy)
    run = services.create_run(spec=spec)
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    out = services.artifact_dir(run.pk)
    out.mkdir(parents=True)
    services.finish_run(run_id=run.pk, attempt=attempt, results=results_dict(verdict="loses"),
                        out_dir=out, artifacts=["results.json"])

    matrix = client.get(URL).context["matrix"]
    row = next(r for r in matrix.rows if r.candidacy.pk == candidacy.pk)
    marked = {c.criterion.key for c in row.cells if c.evidence}
    assert marked == {"fair_fight_baselines", "must_beat_not_competitive", "sample_size",
                      "sae_essential", "not_cherry_picked", "compute_budget_amortisation"}
    assert row.replication["verdict"] == "loses"
    beats = next(c for c in row.cells if c.criterion.key == "must_beat_not_competitive")
    assert beats.key == "met"  # the adjudicators' finding stays; the replication is beside it
    assert beats.evidence[0]["stance"] == "undermines"


def test_the_market_page_queries_do_not_grow_with_replicated_candidates(client, seed_market,
                                                                       tmp_path, settings,
                                                                       no_page_cache):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from replication import services
    from tests.replication_specs import make_spec, results_dict

    settings.VAR_DIR = tmp_path

    def replicate(slug: str) -> None:
        candidacy = seed_market.candidacies.get(paper__slug=slug)
        spec = make_spec(key=f"probe-{slug}", candidacy=candidacy)
        run = services.create_run(spec=spec)
        attempt = services.claim_run(run_id=run.pk, worker_host="w")
        out = services.artifact_dir(run.pk)
        out.mkdir(parents=True)
        services.finish_run(run_id=run.pk, attempt=attempt, results=results_dict(),
                            out_dir=out, artifacts=["results.json"])

    def count() -> int:
        # Warm first: the market's stored agreement is recomputed on the first read after
        # a change (a fixed few queries); the count is of the steady state.
        assert client.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    replicate("hypothesaes")
    one = count()
    replicate("sieve")
    replicate("axbench")
    assert count() == one


def test_the_probability_chart_draws_history_and_the_published_quote(client, seed_market):
    from evaluations.forecasts.manifold import probability_history
    from evaluations.forecasts.models import ManifoldMarket, ProbabilityPoint

    seeded_only = client.get(URL).context["probability"]
    assert (seeded_only.trades, seeded_only.snapshots) == (0, 1)
    assert "1 published quote" in seeded_only.caption
    assert "the sources give no date, so it is drawn as a line at 100%" in seeded_only.caption

    # The recorded Manifold bets of the importer's tests (made-up numbers), stored as the
    # importer stores them.
    bets = json.loads((RECORDED / "bets-SAEmkt2024.json").read_text())
    record = ManifoldMarket.objects.create(manifold_id="SAEmkt2024", question="q",
                                           market=seed_market, fetched_at=dt.datetime.now(dt.UTC))
    for point in probability_history(bets):
        ProbabilityPoint.objects.create(manifold_market=record, bet_id=point.bet_id, at=point.at,
                                        probability=point.probability)
    chart = client.get(URL).context["probability"]
    assert (chart.trades, chart.snapshots) == (len(bets), 1)
    root = ET.fromstring(chart.svg)
    svg = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{svg}desc").text == chart.caption
    assert len(list(root.iter(f"{svg}circle"))) == len(bets) + 1


def test_the_timeline_dates_candidates_as_their_sources_do(client, seed_market):
    timeline = client.get(URL).context["timeline"]
    titles = [e.title for e in timeline]
    assert titles.index("HypotheSAEs published") < titles.index("Auditing games published")
    assert "Price quoted at 63%" in titles
    assert all(e.kind != "resolution" for e in timeline)  # its date is unknown


def _atom(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author", "link"):
        assert root.find(f"{ATOM}{required}") is not None, required
    assert root.find(f"{ATOM}author/{ATOM}name").text
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)  # unique ids
    for entry in entries:  # RFC 3339 dates, absolute links
        dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    return root, entries


def test_the_feeds_are_atom_and_list_the_seeded_changes(client, seed_market):
    page = client.get(URL).content.decode()
    assert page.count('<link rel="alternate" type="application/atom+xml"') == 2

    _, candidates = _atom(client, f"{URL}feeds/candidates.atom")
    assert len(candidates) == seed_market.candidacies.count() == 22
    assert "New candidate: HypotheSAEs" in [e.find(f"{ATOM}title").text for e in candidates]

    _, changes = _atom(client, f"{URL}feeds/changes.atom")
    titles = [e.find(f"{ATOM}title").text for e in changes]
    assert "Resolved YES, citing Auditing games, HypotheSAEs" in titles
    assert {"HypotheSAEs: Qualifies", "Auditing games: Qualifies", "Sieve: Falls short"} <= set(
        titles)
    assert client.get("/markets/nope/feeds/changes.atom").status_code == 404


def test_a_changed_verdict_is_a_new_feed_entry(seed_market):
    from evaluations.models import CandidacyVerdict

    before = {c.uid for c in reader.verdict_changes(seed_market)}
    verdict = CandidacyVerdict.objects.get(candidacy__paper__slug="sieve")
    verdict.outcome, verdict.computed_at = "qualifies", verdict.computed_at + dt.timedelta(days=1)
    verdict.save()
    after = {c.uid for c in reader.verdict_changes(seed_market)}
    assert len(after - before) == 1 and len(before - after) == 1


def test_the_home_page_says_what_the_tracker_is_and_lists_changes(client, seed_market):
    page = client.get("/").content.decode()
    assert 'id="about"' in page and "resolved by judgement against written" in page
    assert "22 candidates" in page and "Latest changes" in page
    assert "Resolved YES, citing Auditing games, HypotheSAEs" in page
    for link in ("/papers/", "/replications/", "/forecasters/", "/api/docs/"):
        assert f'href="{link}"' in page  # the nav


def test_papers_sort_by_the_sources_dates_with_month_only_dates_in_place(client, seed_market):
    rows = list(client.get("/papers/").context["page"])
    dates = [p.sort_date for p in rows]
    assert dates.index("2025-02-05") < dates.index("2025-02") < dates.index("2025-01")
    assert dates.index("2024-10") < dates.index("2024-09-30")
    page = client.get("/papers/?verdict=qualifies").content.decode()
    assert "Sparse Autoencoders for Hypothesis Generation" in page
    assert "Sieve: SAEs Beat Baselines" not in page
    assert "2 of 22 works match" in page
    kinds = client.get("/papers/?kind=blog").context["page"]
    assert [p.slug for p in kinds] == ["sieve"]
    none = client.get("/papers/?verdict=nonsense&kind=nope").context["filters"]
    assert not none.active  # unknown filter values are ignored, not errors


def test_the_api_docs_render_on_the_server_with_no_outside_request(client, seeded):
    page = client.get("/api/docs/").content.decode()
    assert "/api/markets/{slug}/leaderboard/" in page
    assert 'id="schema-LeaderboardRow"' in page and "True when this candidacy&#x27;s verdict is hidden from you" in page
    assert "<script" not in page.replace('<script src="/static/', "")  # only our static file
    assert "https://" not in page.split("<main")[1].split("</main>")[0]  # no CDN


def test_unknown_pages_get_the_sites_404(client, seeded):
    response = client.get("/no/such/page/")
    assert response.status_code == 404 and "<h1>Not found</h1>" in response.content.decode()


def test_resolution_dates_given_by_the_resolver_are_shown_with_their_source(seed_market):
    from evaluations.models import ResolutionEvent

    event = ResolutionEvent.objects.get(market=seed_market)
    assert not reader.resolution_date_is_sourced(event)
    dated = ResolutionEvent(market=seed_market, action="resolve_yes", actor=event.actor,
                            at=event.at, effective_at=event.at - dt.timedelta(days=30),
                            reason="r", status_before="open", status_after="resolved")
    assert reader.resolution_date_is_sourced(dated)
    facts = {f.label: f for f in reader.market_dates(seed_market, dated)}
    assert facts["Resolved"].when == dated.effective_at
    assert facts["Resolved"].source == "as given by Neel Nanda"
    open_market = Market(slug="m", title="m")
    assert reader.market_dates(open_market, None)[-1].source == "not resolved yet"


@pytest.mark.parametrize("url", ["/papers/2601.99999/", "/markets/nope/",
                                 "/markets/nope/leaderboard/", "/replications/999/",
                                 "/forecasters/nobody/", "/prediction-sets/none/"])
def test_missing_things_get_the_sites_404_even_with_debug_on(client, seeded, settings, url):
    settings.DEBUG = True
    response = client.get(url)
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()


def test_the_500_page_needs_no_context_or_database(rf, django_assert_num_queries):
    from tracker.views import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()
    assert "/static/tracker/site.css" in response.content.decode()
