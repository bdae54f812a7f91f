"""The candidates leaderboard and the adjudicators' lists read one page: the SQL order is
the leaderboard's rule, blind review still hides what it must, the stored agreement equals
a fresh computation and follows every change, and query counts stay flat."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluations import aggregates, services
from evaluations.leaderboard import ORDER, leaderboard
from evaluations.models import Assessment, DeclaredConflict, StoredAgreement
from tests.test_evaluations.conftest import score
from tracker.models import Candidacy, Paper

pytestmark = pytest.mark.django_db

VOTES = [  # per extra candidacy: (useful, beats) for Ada and Ben
    (("met", "met"), ("met", "met")),  # qualifies, 2 met
    (("not_met", "met"), ("not_met", "met")),  # falls short
    (("met", "unclear"), ("met", "not_met")),  # undecided, 1 met
    (("met", "met"), ("met", "not_met")),  # undecided, 1 met
]


def _grow(tiny, ada, ben, count: int) -> None:
    market = tiny["market"]
    for n in range(count):
        paper = Paper.objects.create(slug=f"grown-{n}", title=f"Grown {n:03d}")
        candidacy = Candidacy.objects.create(market=market, paper=paper)
        for user, (useful, beats) in zip((ada, ben), VOTES[n % len(VOTES)], strict=True):
            score(user, candidacy, {"useful": useful, "beats": beats,
                                    "note": "not_applicable"})


def _python_order(rows):
    """The leaderboard's rule in Python: assessed (and visible) candidates first, then by
    verdict, must-pass criteria met and not met, and the name shown."""
    return sorted(rows, key=lambda r: (0 if r.adjudicators else 1,
                                       ORDER.get(r.verdict or "undecided", 1),
                                       -len(r.criteria_met), len(r.criteria_not_met),
                                       str(r.candidacy.paper).lower(), r.candidacy.pk))


def test_the_sql_order_is_the_leaderboard_rule(three_raters, ada, ben, rita):
    _grow(three_raters, ada, ben, 12)
    rows = leaderboard(market=three_raters["market"], viewer=rita)  # a resolver sees all
    assert [r.candidacy.pk for r in rows] == [r.candidacy.pk for r in _python_order(rows)]
    ranks = [ORDER[r.verdict] for r in rows]
    assert ranks == sorted(ranks) and {r.verdict for r in rows} == set(ORDER)


def test_blind_rows_rank_as_undecided_and_show_nothing(three_raters, ada, ben, cleo):
    _grow(three_raters, ada, ben, 8)  # Cleo assessed only X and Y: the grown ones are blind
    rows = leaderboard(market=three_raters["market"], viewer=cleo)
    hidden = [r for r in rows if r.hidden]
    assert len(hidden) == 8
    assert all(r.verdict is None and r.agreement is None and not r.criteria_met
               for r in hidden)
    assert [r.candidacy.pk for r in rows] == [r.candidacy.pk for r in _python_order(rows)]
    blind = services.blind_candidacy_ids(viewer=cleo, market=three_raters["market"],
                                        candidacies=three_raters["market"].candidacies.all())
    assert {r.candidacy.pk for r in hidden} == blind


def test_the_leaderboard_pages_with_next_links_and_refuses_bad_pages(client, three_raters,
                                                                      ada, ben):
    _grow(three_raters, ada, ben, 30)  # 32 candidacies
    first = client.get("/api/markets/tiny/leaderboard/?page_size=20").json()
    assert first["count"] == 32 and len(first["results"]) == 20
    assert first["next"].endswith("/api/markets/tiny/leaderboard/?page=2&page_size=20")
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 12 and second["next"] is None
    everything = leaderboard(market=three_raters["market"], viewer=None)
    api_titles = [r["paper"]["title"] for r in first["results"] + second["results"]]
    assert api_titles == [r.candidacy.paper.title for r in everything]
    html = client.get("/markets/tiny/leaderboard/?page=2")
    assert [r.candidacy.pk for r in html.context["rows"]] == \
        [r.candidacy.pk for r in everything[25:]]
    assert 'href="?page=1" rel="prev"' in html.content.decode()
    assert client.get("/markets/tiny/leaderboard/?page=3").status_code == 404
    assert client.get("/markets/tiny/leaderboard/?page=x").status_code == 404
    response = client.get("/api/markets/tiny/leaderboard/?page=9")
    assert response.status_code == 404 and "Invalid page" in response.json()["detail"]


def test_the_market_api_pages_its_candidacies(client, three_raters, ada, ben):
    _grow(three_raters, ada, ben, 60)  # 62 candidacies, 50 a page
    body = client.get("/api/markets/tiny/").json()
    assert body["candidacies_count"] == 62 and len(body["candidacies"]) == 50
    assert body["next"].endswith("/api/markets/tiny/?page=2") and body["previous"] is None
    rest = client.get(body["next"]).json()
    assert len(rest["candidacies"]) == 12 and rest["next"] is None
    assert len(client.get("/api/markets/tiny/?page_size=500").json()["candidacies"]) == 62
    assert client.get("/api/markets/tiny/?page=4").status_code == 404


def test_the_stored_agreement_equals_a_fresh_one_and_follows_changes(three_raters, ada, ben,
                                                                     cleo):
    market = three_raters["market"]
    x, y = three_raters["x"], three_raters["y"]
    stored = aggregates.stored_all(market)
    fresh = services.measure_agreement(market=market)
    assert stored.overall == fresh.overall and stored.by_criterion == fresh.by_criterion
    assert aggregates.candidacy_agreements([x.pk, y.pk]) == fresh.by_candidacy
    # The public sees the agreement over settled candidacies only: none yet.
    public = aggregates.market_agreement(market, None)
    assert public.overall == services.measure_agreement(market=market,
                                                        exclude=[x.pk, y.pk]).overall
    x.status = Candidacy.Status.DECIDED
    x.save()  # settling a candidacy changes the public's figures (the signature)
    public = aggregates.market_agreement(market, None)
    assert public.overall == services.measure_agreement(market=market, exclude=[y.pk]).overall
    aggregates.refresh_agreement(market.pk)  # what a write's commit or the reconciler runs
    row = StoredAgreement.objects.get(market=market, scope="all")
    assert row.computed_generation == row.generation
    _grow(three_raters, ada, ben, 2)  # submissions raise the generation
    row.refresh_from_db()
    assert row.computed_generation != row.generation
    after = aggregates.stored_all(market)  # computed for the reader, not stored
    assert after.overall == services.measure_agreement(market=market).overall != fresh.overall
    row.refresh_from_db()
    assert row.computed_generation != row.generation  # a read never writes
    assert aggregates.refresh_agreement(market.pk) >= 1
    assert aggregates.stored_all(market).overall == after.overall
    with CaptureQueriesContext(connection) as queries:
        aggregates.stored_all(market)
    assert len(queries) == 1  # fresh: one row read


def test_a_refresh_that_raced_a_write_does_not_store_stale_figures(three_raters):
    market = three_raters["market"]
    aggregates.refresh_agreement(market.pk)
    row = StoredAgreement.objects.get(market=market, scope="all")
    StoredAgreement.invalidate(market.pk)  # a write lands while the reader computes
    StoredAgreement.objects.filter(pk=row.pk, generation=row.generation).update(
        figures={"stale": True}, computed_generation=row.generation)
    row.refresh_from_db()
    assert row.figures != {"stale": True}
    assert aggregates.stored_all(market).overall == \
        services.measure_agreement(market=market).overall


def test_visible_assessments_are_those_the_rules_allow(three_raters, ada, ben, cleo, sam,
                                                       reader):
    _grow(three_raters, ada, ben, 4)
    drafts = Candidacy.objects.get(paper__slug="grown-0")
    score(cleo, drafts, {"useful": "met"}, submit=False)
    DeclaredConflict.objects.create(adjudicator=cleo, paper=Paper.objects.get(slug="grown-1"),
                                    reason="Same lab.")
    everything = list(Assessment.objects.select_related("candidacy__market"))
    for viewer in (ada, cleo, sam, reader, None):
        blind = services.blind_candidacy_ids(
            viewer=viewer, market=three_raters["market"], candidacies=Candidacy.objects.all())
        expected = {
            a.pk for a in everything
            if (viewer is not None and a.adjudicator_id == viewer.pk)
            or (a.is_submitted and a.candidacy_id not in blind)
        }
        got = set(services.assessments_visible_to(viewer).values_list("pk", flat=True))
        assert got == expected, viewer


def _count(client, url: str) -> int:
    assert client.get(url).status_code == 200  # warm: the stored agreement is computed once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


ADMIN_LISTS = ["/admin/evaluations/candidacyscoring/", "/admin/evaluations/assessment/",
               "/admin/evaluations/marketresolution/",
               "/admin/"]  # the index: the adjudicator's queue counts


@pytest.mark.parametrize("url", ADMIN_LISTS)
def test_the_admin_lists_query_counts_stay_flat(client, three_raters, ada, ben, sam, rita,
                                                url, no_page_cache):
    # Sam is an author of X (conflict column); declared conflicts add more conflicted rows.
    _grow(three_raters, ada, ben, 3)
    client.force_login(rita if "marketresolution" in url else sam)
    few = _count(client, url)
    for n in range(20):
        paper = Paper.objects.create(slug=f"more-{n}", title=f"More {n}")
        candidacy = Candidacy.objects.create(market=three_raters["market"], paper=paper)
        score(ada, candidacy, {"useful": "met", "beats": "met", "note": "not_applicable"})
        if n % 2:
            DeclaredConflict.objects.create(adjudicator=sam, paper=paper, reason=f"Lab {n}.")
    assert _count(client, url) == few


def test_the_scoring_list_shows_conflicts_as_before(client, three_raters, sam):
    paper = Paper.objects.create(slug="declared", title="Declared")
    Candidacy.objects.create(market=three_raters["market"], paper=paper)
    DeclaredConflict.objects.create(adjudicator=sam, paper=paper, reason="Advised the author.")
    client.force_login(sam)
    page = client.get("/admin/evaluations/candidacyscoring/").content.decode()
    for candidacy in (three_raters["x"], Candidacy.objects.get(paper=paper)):
        reason = services.find_conflict(user=sam, paper=candidacy.paper)
        assert reason and reason.replace("'", "&#x27;") in page


def test_an_adjudicator_who_sees_only_settled_candidacies_reads_the_stored_figures(
        three_raters, ada, ben, monkeypatch):
    market = three_raters["market"]
    x, y = three_raters["x"], three_raters["y"]
    # Ada finished X and Y, both open: her figures cover them, computed for her.
    hers = aggregates.market_agreement(market, ada)
    assert hers.overall == services.measure_agreement(market=market).overall
    _grow(three_raters, ada, ben, 3)  # more candidacies she finished, still open
    x.status = y.status = Candidacy.Status.DECIDED
    x.save()
    y.save()
    market.status, market.outcome = type(market).Status.RESOLVED, "yes"
    market.save()  # everything settled: she sees what the public sees
    aggregates.refresh_agreement(market.pk)  # the write's commit (or the reconciler)
    public = aggregates.market_agreement(market, None)  # the public's row, fresh now
    assert public.overall == services.measure_agreement(market=market).overall

    def computed(*args, **kwargs):
        raise AssertionError("computed per request instead of read from the stored row")

    monkeypatch.setattr(aggregates, "compute_market_agreement", computed)
    assert aggregates.market_agreement(market, ada).overall == public.overall


def test_the_assessments_list_total_is_the_visible_count_read_narrower(
        client, tiny, ada, ben, cleo, sam):
    from evaluations.admin.assessments import visible_count

    market = tiny["market"]
    na = "not_applicable"
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": na})
    score(ben, tiny["x"], {"useful": "met", "beats": "not_met", "note": na})
    score(ben, tiny["y"], {"useful": "not_met", "beats": "met", "note": na})
    score(cleo, tiny["y"], {"useful": "met", "beats": "met", "note": na}, submit=False)
    settled = Candidacy.objects.create(
        market=market, paper=Paper.objects.create(slug="settled", title="Settled"))
    score(cleo, settled, {"useful": "met", "beats": "met", "note": na})
    Candidacy.objects.filter(pk=settled.pk).update(status=Candidacy.Status.DECIDED)
    services.refresh_verdict(candidacy=settled)
    for user in (ada, ben, cleo, sam):
        expected = services.assessments_visible_to(user).count()
        assert visible_count(user) == expected
        client.force_login(user)
        page = client.get("/admin/evaluations/assessment/").content.decode()
        assert f"{expected} assessment" in page
        drafts = client.get("/admin/evaluations/assessment/?status=draft").content.decode()
        n_drafts = services.assessments_visible_to(user).filter(status="draft").count()
        assert f"{n_drafts} assessment" in drafts


@pytest.mark.parametrize("items", [
    [], [["met"]], [["met", "met"], ["met", "met", "met"]],
    [["met", "not_met"], ["met", "met", "unclear"], ["not_met"], ["met", "met"]],
])
def test_kappa_from_sums_is_fleiss_kappa(items):
    from evaluations import agreement

    assert aggregates._kappa_of(aggregates._item_sums(items)) == agreement.fleiss_kappa(items)
    half = len(items) // 2
    added = aggregates._add_sums(aggregates._item_sums(items[:half]),
                                 aggregates._item_sums(items[half:]))
    whole = agreement.fleiss_kappa(items)
    assert (aggregates._kappa_of(added).items, aggregates._kappa_of(added).raters) == (
        whole.items, whole.raters)
    assert aggregates._kappa_of(added).kappa == pytest.approx(whole.kappa)


def test_an_adjudicators_figures_add_their_unsettled_candidacies_to_the_stored_sums(
        tiny, ada, ben, cleo):
    from evaluations.leaderboard import sight

    market = tiny["market"]
    na = "not_applicable"
    _grow(tiny, ada, ben, 4)
    x = tiny["x"]
    score(ada, x, {"useful": "met", "beats": "met", "note": na})
    score(ben, x, {"useful": "met", "beats": "not_met", "note": na})
    score(cleo, x, {"useful": "not_met", "beats": "not_met", "note": na})
    for candidacy in Candidacy.objects.filter(paper__slug__in=["grown-0", "grown-1"]):
        candidacy.status = Candidacy.Status.DECIDED
        candidacy.save()
    seen = sight(viewer=cleo, market=market)
    assert aggregates._unsettled_in_sight(market, seen) == [x.pk]
    expected = aggregates.compute_market_agreement(market.pk, seen.visible())
    mine = aggregates.market_agreement(market, cleo)
    assert mine.overall.kappa == pytest.approx(expected["overall"]["kappa"])
    assert mine.overall.items == expected["overall"]["items"]
    assert {k: (v.kappa, v.items) for k, v in mine.by_criterion.items()} == {
        k: (pytest.approx(v["kappa"]), v["items"]) for k, v in expected["by_criterion"].items()}
    public = aggregates.market_agreement(market, None)
    assert mine.overall.items == public.overall.items + 2  # X's two rated criteria


def test_the_scoring_sheet_query_count_stays_flat(client, three_raters, ada, ben, sam,
                                                   no_page_cache):
    """The sheet of one candidacy reads its paper's authors and its market's criteria once,
    whatever their number, and nothing that grows with the market's other candidacies."""
    from tracker.models import Author, Authorship, Criterion

    candidacy = three_raters["x"]
    url = f"/admin/evaluations/candidacyscoring/{candidacy.pk}/change/"
    client.force_login(ada)
    few = _count(client, url)
    _grow(three_raters, ada, ben, 4)
    start = candidacy.paper.authorships.count()
    for n in range(5):
        author = Author.objects.create(name=f"Extra Author {n}",
                                       normalized_name=f"extra author {n}")
        Authorship.objects.create(paper=candidacy.paper, author=author, position=start + n + 1)
    Criterion.objects.create(market=three_raters["market"], key="extra", order=9,
                             title="Extra", description="d",
                             kind=Criterion.Kind.INFORMATIONAL)
    # Ada answers it too, so that she still sees the comparison (a new criterion she has
    # not submitted would make the candidacy blind to her again: a different page).
    score(ada, Candidacy.objects.get(pk=candidacy.pk), {"extra": "met"})
    page = client.get(url).content.decode()
    assert "Extra Author 4" in page and "Extra" in page
    assert _count(client, url) == few


@pytest.mark.parametrize(("viewer", "url"), [
    ("ada", "/markets/tiny/leaderboard/"), ("sam", "/markets/tiny/leaderboard/"),
    ("rita", "/markets/tiny/leaderboard/"), (None, "/markets/tiny/leaderboard/"),
    (None, "/markets/tiny/"), ("ada", "/markets/tiny/"),
    (None, "/api/markets/tiny/leaderboard/"),
])
def test_the_leaderboard_query_count_stays_flat_with_runs(
        client, three_raters, ada, ben, sam, rita, viewer, url, no_page_cache):
    """The leaderboard (an adjudicator's: blind review, their conflicts, their agreement; a
    resolver's; the public's) and the market page's evidence matrix: flat in the market's
    candidacies, assessments and replication runs, succeeded ones included (their evidence
    and labels read in the page's one query, no column loaded row by row)."""
    from django.utils import timezone

    from replication.models import ReplicationResult, ReplicationRun
    from tests.replication_specs import make_spec, results_dict

    if viewer:
        client.force_login({"ada": ada, "sam": sam, "rita": rita}[viewer])
    few = _count(client, url)
    _grow(three_raters, ada, ben, 8)
    for n, candidacy in enumerate(Candidacy.objects.filter(market=three_raters["market"])[:6]):
        spec = make_spec(key=f"spec-{candidacy.pk}", candidacy=candidacy)
        for _ in range(2):  # two runs each: the latest one labels the row
            run = ReplicationRun.objects.create(spec=spec, status=ReplicationRun.Status.RUNNING,
                                                progress=40)
        if n % 2:
            run.status = ReplicationRun.Status.SUCCEEDED
            run.started_at = run.finished_at = timezone.now()
            run.save()
            ReplicationResult.objects.create(run=run, spec_hash=spec.spec_hash,
                                             verdict="loses", results=results_dict(),
                                             artifact_dir="", attempt=1)
    if "leaderboard" in url:
        page = client.get(url).content.decode()
        assert "running 40%" in page and "loses" in page
    assert _count(client, url) == few
