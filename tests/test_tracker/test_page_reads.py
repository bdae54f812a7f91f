"""Invalidation by what a page reads (issue 27): a page is keyed by the versions of the
tables its renders read, so a replication's progress expires the pages that show runs and
not the forecasters' pages; a write to a table a page reads is on its next answer."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tracker import content_version, page_reads, page_store
from tracker.models import Paper

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


def cached(response) -> str | None:
    return response.headers.get(page_store.HIT_HEADER)


@pytest.mark.parametrize(("sql", "tables"), [
    ('SELECT "tracker_paper"."id" FROM "tracker_paper"', {"tracker_paper"}),
    ('SELECT 1 FROM "tracker_paperversion"', {"tracker_paperversion"}),
    ("SELECT COUNT(*) FROM tracker_paper WHERE 1", {"tracker_paper"}),
    ('SELECT 1 FROM "tracker_paper" INNER JOIN "tracker_authorship" ON (1)',
     {"tracker_paper", "tracker_authorship"}),
    ("SELECT 1 FROM tracker_contentchange", set()),  # the log itself: not covered
    ("SELECT tracker_paper_x FROM x_tracker_paper", set()),
])
def test_the_tables_a_statement_names(sql, tables):
    assert page_reads.tables_in(sql) == tables


def test_stamp_of_a_snapshot_follows_only_its_tables():
    found = {"a": (3, 5), "b": (2, 9), "": (10, 1)}
    assert content_version.stamp_of(found, {"a"}) == "13.5"
    assert content_version.stamp_of(found, {"a", "b"}) == "15.9"
    assert content_version.stamp_of(found, {"c"}) == "10.1"  # rows of no table count


def _run(seed_market):
    from replication import services
    from tests.replication_specs import make_spec

    candidacy = seed_market.candidacies.get(paper__slug="sieve")
    run = services.create_run(spec=make_spec(key="progress-reads", candidacy=candidacy))
    return run, services.claim_run(run_id=run.pk, worker_host="w")


def test_a_replications_progress_keeps_the_pages_that_show_runs(client, seed_market):
    """Progress and heartbeat writes move the runs table's live name only: the pages that
    read runs stay cached (their progress comes from the fragment); the runs API, which
    shows progress, and the fragment follow it; a change of state expires the pages."""
    from replication import services

    run, attempt = _run(seed_market)
    paper = Paper.objects.get(slug="sieve")
    pages = ["/forecasters/", run.get_absolute_url(), "/replications/",
             f"/papers/{paper.public_id}/", f"/markets/{SLUG}/", f"/api/papers/{paper.public_id}/"]
    live = [f"/replications/{run.pk}/progress/", f"/api/replications/{run.pk}/",
            "/api/replications/"]
    for url in pages + live:
        assert cached(client.get(url)) == "miss", url
        assert cached(client.get(url)) == "hit", url
    services.record_progress(run_id=run.pk, attempt=attempt, fraction=0.5,
                             message="Training the SAE: step 250 of 500")
    services.touch_heartbeat(run_id=run.pk, attempt=attempt)
    for url in pages:
        assert cached(client.get(url)) == "hit", url
    for url in live:
        answer = client.get(url)
        assert cached(answer) == "miss" and "step 250 of 500" in answer.content.decode(), url
    services.cancel_run(run_id=run.pk)
    for url in pages[1:3]:
        assert cached(client.get(url)) == "miss", url


@pytest.mark.parametrize(("change", "moves"), [
    ({"progress": 40, "progress_message": "step 4"}, {"live"}),
    ({"heartbeat_at": timezone.now()}, {"live"}),
    ({"progress": 50, "error": "x"}, {"table", "live"}),
    ({"error": "y"}, {"table"}),
    ({}, set()),  # an UPDATE to the values the row has: nothing
], ids=["progress", "heartbeat", "progress and more", "other column", "no change"])
def test_which_version_an_update_of_a_run_moves(seed_market, change, moves):
    from replication.models import ReplicationRun

    run, _ = _run(seed_market)
    table = ReplicationRun._meta.db_table
    names = {"table": table, "live": content_version.live_name(table)}
    ReplicationRun.objects.filter(pk=run.pk).update(progress=30, progress_message="step 3",
                                                    error="")
    before = content_version.snapshot()
    current = ReplicationRun.objects.values("progress", "progress_message", "error").get(
        pk=run.pk)
    ReplicationRun.objects.filter(pk=run.pk).update(**(change or current))
    after = content_version.snapshot()
    moved = {what for what, name in names.items() if after.get(name) != before.get(name)}
    assert moved == moves


def test_a_write_to_a_table_the_page_reads_is_on_its_next_answer(client, seed_market):
    paper = Paper.objects.get(slug="sieve")
    url = f"/papers/{paper.public_id}/"
    client.get(url)
    assert cached(client.get(url)) == "hit"
    Paper.objects.filter(pk=paper.pk).update(title="Retitled by an upsert",
                                             updated_at=timezone.now())
    page = client.get(url)
    assert cached(page) == "miss" and "Retitled by an upsert" in page.content.decode()


def test_a_render_that_reads_more_widens_the_urls_tables(client, seed_market, settings):
    """A URL first rendered with fewer tables (remembered so) is keyed, next time, by the
    union: a write to the new table is seen."""
    from tracker import page_cache

    url = "/forecasters/"
    request = client.get(url).wsgi_request
    key = page_cache.reads_key(request)
    page_store.remember(key, ["tracker_market"])  # as if an earlier render read only that
    client.get(url)
    widened = set(page_store.read(key))
    assert "tracker_market" in widened and len(widened) > 1
    assert cached(client.get(url)) == "hit"
    from evaluations.forecasts.models import Forecaster

    Forecaster.objects.filter(kind="crowd").update(name="Renamed crowd")
    assert cached(client.get(url)) == "miss"
