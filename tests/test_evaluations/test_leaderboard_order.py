"""Readers see the assessed candidates first on the leaderboard (qualifying, then falling
short by how many must-pass criteria they met), then the unassessed, and every list of
candidates is sorted by the names it shows."""

import pytest
from django.contrib.auth.models import AnonymousUser

from evaluations.leaderboard import leaderboard

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


def test_assessed_candidates_come_first(client, seed_market):
    rows = leaderboard(market=seed_market, viewer=AnonymousUser())
    assessed = [r for r in rows if r.adjudicators]
    assert rows[:len(assessed)] == assessed  # no unassessed row above an assessed one
    names = [str(r.candidacy.paper) for r in rows]
    assert names[:3] == ["Auditing games", "HypotheSAEs", "Sieve"]  # Sieve: the runner-up
    assert [r.verdict for r in assessed] == ["qualifies"] * 2 + ["falls_short"] * 5
    met = [len(r.criteria_met) for r in assessed[2:]]
    assert met == sorted(met, reverse=True)
    unassessed = names[len(assessed):]
    assert unassessed == sorted(unassessed, key=str.lower)
    page = client.get(f"/markets/{SLUG}/leaderboard/").content.decode()
    assert page.index(">Sieve</a>") < page.index(">AxBench</a>")


def test_the_market_page_sorts_candidates_by_the_names_it_shows(client, seed_market):
    page = client.get(f"/markets/{SLUG}/").context["page"]
    shown = [str(c.paper) for c in page]
    assert shown == sorted(shown, key=str.lower)


def test_no_agreement_column_of_dashes_until_two_adjudicators_meet(client, seed_market):
    page = client.get(f"/markets/{SLUG}/leaderboard/").content.decode()
    assert '<th scope="col">Agreement</th>' not in page
    assert "Nothing to measure yet: agreement (Fleiss&#x27; kappa) needs two or more" in page \
        or "Nothing to measure yet: agreement (Fleiss' kappa) needs two or more" in page


def test_the_agreement_column_shows_once_measured(client, three_raters, rita):
    client.force_login(rita)  # a resolver reads the submitted assessments of open markets
    page = client.get("/markets/tiny/leaderboard/").content.decode()
    assert '<th scope="col">Agreement</th>' in page
    assert 'id="agreement-none"' not in page
