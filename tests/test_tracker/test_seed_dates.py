"""The seed's verdicts, candidates and resolution are dated as their sources date them (the
sources give no date for any of them: "date unknown"), never by the moment the seed was
loaded; what happens in the tracker afterwards is dated when it happens."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from evaluations import services
from evaluations.models import CandidacyVerdict, ResolutionEvent
from tracker import reader
from tracker.models import Candidacy, Paper

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"
ATOM = "{http://www.w3.org/2005/Atom}"


def today() -> str:
    return f"{timezone.now():%Y-%m-%d}"


def test_seeded_verdicts_candidates_and_resolution_carry_no_load_date(seed_market):
    assert set(CandidacyVerdict.objects.filter(submitted_count__gt=0)
               .values_list("from_sources", "sources_date")) == {(True, "")}
    assert set(Candidacy.objects.values_list("from_sources", "sources_date")) == {(True, "")}
    event = ResolutionEvent.objects.get(market=seed_market)
    assert event.effective_at is None
    seed_market.refresh_from_db()
    assert seed_market.resolved_at is None
    for change in (reader.verdict_changes(seed_market) + reader.candidate_changes(seed_market)):
        assert (change.when, change.date_text) == (None, "date unknown"), change.title


def test_the_home_page_and_the_feeds_show_no_load_date(client, seed_market):
    home = client.get("/").content.decode()
    latest = home[home.index("Latest changes"):]
    assert "<time>date unknown</time>" in latest
    assert today() not in latest
    for feed in ("candidates", "changes"):
        root = ET.fromstring(client.get(f"/markets/{SLUG}/feeds/{feed}.atom").content)
        entries = root.findall(f"{ATOM}entry")
        assert entries
        for entry in entries:
            assert entry.find(f"{ATOM}published") is None  # the sources give no date
            assert entry.find(f"{ATOM}updated") is not None  # Atom requires it
            assert "Date: date unknown." in entry.find(f"{ATOM}summary").text


def test_what_happens_in_the_tracker_is_dated_when_it_happens(seed_market, django_user_model):
    resolver = django_user_model.objects.get(username="NeelNanda")
    services.unresolve_market(market=seed_market, actor=resolver, reason="Reopened.")
    reopened = [c for c in reader.verdict_changes(seed_market) if c.title == "Unresolved"]
    assert reopened[0].date_text == today()
    Candidacy.objects.create(market=seed_market, paper=Paper.objects.create(
        slug="new-paper", title="A new paper"))
    new = [c for c in reader.candidate_changes(seed_market) if "A new paper" in c.text]
    assert new[0].date_text == today() and new[0].when is not None
    services.resolve_market(market=seed_market, actor=resolver, outcome="no",
                            reason="Re-read.", resolved_at=timezone.now() - dt.timedelta(days=3))
    resolved = [c for c in reader.verdict_changes(seed_market) if c.title == "Resolved NO"]
    assert resolved[0].date_text == f"{timezone.now() - dt.timedelta(days=3):%Y-%m-%d}"
    # Resolved here without a date given: dated when it was resolved, not "unknown".
    services.unresolve_market(market=seed_market, actor=resolver, reason="Again.")
    now = services.resolve_market(market=seed_market, actor=resolver, outcome="no",
                                  reason="Re-read again.")
    latest = reader.verdict_changes(seed_market)[0]
    assert (latest.title, latest.date_text) == ("Resolved NO", today())
    facts = {f.label: f for f in reader.market_dates(seed_market, now)}
    assert facts["Resolved"].when == now.effective_at == now.at
    assert facts["Resolved"].source == "when Neel Nanda recorded it here"
