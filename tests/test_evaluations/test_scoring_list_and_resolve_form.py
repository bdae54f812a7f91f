"""The scoring list on a resolved market says the market must be unresolved first and
agrees with the admin index's counts; the resolve form is labelled, leaves "Effective at"
empty (empty means now), lists the candidacies in order and names criteria in errors."""

import re

import pytest
from django.urls import reverse

from evaluations import queue, services
from tests.test_evaluations.conftest import score
from tracker.models import Market

pytestmark = pytest.mark.django_db

LISTING = "admin:evaluations_candidacyscoring_changelist"


def resolve_url():
    return reverse("admin:evaluations_marketresolution_changelist")


def index_rows(client) -> dict[str, int]:
    return {row["label"]: row["count"] for row in
            client.get(reverse("admin:index")).context["queue"]}


def test_on_a_resolved_market_the_list_says_closed_and_agrees_with_the_index(
        client, three_raters, rita, sam):
    market = three_raters["market"]
    services.resolve_market(market=market, actor=rita, outcome="yes", reason="X qualifies.",
                            cited=[three_raters["x"]])
    client.force_login(sam)  # an adjudicator who had not begun either candidacy
    response = client.get(reverse(LISTING))
    page = response.content.decode()
    assert "is resolved: its candidacies cannot be scored until the market is unresolved" in page
    statuses = re.findall(r'<td class="field-my_status">([^<]*)</td>', page)
    assert statuses and set(statuses) <= {"closed: market resolved", "conflict"}
    assert "awaiting" not in statuses
    rows = index_rows(client)
    assert rows["Awaiting my assessment"] == 0
    closed = client.get(reverse(LISTING), {"queue": "closed"}).context["cl"].result_list
    assert rows[queue.LABELS[queue.CLOSED]] == len(closed) == statuses.count(
        "closed: market resolved")
    awaiting = client.get(reverse(LISTING), {"queue": "awaiting"}).context["cl"].result_list
    assert len(awaiting) == 0


def test_an_open_market_shows_no_notice_and_no_closed_row(client, tiny, ada):
    client.force_login(ada)
    page = client.get(reverse(LISTING)).content.decode()
    assert 'id="frozen-markets"' not in page
    rows = index_rows(client)
    assert queue.LABELS[queue.CLOSED] not in rows
    assert rows["Awaiting my assessment"] == 2


def test_the_resolve_form_is_labelled_and_leaves_the_date_empty(client, three_raters, rita):
    client.force_login(rita)
    market = three_raters["market"]
    form = client.post(resolve_url(), {"action": "resolve_market",
                                       "_selected_action": [market.pk]})
    page = form.content.decode()
    assert '<label for="id_reason">Reason</label>' in page
    assert '<label for="id_effective_at">Effective at</label>' in page
    assert re.search(r'<input type="text" name="effective_at"[^>]*id="id_effective_at"', page)
    assert 'name="effective_at" value=' not in page  # empty: the help says empty means now
    assert "empty means now" in page
    # The radio and checkbox groups are fieldsets named by a legend.
    assert "<legend>Outcome</legend>" in page and "<legend>Cited</legend>" in page
    # Every input has a label a screen reader finds (its own, or the option's).
    for input_id in re.findall(r'<(?:input|textarea)[^>]*id="([^"]+)"', page):
        if input_id.startswith("id_"):
            assert f'for="{input_id}"' in page, input_id


def test_the_resolve_form_lists_qualifying_candidacies_first_then_by_name(
        client, three_raters, rita):
    from tracker.models import Candidacy, Paper

    market = three_raters["market"]
    for slug, title, short in (("zeta", "Zeta paper", "Aardvark"), ("beta", "Beta paper", "")):
        Candidacy.objects.create(market=market, paper=Paper.objects.create(
            slug=slug, title=title, short_name=short))
    client.force_login(rita)
    form = client.post(resolve_url(), {"action": "resolve_market",
                                       "_selected_action": [market.pk]})
    labels = [c.choice_label for c in form.context["form"]["cited"]]
    assert labels[0] == "Paper X — Qualifies"
    assert labels[1:] == sorted(labels[1:], key=str.lower)
    assert labels.index("Aardvark — Undecided") < labels.index("Beta paper — Undecided")


def test_a_refused_resolution_names_the_criteria_not_their_keys(client, three_raters, rita):
    client.force_login(rita)
    market = three_raters["market"]
    refused = client.post(resolve_url(), {
        "action": "resolve_market", "_selected_action": [market.pk], "apply": "1",
        "outcome": "yes", "reason": "Y is great.", "cited": [three_raters["y"].pk],
    })
    body = refused.content.decode()
    assert "not met: Useful task" in body
    assert "not met: useful" not in body
    assert Market.objects.get(pk=market.pk).status == "open"


def test_an_adjudicator_with_drafts_on_a_resolved_market_still_sees_them(
        client, tiny, ada, rita):
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    score(ada, tiny["x"], {"useful": "met", "beats": "met"})
    services.resolve_market(market=tiny["market"], actor=rita, outcome="yes",
                            reason="X qualifies.", cited=[tiny["x"]])
    client.force_login(ada)
    rows = index_rows(client)
    assert rows["My drafts"] == 1 and rows["Done (submitted)"] == 1
    assert queue.LABELS[queue.CLOSED] not in rows
