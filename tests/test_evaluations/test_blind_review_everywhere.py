"""Blind review holds on every public URL, as the audit checked it: a candidacy of an open
market is under review, Ada submits "met" on every criterion (its hidden verdict:
qualifies), then changes one answer (the hidden verdict becomes "falls short"); each kind
of viewer fetches every public URL before she submits and after each step. Whoever may not
see the verdict must see exactly the same pages, answers, feeds and exports throughout.

The URLs come from the URLconf (every named route outside the admin, with each value its
parameters can take here), plus the query strings the pages themselves offer (their GET
forms' choices and their links), so a new page, filter or sort joins the check by itself.
A route with a parameter this test cannot fill fails it, naming the route.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from evaluations import services
from evaluations.models import Assessment, CandidacyVerdict
from tests.public_urls import route_urls
from tests.test_evaluations.conftest import score

pytestmark = pytest.mark.django_db

# Who may see the verdict of paper X while it is under review: Ada, who submitted every
# criterion of it, and Rita, the resolver. Ben has not submitted it (blind), Sam co-wrote
# it (conflicted), Otto is staff without a role.
ENTITLED = {"ada", "rita"}
NOT_ENTITLED = ["anonymous", "reader", "otto", "ben", "sam"]


def parameter_values(world) -> dict[str, list[str]]:
    """Every value each route parameter can take in this world (404s are compared too)."""
    from evaluations.forecasts.models import Forecaster, PredictionSet

    other_forecaster = Forecaster.objects.exclude(pk=world["forecaster"].pk).get()
    other_set = PredictionSet.objects.exclude(pk=world["prediction_set"].pk).get()
    slugs = ["tiny", world["forecaster"].slug, world["prediction_set"].slug,
             other_forecaster.slug, other_set.slug]
    papers = [world["x"].paper.arxiv_id, world["y"].paper.arxiv_id, world["x"].paper.slug]
    run = str(world["run"].pk)
    return {"slug": slugs, "public_id": papers, "run_id": [run], "pk": [run]}


class _PageLinks(HTMLParser):
    """The query strings a page offers on its own paths: links, and GET forms (one URL
    per choice of each select, and the search boxes filled with a title)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.found: set[str] = set()
        self._form: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "a" and "?" in (attrs.get("href") or ""):
            href = attrs["href"]
            parts = urlsplit(href)
            if not parts.netloc:
                self.found.add(f"{parts.path or self.path}?{parts.query}")
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self._form = attrs.get("action") or self.path
        elif self._form and tag == "select":
            self._select = attrs.get("name")
        elif self._form and self._select and tag == "option" and attrs.get("value"):
            self.found.add(f"{self._form}?{urlencode({self._select: attrs['value']})}")
        elif self._form and tag == "input" and attrs.get("type") in ("search", "text"):
            self.found.add(f"{self._form}?{urlencode({attrs['name']: 'Paper X'})}")

    def handle_endtag(self, tag) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def public_urls(world, clients) -> list[str]:
    """Every route with every value of its parameters that names something here (not a
    404 for the anonymous: a forecaster's slug on a market route is skipped), and the
    query strings those pages offer (to the anonymous and to Ada)."""
    urls = {url for url in route_urls(parameter_values(world)) if clients["anonymous"].get(url).status_code != 404}
    offered: set[str] = set()
    for client in (clients["anonymous"], clients["ada"]):
        for url in sorted(urls):
            response = client.get(url)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                links = _PageLinks(urlsplit(url).path)
                links.feed(response.content.decode())
                offered |= {u for u in links.found if urlsplit(u).path in urls}
    return sorted(urls | offered)


CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"|(csrftoken=)[^;"]*')


def seen(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, CSRF.sub(r"\1\2", body.decode(errors="replace"))


@pytest.fixture
def world(tiny, ada, ben, sam, rita, otto, reader, tmp_path):
    """The tiny market open, paper X under review, with a prediction set about it and a
    replication run of it, so the forecasts' and replications' pages show it too; and a
    second forecaster whose set is about the market, not X. (Not the whole seed: its
    resolved market has nothing under review, and its pages would triple the time.)"""
    import datetime as dt

    from evaluations.forecasts.models import Forecaster, Prediction, PredictionSet
    from replication import services as runs
    from tests.replication_specs import make_spec, results_dict

    forecaster = Forecaster.objects.create(slug="fiona", name="Fiona Forecaster")
    prediction_set = PredictionSet.objects.create(
        slug="fiona-on-x", forecaster=forecaster, title="Fiona on paper X",
        published_on=dt.date(2025, 3, 1), about_paper=tiny["x"].paper,
        about_market=tiny["market"])
    Prediction.objects.create(prediction_set=prediction_set, position=1,
                              statement="Paper X qualifies.", probability=0.7,
                              made_on=dt.date(2025, 3, 1), market=tiny["market"])
    other = PredictionSet.objects.create(
        slug="gus-on-tiny", forecaster=Forecaster.objects.create(slug="gus", name="Gus"),
        title="Gus on the tiny market", published_on=dt.date(2025, 3, 2),
        about_market=tiny["market"])
    Prediction.objects.create(prediction_set=other, position=1,
                              statement="Something in the tiny market qualifies.",
                              probability=0.4, made_on=dt.date(2025, 3, 2),
                              market=tiny["market"])
    run = runs.create_run(spec=make_spec(key="x-probe", candidacy=tiny["x"]))
    attempt = runs.claim_run(run_id=run.pk, worker_host="w")
    runs.finish_run(run_id=run.pk, attempt=attempt, results=results_dict(),
                    out_dir=tmp_path / "run", artifacts=["results.json"])
    people = {"anonymous": AnonymousUser(), "reader": reader, "otto": otto, "ada": ada,
              "ben": ben, "sam": sam, "rita": rita}
    return {**tiny, "forecaster": forecaster, "prediction_set": prediction_set, "run": run,
            "people": people}


def change_adas_answer(ada, candidacy, criterion_key: str, verdict: str) -> None:
    mine = Assessment.objects.get(adjudicator=ada, candidacy=candidacy,
                                  criterion__key=criterion_key)
    services.record_assessment(
        adjudicator=ada, candidacy=candidacy, criterion=mine.criterion, verdict=verdict,
        confidence=mine.confidence, rationale=mine.rationale,
        expected_version=mine.version)


def outcome_of(candidacy) -> str:
    return CandidacyVerdict.objects.get(candidacy=candidacy).outcome


def test_a_hidden_verdict_changes_nothing_an_outsider_sees(world, ada):
    """Three states of paper X: nothing submitted, Ada's "met" on every criterion
    (qualifies), then one answer changed (falls short)."""
    clients = {}
    for who, person in world["people"].items():
        clients[who] = Client()
        if who != "anonymous":
            clients[who].force_login(person)
    urls = public_urls(world, clients)
    assert "/papers/?verdict=qualifies" in urls  # the pages' own filters are checked

    # Whoever may not see the verdict fetches every URL; those who may, the two pages
    # where the flip must show (enough to prove the comparison sees real differences).
    flips = ["/papers/?verdict=qualifies", "/markets/tiny/leaderboard/"]

    def everything_seen() -> dict[str, dict[str, tuple[int, str]]]:
        return {who: {url: seen(c, url) for url in (flips if who in ENTITLED else urls)}
                for who, c in clients.items()}

    nothing = everything_seen()
    score(ada, world["x"], {"useful": "met", "beats": "met", "note": "met"})
    assert outcome_of(world["x"]) == "qualifies"
    qualifies = everything_seen()
    change_adas_answer(ada, world["x"], "beats", "not_met")
    assert outcome_of(world["x"]) == "falls_short"
    falls_short = everything_seen()

    leaks = {who: sorted(url for url in urls if not
                         nothing[who][url] == qualifies[who][url] == falls_short[who][url])
             for who in NOT_ENTITLED}
    assert leaks == {who: [] for who in NOT_ENTITLED}
    # The flip is visible to those entitled to it: the check compares real differences.
    for who in ENTITLED:
        changed = [url for url in flips if qualifies[who][url] != falls_short[who][url]]
        assert changed == flips, who


PAPERS_LIST = ["anonymous", "reader", "otto", "ada", "ben", "sam", "rita"]
# What each sees of paper X on /papers/ while Ada's "met" on every criterion is under
# review: its badge, and whether ?verdict=qualifies and ?verdict=undecided list it.
BADGE_AND_FILTERS = {
    "anonymous": ("under review", False, True),
    "reader": ("under review", False, True),
    "otto": ("under review", False, True),
    "ada": ("Qualifies", True, False),
    "ben": ("hidden until you submit", False, True),
    "sam": ("under review", False, True),
    "rita": ("Qualifies", True, False),
}


@pytest.mark.parametrize("who", PAPERS_LIST)
def test_the_papers_list_shows_and_filters_only_what_the_viewer_may_see(
        client, tiny, ada, ben, sam, rita, otto, reader, who):
    people = {"anonymous": None, "reader": reader, "otto": otto, "ada": ada, "ben": ben,
              "sam": sam, "rita": rita}
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": "met"})
    if people[who] is not None:
        client.force_login(people[who])
    badge, in_qualifies, in_undecided = BADGE_AND_FILTERS[who]

    listed = client.get("/papers/?q=Paper+X").content.decode()
    qualifies = client.get("/papers/?verdict=qualifies").content.decode()
    undecided = client.get("/papers/?verdict=undecided").content.decode()

    assert f'title="Tiny market">{badge}</span>' in listed
    assert ("Paper X" in qualifies) == in_qualifies
    assert ("Paper X" in undecided) == in_undecided


def test_not_a_candidate_lists_only_papers_without_a_live_candidacy(client, tiny, ada):
    from tracker.models import Paper

    Paper.objects.create(slug="paper-z", title="Paper Z", arxiv_id="2501.00003")
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": "met"})

    listed = client.get("/papers/?verdict=none").content.decode()

    assert "Paper Z" in listed
    assert "Paper X" not in listed and "Paper Y" not in listed
