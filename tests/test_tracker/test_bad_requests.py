"""Requests a reader or a script can send that must get a clean answer, never a 500, and
under the site's Content-Security-Policy: a NUL byte in any query parameter (F4: the
papers search answered 500 on PostgreSQL), a Host not in ALLOWED_HOSTS, a form sent
without its CSRF token."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.public_urls import route_urls
from tracker.request_guard import NUL_MESSAGE

pytestmark = pytest.mark.django_db

ANY_VALUE = {"slug": ["sae-downstream-beat-baselines"], "public_id": ["2501.00001"],
             "run_id": ["1"], "pk": ["1"]}
PARAMETERS = ["q", "verdict", "kind", "page", "matrix", "sort", "page_size"]


def strict_policy(response) -> bool:
    policy = response.get("Content-Security-Policy", "")
    return "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_the_papers_search_refuses_a_nul_byte_with_a_message(client, seeded):
    response = client.get("/papers/?q=%00")
    near_miss = client.get("/papers/?q=sparse%00autoencoders")

    assert response.status_code == near_miss.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert strict_policy(response)


@pytest.mark.parametrize("parameter", PARAMETERS)
def test_no_page_feed_export_or_api_answer_fails_on_a_nul_byte(client, seeded, parameter):
    for url in sorted(route_urls(ANY_VALUE)):
        response = client.get(f"{url}?{parameter}=a%00b")
        assert response.status_code == 400, url
        if url.startswith("/api/"):
            assert response.json() == {"detail": NUL_MESSAGE}, url
        else:
            assert NUL_MESSAGE in response.content.decode(), url


def test_a_host_not_allowed_is_a_400_under_the_policy(client, db, settings):
    settings.DEBUG = False
    response = client.get("/papers/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert strict_policy(response)
    assert "Bad request" in response.content.decode()


def test_the_csrf_failure_page_has_no_inline_style(db):
    User.objects.create_user("otto", password="pw-otto-long-enough", is_staff=True)
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/admin/login/", {"username": "otto",
                                              "password": "pw-otto-long-enough"})
    html = response.content.decode()

    assert response.status_code == 403
    assert strict_policy(response)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "This form could not be sent" in html and "Nothing was saved" in html
    assert "_auth_user_id" not in browser.session
