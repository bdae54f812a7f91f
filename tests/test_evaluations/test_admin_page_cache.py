"""The adjudicators' admin lists and scoring page, kept per viewer under the content version
(tracker.page_cache.for_viewer): a repeat visit is served from the cache, any write (theirs
or anyone's) makes the next visit a fresh render, and what is kept for one adjudicator is
never shown to another."""

import pytest
from django.urls import reverse

from tests.test_evaluations.conftest import score
from tracker import page_store

pytestmark = pytest.mark.django_db

LISTS = ["admin:evaluations_candidacyscoring_changelist", "admin:evaluations_assessment_changelist"]


def cached(response):
    return response.headers.get(page_store.HIT_HEADER)


def signed_in(client, user):
    client.force_login(user)
    client.cookies["csrftoken"] = "a" * 32  # as a browser that has visited before holds


@pytest.mark.parametrize("name", LISTS)
def test_a_repeat_visit_is_served_from_the_cache_until_a_write(client, tiny, ada, name):
    signed_in(client, ada)
    url = reverse(name)
    first = client.get(url)
    assert first.status_code == 200 and cached(first) == "miss"
    again = client.get(url)
    assert cached(again) == "hit" and again.content == first.content
    assert "no-cache" in again["Cache-Control"]  # browsers and proxies still keep nothing
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    after = client.get(url)
    assert cached(after) == "miss"


def test_the_scoring_page_shows_a_draft_saved_elsewhere(client, tiny, ada):
    signed_in(client, ada)
    url = reverse("admin:evaluations_candidacyscoring_change", args=[tiny["y"].pk])
    assert cached(client.get(url)) == "miss"
    assert cached(client.get(url)) == "hit"
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    page = client.get(url)
    assert cached(page) == "miss"
    # The draft's criterion and the informational one (answered by its default).
    assert "2 of 3</strong> criteria answered" in page.content.decode()


def test_one_adjudicators_page_is_never_anothers(tiny, ada, ben):
    from django.test import Client

    from tracker import content_version

    url = reverse("admin:evaluations_candidacyscoring_changelist")
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    hers, his = Client(), Client()
    signed_in(hers, ada)
    signed_in(his, ben)  # both signed in (a write: last_login) before anything is kept
    stamp = content_version.stamp()
    mine = hers.get(url)
    assert cached(mine) == "miss" and cached(hers.get(url)) == "hit"
    theirs = his.get(url)
    assert content_version.stamp() == stamp  # same version: only the key tells them apart
    assert cached(theirs) == "miss"
    assert mine.content != theirs.content  # ada's draft shows as hers only


def test_no_csrf_cookie_or_a_waiting_message_means_a_fresh_render(client, tiny, ada):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage

    url = reverse("admin:evaluations_candidacyscoring_changelist")
    client.force_login(ada)
    first = client.get(url)  # no CSRF cookie yet: the render makes a secret, sets it...
    assert cached(first) is None and "csrftoken" in first.cookies
    assert cached(client.get(url)) == "miss"  # ...and the page for that secret is kept
    # A message waiting to be shown (as after a save) is in the next page, not a kept one.
    storage = CookieStorage(type("R", (), {"COOKIES": {}})())
    storage.add(constants.SUCCESS, "Draft saved.")
    encoded = storage._encode(list(storage._queued_messages))
    client.cookies["messages"] = encoded
    page = client.get(url)
    assert cached(page) is None and "Draft saved." in page.content.decode()
    assert cached(client.get(url)) == "hit"  # shown once; then the kept page again


def test_the_cache_can_be_turned_off(client, tiny, ada, settings):
    settings.PAGE_CACHE_SECONDS = 0
    signed_in(client, ada)
    url = reverse("admin:evaluations_assessment_changelist")
    assert cached(client.get(url)) is None and cached(client.get(url)) is None


def test_the_admin_index_queue_counts_follow_a_draft(client, tiny, ada):
    signed_in(client, ada)
    assert cached(client.get("/admin/")) == "miss"
    before = client.get("/admin/")
    assert cached(before) == "hit"
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    after = client.get("/admin/")
    assert cached(after) == "miss" and after.content != before.content
