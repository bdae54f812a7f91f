"""The adjudicators' admin lists, scoring page and queue are rendered for every visit
(issue 27 removed the per-viewer copies): nothing is kept for a signed-in viewer, and a
draft saved elsewhere, or by another adjudicator, is on the next visit."""

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


@pytest.mark.parametrize("name", [*LISTS, None], ids=["scoring list", "assessments", "index"])
def test_an_adjudicators_pages_are_never_kept(client, tiny, ada, name):
    signed_in(client, ada)
    url = reverse(name) if name else "/admin/"
    for _ in range(2):
        page = client.get(url)
        assert page.status_code == 200 and cached(page) is None


def test_the_scoring_page_shows_a_draft_saved_elsewhere(client, tiny, ada):
    signed_in(client, ada)
    url = reverse("admin:evaluations_candidacyscoring_change", args=[tiny["y"].pk])
    assert "1 of 3</strong> criteria answered" in client.get(url).content.decode()
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    page = client.get(url)
    # The draft's criterion and the informational one (answered by its default).
    assert "2 of 3</strong> criteria answered" in page.content.decode()


def test_one_adjudicators_draft_is_never_on_anothers_page(tiny, ada, ben):
    from django.test import Client

    url = reverse("admin:evaluations_candidacyscoring_changelist")
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    hers, his = Client(), Client()
    signed_in(hers, ada)
    signed_in(his, ben)
    assert hers.get(url).content != his.get(url).content  # ada's draft shows as hers only


def test_the_admin_index_queue_counts_follow_a_draft(client, tiny, ada):
    signed_in(client, ada)
    before = client.get("/admin/")
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    after = client.get("/admin/")
    assert after.content != before.content
