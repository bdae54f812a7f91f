"""The content version and the page cache (issue 13): a write of any kind (service, bulk
update, raw SQL, delete, another process) is on the next page a reader gets; a signed-in
reader never gets the shared copy; health pages, the admin's other pages, streamed
exports and responses that set cookies are never kept; throttles still count hits."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from tracker import content_version, page_cache, page_store
from tracker.models import Authorship, ContentChange, Market, Paper, WorkerHeartbeat

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


def cached(response) -> str | None:
    return response.headers.get(page_store.HIT_HEADER)


# --- The version ------------------------------------------------------------------------


def test_every_table_readers_see_carries_the_trigger(db):
    tables = content_version.covered_tables()
    assert {"tracker_paper", "evaluations_assessment", "forecasts_prediction",
            "replication_replicationrun", "auth_user", "auth_user_groups"} <= set(tables)
    assert "tracker_workerheartbeat" not in tables and "tracker_contentchange" not in tables
    assert set(tables) <= content_version.installed_tables()
    assert content_version.install_triggers() == []  # idempotent: nothing left to add


def _bulk_create(seed):
    Paper.objects.bulk_create([Paper(slug=f"bulk-{i}", title=f"Bulk {i}") for i in range(3)])


WRITES = {
    "a model's save": lambda seed: User.objects.create(username="new-reader"),
    "bulk_create": _bulk_create,
    "queryset update": lambda seed: Paper.objects.filter(slug="sieve").update(title="Renamed"),
    "queryset delete": lambda seed: Authorship.objects.filter(paper__slug="sieve").delete(),
    "raw SQL": lambda seed: connection.cursor().execute(
        "UPDATE tracker_paper SET title = 'Raw' WHERE slug = 'sieve'"),
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_any_write_to_a_covered_table_moves_the_version(seed_market, write):
    before = content_version.current()
    WRITES[write](seed_market)
    assert content_version.current() > before


def test_a_workers_heartbeat_does_not_move_the_version(db):
    before = content_version.current()
    WorkerHeartbeat.objects.create(hostname="w1", seen_at=timezone.now())
    WorkerHeartbeat.objects.filter(hostname="w1").update(beats=2)
    assert content_version.current() == before


def test_compaction_keeps_the_stamp_and_leaves_one_row(seed_market):
    for title in ("a", "b", "c"):
        Paper.objects.filter(slug="sieve").update(title=title)
    stamp = content_version.stamp()
    removed = content_version.compact()
    assert content_version.stamp() == stamp  # no page is thrown away by compacting
    tables = ContentChange.objects.values("table_name").distinct().count()
    if connection.vendor == "postgresql":  # one row per statement there, folded now
        assert ContentChange.objects.count() == tables  # a row a table
        assert removed >= 3
        assert content_version.compact() == 0  # one row: nothing to fold
        assert content_version.stamp() == stamp
    else:  # SQLite's trigger keeps a row a table all along (the seed fixture's restore
        # of the log's own rows aside)
        assert removed == 0
    Paper.objects.filter(slug="sieve").update(title="d")
    assert content_version.stamp() != stamp
    assert content_version.current() > int(stamp.split(".")[0])


# --- The cache --------------------------------------------------------------------------


PUBLIC_URLS = [f"/markets/{SLUG}/", f"/markets/{SLUG}/leaderboard/", "/papers/",
               "/papers/sieve/", "/forecasters/", "/replications/", f"/api/markets/{SLUG}/",
               "/api/forecasters/"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_an_anonymous_reader_gets_the_second_request_from_the_cache(
        client, seed_market, url, django_assert_num_queries):
    rendered = client.get(url)
    assert rendered.status_code == 200 and cached(rendered) == "miss"
    # A market's first read may store its agreement (a write, so a new version): read again.
    first = client.get(url)
    with django_assert_num_queries(1):  # the version, nothing else
        second = client.get(url)
    assert cached(second) == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


@pytest.mark.parametrize("write", ["queryset update", "raw SQL"])
def test_a_write_is_on_the_next_page_a_reader_gets(client, seed_market, write):
    url = "/papers/sieve/"
    client.get(url)
    assert cached(client.get(url)) == "hit"
    WRITES[write](seed_market)
    after = client.get(url)
    assert cached(after) == "miss"
    assert ("Renamed" if write == "queryset update" else "Raw") in after.content.decode()


def test_the_market_page_follows_a_bulk_rename(client, seed_market):
    url = f"/markets/{SLUG}/"
    client.get(url)
    client.get(url)  # the first read may store the market's agreement (a write)
    assert cached(client.get(url)) == "hit"
    Market.objects.filter(slug=SLUG).update(title="A market renamed in bulk")
    page = client.get(url)
    assert cached(page) == "miss" and "A market renamed in bulk" in page.content.decode()


def test_a_signed_in_reader_never_gets_the_shared_copy(client, seed_market):
    """Blind review makes the page depend on the reader: with the market open again, the
    public sees no adjudication of its (now unsettled) candidacies, a resolver sees all.
    The resolver's page is theirs, not the public's copy kept under the same version."""
    from django.core.cache import caches
    from django.test import Client

    from evaluations import services

    url = f"/markets/{SLUG}/leaderboard/"
    root = User.objects.create_superuser("root", "root@example.org", "pw-long-enough-1")
    services.unresolve_market(market=seed_market, actor=root, reason="Reopened for a test.")
    reader = Client()
    reader.force_login(root)
    for _ in range(2):  # first reads store figures (writes): done before the check
        reader.get(url)
        client.get(url)
    caches["pages"].clear()
    stamp = content_version.stamp()
    client.get(url)
    shared = client.get(url)
    assert cached(shared) == "hit"  # the anonymous readers' copy is there
    mine = reader.get(url)
    assert content_version.stamp() == stamp  # same version: only the key tells them apart
    assert cached(mine) is None  # rendered for them, and kept for no one
    assert mine.content != shared.content  # what the resolver sees, the public does not
    assert cached(reader.get(url)) is None  # a signed-in reader's page is always rendered
    assert client.get(url).content == shared.content  # the shared copy is untouched
    for _ in range(2):
        assert cached(reader.get("/admin/")) is None
        assert cached(reader.get("/admin/tracker/paper/")) is None


def test_the_health_pages_are_never_cached(client, db):
    for _ in range(2):
        assert cached(client.get("/health/live/")) is None
        assert cached(client.get("/health/")) is None


@contextlib.contextmanager
def throttle_rates(settings, **rates: str):
    """DRF's throttle rates set to `rates` for the block, with no history of earlier tests;
    the rates it replaced are back afterwards."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    saved = SimpleRateThrottle.THROTTLE_RATES
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    cache.clear()
    try:
        yield
    finally:
        api_settings.reload()
        SimpleRateThrottle.THROTTLE_RATES = saved
        cache.clear()


def test_a_cached_api_answer_still_counts_against_the_throttle(client, db, settings):
    with throttle_rates(settings, anon="2/min", user="100/min"):
        answers = [client.get("/api/markets/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert cached(answers[1]) == "hit"
    refused = answers[2]
    assert int(refused["Retry-After"]) > 0
    assert "Request was throttled" in refused.json()["detail"]
    assert refused["Content-Type"] == "application/json"


def test_the_key_follows_host_scheme_query_and_accept(db):
    factory = RequestFactory()

    found = {"tracker_paper": (7, 7), "tracker_market": (3, 9)}
    papers = frozenset({"tracker_paper"})

    def key(path="/papers/", **extra):
        return page_cache.page_key(factory.get(path, **extra), found, papers)

    assert key() == key()
    assert len({key(), key("/papers/?page=2"), key(HTTP_HOST="127.0.0.1"),
                key(secure=True), key(HTTP_ACCEPT="text/html")}) == 5
    moved = {**found, "tracker_paper": (8, 10)}
    assert page_cache.page_key(factory.get("/papers/"), moved, papers) != key()
    # Another table's write is the same key; reading another table is another key.
    other = {**found, "tracker_market": (4, 11)}
    assert page_cache.page_key(factory.get("/papers/"), other, papers) == key()
    assert page_cache.page_key(factory.get("/papers/"), found, papers | {"tracker_market"}) \
        != key()


@pytest.fixture
def build_read_anew():
    """build_id() is read once per process: forget it before and after the test."""
    page_store.build_id.cache_clear()
    yield
    page_store.build_id.cache_clear()


def test_a_key_names_the_deployed_code(settings, db, tmp_path, build_read_anew):
    """Two checkouts that differ by one template are two builds: no page of one is served
    by the other. Nothing is patched: the deployed tree (BASE_DIR) is a copy here."""
    import shutil

    for folder in page_store.SOURCE_DIRS:
        shutil.copytree(settings.BASE_DIR / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    request = RequestFactory().get("/papers/")
    found, tables = {"tracker_paper": (7, 7)}, frozenset({"tracker_paper"})
    deployed = page_cache.page_key(request, found, tables)
    assert len(page_store.build_id()) == 16

    settings.BASE_DIR = tmp_path  # the same code, deployed elsewhere: the same build
    page_store.build_id.cache_clear()
    assert page_cache.page_key(request, found, tables) == deployed
    (tmp_path / "templates" / "base.html").write_text(
        (tmp_path / "templates" / "base.html").read_text() + "<!-- a new build -->")
    page_store.build_id.cache_clear()
    assert page_cache.page_key(request, found, tables) != deployed  # one template changed
    moved = {"tracker_paper": (8, 8)}
    assert page_cache.page_key(request, found, tables) != page_cache.page_key(
        request, moved, tables)
    # The digest follows the source and the libraries' versions.
    (tmp_path / "other" / "templates").mkdir(parents=True)
    template = tmp_path / "other" / "templates" / "page.html"
    template.write_text("<p>one</p>")
    first = page_store.source_digest(tmp_path / "other")
    assert page_store.source_digest(tmp_path / "other") == first
    template.write_text("<p>two</p>")
    assert page_store.source_digest(tmp_path / "other") != first
    assert page_store.source_digest(tmp_path / "other", extra="Django 9") != \
        page_store.source_digest(tmp_path / "other")


def test_a_cached_api_answer_is_rendered_for_each_accept(client, db):
    """The API keeps the payload, not the bytes: a hit is rendered for the request's Accept
    by DRF, and its ETag differs per Accept."""
    user = User.objects.create_user("reader", password="pw-long-enough-1")
    client.force_login(user)
    as_json = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert cached(as_json) == "miss"
    assert cached(client.get("/api/schema/", HTTP_ACCEPT="application/json")) == "hit"
    other = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert cached(other) == "hit" and other["Content-Type"] != as_json["Content-Type"]
    assert other.content != as_json.content and other["ETag"] != as_json["ETag"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed in"])
def test_the_stamp_is_read_before_anything_else(client, seed_market, signed_in):
    """First query of a request: a write that commits after it can only make the page
    newer than its key (the session, the user and the view's reads all come later). A
    signed-in reader's API answers are kept inside DRF, by the stamp read here."""
    from django.test.utils import CaptureQueriesContext

    if signed_in:
        client.force_login(User.objects.create_user("reader", password="pw-long-enough-1"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/papers/sieve/" if not signed_in else f"/api/markets/{SLUG}/")
    assert response.status_code == 200 and cached(response) == "miss"
    assert content_version.LOG_TABLE in queries.captured_queries[0]["sql"]


def test_a_signed_in_readers_cached_api_answer_still_counts_against_the_throttle(
        client, db, settings):
    client.force_login(User.objects.create_user("reader", password="pw-long-enough-1"))
    with throttle_rates(settings, anon="100/min", user="2/min"):
        answers = [client.get("/api/markets/") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert cached(answers[1]) == "hit" and int(answers[2]["Retry-After"]) > 0


def test_an_unreadable_version_costs_renders_not_pages(client, db, monkeypatch, caplog):
    from django.db import DatabaseError

    def broken():
        raise DatabaseError('relation "tracker_contentchange" does not exist')

    monkeypatch.setattr(content_version, "snapshot", broken)
    for _ in range(2):
        response = client.get("/api/docs/")
        assert response.status_code == 200 and cached(response) is None
    assert "Content version unreadable, rendering without the page cache" in caplog.text


SHARED_REQUESTS = [  # (what, request extras, method, shared?)
    ("anonymous GET", {}, "get", True),
    ("admin", {"path": "/admin/"}, "get", False),
    ("health", {"path": "/health/"}, "get", False),
    ("POST", {}, "post", False),
    ("HEAD", {}, "head", False),
    ("session cookie", {"HTTP_COOKIE": "sessionid=abc"}, "get", False),
    ("messages cookie", {"HTTP_COOKIE": "messages=abc"}, "get", False),
    ("CSRF cookie only", {"HTTP_COOKIE": "csrftoken=abc"}, "get", True),
    ("Authorization", {"HTTP_AUTHORIZATION": "Basic eDp5"}, "get", False),
]


@pytest.mark.parametrize(("what", "extra", "method", "shared"), SHARED_REQUESTS,
                         ids=[row[0] for row in SHARED_REQUESTS])
def test_which_requests_share_an_answer(what, extra, method, shared, settings):
    extra = dict(extra)
    request = getattr(RequestFactory(), method)(extra.pop("path", "/papers/"), **extra)
    assert page_cache.is_shared_request(request) is shared
    settings.PAGE_CACHE_SECONDS = 0
    assert page_cache.is_shared_request(request) is False


def _response(status=200, cookie=False, cache_control=None, size=10):
    from django.http import HttpResponse

    response = HttpResponse(b"x" * size, status=status)
    if cookie:
        response.set_cookie("csrftoken", "t")
    if cache_control:
        response["Cache-Control"] = cache_control
    return response


SHARED_RESPONSES = [  # (what, response, kept?)
    ("200", _response(), True),
    ("404", _response(status=404), False),
    ("302", _response(status=302), False),
    ("sets a cookie", _response(cookie=True), False),
    ("no-cache", _response(cache_control="max-age=0, no-cache, no-store"), False),
    ("private", _response(cache_control="private"), False),
    ("too big", _response(size=page_store.MAX_BYTES + 1), False),
]


@pytest.mark.parametrize(("what", "response", "kept"), SHARED_RESPONSES,
                         ids=[row[0] for row in SHARED_RESPONSES])
def test_which_responses_are_kept(what, response, kept):
    assert page_cache.is_shared_response(response) is kept


def test_a_streamed_export_is_never_kept(client, seed_market):
    response = client.get("/forecasters/scores.csv")
    assert response.status_code == 200 and response.streaming
    assert cached(response) is None


ON_REDIS = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))


@pytest.mark.skipif(not ON_REDIS, reason="the Postgres + Redis pass runs it (on the broker's Redis)")
def test_web_servers_share_one_page_cache_in_redis(client, db, settings):
    """PAGE_CACHE_URL: a page one web process rendered is a hit for every other one."""
    import redis
    from django.core.cache import caches

    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {**settings.CACHES, "pages": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": settings.CELERY_BROKER_URL, "KEY_PREFIX": prefix}}
    assert cached(client.get("/papers/")) == "miss"
    server = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    keys = server.keys(f"{prefix}:*")
    assert len(keys) == 2  # in Redis, not in this process: the page and its URL's tables
    caches["pages"].close()
    del caches["pages"]  # as another process would open it
    assert cached(client.get("/papers/")) == "hit"
    server.delete(*keys)  # only ours: the broker's queues share this database


@pytest.mark.django_db(transaction=True)
def test_a_write_by_another_process_is_on_the_next_page(client):
    """The version lives in the database: a worker, a shell or another web server that
    writes makes this process's kept page a miss."""
    import subprocess
    import sys
    from pathlib import Path

    paper = Paper.objects.create(slug="cross-process", title="Before", arxiv_id="2401.00001")
    url = f"/papers/{paper.public_id}/"
    assert client.get(url).status_code == 200
    assert cached(client.get(url)) == "hit"
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from tracker.models import Paper; "
         "Paper.objects.filter(slug='cross-process').update(title='After, elsewhere')"],
        cwd=root, check=True, capture_output=True, env={**os.environ, **_test_database_env()})
    page = client.get(url)
    assert cached(page) == "miss" and "After, elsewhere" in page.content.decode()


def _test_database_env() -> dict[str, str]:
    """DATABASE_URL of the test database this process uses (not the configured one)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"DATABASE_URL": f"sqlite:///{db['NAME']}"}
    return {"DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}


def test_an_unreachable_page_cache_costs_renders_not_pages(client, seed_market, settings,
                                                           caplog):
    """PAGE_CACHE_URL's Redis down: every reader still gets the page, rendered, and the
    log says why it was not kept."""
    settings.CACHES = {**settings.CACHES, "pages": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0"}}  # the discard port: nothing listens
    for url in ("/papers/", "/papers/", f"/api/markets/{SLUG}/"):
        response = client.get(url)
        assert response.status_code == 200 and cached(response) is None
    assert "Page cache unreachable, rendering instead" in caplog.text
    assert "Page cache unreachable, page not kept" in caplog.text
    user = User.objects.create_user("reader", password="pw-long-enough-1")
    client.force_login(user)
    page = client.get("/papers/")
    assert page.status_code == 200 and cached(page) is None


def test_a_running_replications_progress_is_on_its_fragment_and_its_page_stays_cached(
        client, seed_market):
    """A worker's progress write (through the service it calls) changes the run's progress
    fragment, read afresh, and leaves the run page cached."""
    from replication import services
    from tests.replication_specs import make_spec

    candidacy = seed_market.candidacies.get(paper__slug="sieve")
    run = services.create_run(spec=make_spec(key="progress-page", candidacy=candidacy))
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    url, fragment = run.get_absolute_url(), f"/replications/{run.pk}/progress/"
    for each in (url, fragment):
        client.get(each)
        assert cached(client.get(each)) == "hit"
    services.record_progress(run_id=run.pk, attempt=attempt, fraction=0.5,
                             message="Training the SAE: step 250 of 500")
    assert cached(client.get(url)) == "hit"
    shown = client.get(fragment)
    assert cached(shown) == "miss" and "step 250 of 500" in shown.content.decode()
