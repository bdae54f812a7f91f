"""Who may do what outside the adjudication workspace, as tables over the cast: the
anonymous, a logged-in reader, an adjudicator, staff with only the market permissions,
and a resolver. Plus the login lockout, the Content-Security-Policy and API throttling.

D11: staff with only change_market set status=resolved, outcome=yes on the generic market
admin: accepted, no resolution event, no re-score. D12: /health/ping/ queued a task for
every anonymous POST. D13: no lockout, no CSP, no throttling."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.urls import reverse

from evaluations.models import ResolutionEvent
from tracker.models import Market

pytestmark = pytest.mark.django_db

CAST = ["anonymous", "reader", "adjudicator", "market_staff", "resolver"]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(name: str, *, staff: bool = False, groups=(), perms=()) -> User:
    user = User.objects.create_user(name, password=f"pw-{name}-long-enough", is_staff=staff)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def people(db):
    return {
        "anonymous": None,
        "reader": _user("reader"),
        "adjudicator": _user("adjudicator", staff=True, groups=["adjudicators"]),
        "market_staff": _user("market-staff", staff=True,
                              perms=["view_market", "change_market"]),
        "resolver": _user("resolver", staff=True, groups=["resolvers"]),
    }


@pytest.fixture
def market(db):
    return Market.objects.create(slug="m", title="A market", status=Market.Status.OPEN)


def _login(client, people, who: str) -> None:
    if people[who] is not None:
        client.force_login(people[who])


def _status(response) -> str:
    if response.status_code == 302 and "/login/" in response["Location"]:
        return "login"
    return str(response.status_code)


def _change_form_data(response) -> dict:
    """The change form as rendered, every field at its current value (inlines too)."""
    data: dict = {}

    def put(prefix: str, form) -> None:
        for name, field in form.fields.items():
            key = f"{prefix}{name}"
            value = form.initial.get(name, field.initial)
            if isinstance(field.widget, AdminSplitDateTime):
                data[f"{key}_0"] = value.date().isoformat() if value else ""
                data[f"{key}_1"] = value.time().isoformat() if value else ""
            elif isinstance(value, dict | list) and "JSON" in type(field).__name__:
                data[key] = json.dumps(value)
            elif isinstance(value, dt.datetime | dt.date):
                data[key] = value.isoformat()
            elif value is not None and value is not False:
                data[key] = value.pk if hasattr(value, "pk") else value

    put("", response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management.initial.get(name, "")
        for form in formset.forms:
            put(f"{form.prefix}-", form)
    return data


# Opening the market's change page, and posting it with status=resolved, outcome=yes.
OPENS = ["login", "login", "200", "200", "200"]
POSTS = ["login", "login", "403", "302", "403"]


@pytest.mark.parametrize("who", CAST)
def test_the_generic_market_admin_never_changes_status_or_outcome(client, people, market, who):
    url = reverse("admin:tracker_market_change", args=[market.pk])
    _login(client, people, who)

    opened = client.get(url)

    assert _status(opened) == OPENS[CAST.index(who)]
    data = {"status": "resolved", "outcome": "yes", "title": "A market, renamed"}
    if opened.status_code == 200:
        form = opened.context["adminform"].form
        assert not {"status", "outcome", "resolved_at", "annulled_at"} & set(form.fields)
        data = {**_change_form_data(opened), **data}
    saved = client.post(url, data)
    assert _status(saved) == POSTS[CAST.index(who)]
    market.refresh_from_db()
    # Staff with change_market may edit the text, never the resolution.
    assert market.title == ("A market, renamed" if who == "market_staff" else "A market")
    assert (market.status, market.outcome) == ("open", "")
    assert not ResolutionEvent.objects.exists()


# /health/ is public; pinging the workers queues a task, so it needs staff with a role
# (issue 23: staff without one could ping without limit).
PING = ["login", "login", "302", "403", "302"]


@pytest.mark.parametrize("who", CAST)
def test_pinging_the_workers_needs_staff(client, people, who):
    from tracker.models import WorkerHeartbeat

    cache.clear()  # the per-account interval of an earlier test's ping
    _login(client, people, who)

    assert client.get("/health/").status_code == 200
    response = client.post("/health/ping/")

    assert _status(response) == PING[CAST.index(who)]
    if PING[CAST.index(who)] == "302":
        assert response["Location"].startswith("/health/?pinged=")
        beat = WorkerHeartbeat.objects.get()  # tasks run eagerly here, in this process
        assert set(beat.queues) == {"default", "gpu"}  # one heartbeat sent to each queue
    else:
        assert WorkerHeartbeat.objects.count() == 0
    if PING[CAST.index(who)] == "403":
        assert "it is for operators" in response.content.decode()


def test_an_operator_may_ping_and_each_account_at_most_every_ten_seconds(client, db):
    from tracker.models import WorkerHeartbeat

    cache.clear()
    operator = _user("operator", staff=True, perms=["add_workerheartbeat"])
    client.force_login(operator)

    first, second = client.post("/health/ping/"), client.post("/health/ping/")

    assert first.status_code == 302
    assert second.status_code == 429
    assert "You pinged the workers less than 10 s ago" in second.content.decode()
    from tracker.health import QUEUES

    # One heartbeat to each queue, sent once: the second POST queued nothing.
    assert WorkerHeartbeat.objects.get().beats == len(QUEUES)


def test_the_health_page_shows_queues_running_work_ingestion_and_failures(client, db):
    from django.utils import timezone

    from replication import services
    from replication.models import ReplicationRun
    from tests.replication_specs import make_spec
    from tracker.models import SearchRun

    running = services.create_run(spec=make_spec(key="health-a"))
    services.claim_run(run_id=running.pk, worker_host="gpu-host-1")
    failed = services.create_run(spec=make_spec(key="health-b"))
    services.fail_run(run_id=failed.pk, error="The harness crashed: out of cheese")
    SearchRun.objects.create(query="abs:sae", api_url="x", started_at=timezone.now(),
                             status="failed", error="HTTP 503 from arXiv")

    page = client.get("/health/").content.decode()

    assert re.search(r"<td>default</td><td>\d+</td>", page)
    assert re.search(r"<td>gpu</td><td>\d+</td>", page)
    assert "no worker has answered a heartbeat on this queue lately" in page
    assert "gpu-host-1" in page and f"replication run {running.pk} (health-a)" in page
    assert "The harness crashed: out of cheese" in page
    assert "HTTP 503 from arXiv" in page
    assert "abs:sae: <span class=\"status\">Failed</span>" in page
    assert ReplicationRun.objects.filter(origin="here").count() == 2


def test_repeated_wrong_passwords_lock_the_login_out(client, people, settings):
    """D13: 300 wrong passwords were all answered."""
    url = reverse("admin:login")
    answers = [
        client.post(url, {"username": "resolver", "password": f"wrong-{i}"}).status_code
        for i in range(settings.AXES_FAILURE_LIMIT + 2)
    ]
    locked = client.post(url, {"username": "resolver", "password": "pw-resolver-long-enough"})

    assert answers[: settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 429
    assert locked.status_code == 429  # even the right password, until the cool-off
    assert "_auth_user_id" not in client.session


def test_every_page_carries_a_strict_csp_and_has_no_inline_script_or_style(client, seeded):
    pages = ["/", "/markets/sae-downstream-beat-baselines/", "/papers/", "/forecasters/",
             "/replications/", "/health/", "/markets/sae-downstream-beat-baselines/leaderboard/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy, url
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_the_api_docs_page_widens_styles_but_never_allows_inline_script(client, db):
    policy = client.get("/api/docs/")["Content-Security-Policy"]
    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script


def test_anonymous_api_use_is_throttled(client, db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": "100/min"}}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    cache.clear()
    try:
        answers = [client.get("/api/markets/").status_code for _ in range(4)]
        last = client.get("/api/markets/")
    finally:
        SimpleRateThrottle.THROTTLE_RATES = {"anon": "120/min", "user": "600/min"}
        cache.clear()

    assert answers == [200, 200, 200, 429]
    assert "Request was throttled" in last.json()["detail"]
    assert int(last["Retry-After"]) > 0
