"""No-op writes move nothing (issue 27): an UPDATE that changes no row, or changes rows to
the values they had, keeps the content version, so an idle site keeps its cached pages;
a GET never writes (the market's stored agreement is recomputed on the write's commit or
by the reconciler, never by a reader)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evaluations import aggregates
from evaluations.models import Assessment, StoredAgreement
from tracker import content_version, page_store
from tracker.models import Paper, SavedSearch
from tracker.reconcile import reconcile

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"
WRITES = ("INSERT", "UPDATE", "DELETE")


def cached(response) -> str | None:
    return response.headers.get(page_store.HIT_HEADER)


NO_OPS = {
    "update of no row": lambda: Paper.objects.filter(slug="no-such-paper").update(title="x"),
    "update to the same values": lambda: Paper.objects.filter(slug="sieve").update(
        title=F("title"), abstract=F("abstract")),
    "the reconciler's lock release": lambda: SavedSearch.objects.filter(
        running_since__lt=timezone.now()).update(running_since=None),
    "delete of no row": lambda: Paper.objects.filter(slug="no-such-paper").delete(),
    "bulk insert of nothing": lambda: Paper.objects.bulk_create([]),
}


@pytest.mark.parametrize("write", list(NO_OPS), ids=list(NO_OPS))
def test_a_write_that_changes_no_row_keeps_the_version(seed_market, write):
    stamp = content_version.stamp()
    NO_OPS[write]()
    assert content_version.stamp() == stamp


def test_a_write_that_changes_a_row_still_moves_it(seed_market):
    stamp = content_version.stamp()
    Paper.objects.filter(slug="sieve").update(title="A new title")
    assert content_version.stamp() != stamp


def test_a_bulk_write_is_counted_once_per_statement_on_postgres(seed_market):
    """Row-level triggers, one log row per statement: 50 rows changed in one UPDATE."""
    before = content_version.current()
    changed = Paper.objects.update(abstract="Rewritten.")
    assert changed > 1
    moved = content_version.current() - before
    assert moved == (1 if connection.vendor == "postgresql" else changed)


def test_an_idle_sites_reconciler_pass_keeps_the_cached_pages(client, seed_market):
    url = f"/markets/{SLUG}/"
    reconcile()  # the first pass may store what was missing (the agreements' rows)
    assert cached(client.get(url)) == "miss"
    stamp = content_version.stamp()
    for _ in range(3):
        reconcile()
    assert content_version.stamp() == stamp
    assert cached(client.get(url)) == "hit"


def test_a_get_moves_no_version_after_an_assessment_write(client, seed_market):
    """The leaderboard after an assessment changed: its stored agreement is stale (the
    commit's refresh has not run in this test's transaction), and the reader computes
    it without storing it."""
    aggregates.refresh_agreement(seed_market.pk)
    StoredAgreement.invalidate(seed_market.pk)  # as an assessment write does
    stale = list(StoredAgreement.objects.filter(market=seed_market).values_list(
        "generation", "computed_generation", "figures"))
    stamp = content_version.stamp()
    for url in (f"/markets/{SLUG}/leaderboard/", f"/api/markets/{SLUG}/leaderboard/",
                f"/markets/{SLUG}/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        writes = [q["sql"] for q in queries.captured_queries
                  if q["sql"].lstrip().upper().startswith(WRITES)]
        assert writes == [], url
    assert content_version.stamp() == stamp
    assert list(StoredAgreement.objects.filter(market=seed_market).values_list(
        "generation", "computed_generation", "figures")) == stale


def test_the_stale_agreement_a_reader_computes_is_the_one_stored_later(seed_market):
    aggregates.refresh_agreement(seed_market.pk)
    assessment = Assessment.objects.filter(candidacy__market=seed_market,
                                           status="submitted").first()
    Assessment.objects.filter(pk=assessment.pk).update(
        verdict="unclear" if assessment.verdict != "unclear" else "met")
    StoredAgreement.invalidate(seed_market.pk)
    read = aggregates.stored_agreement(seed_market, StoredAgreement.Scope.ALL)
    assert aggregates.refresh_agreement(seed_market.pk) >= 1
    stored = StoredAgreement.objects.get(market=seed_market, scope=StoredAgreement.Scope.ALL)
    assert stored.figures == read
    assert aggregates.refresh_agreement(seed_market.pk) == 0  # fresh now: nothing written


def test_an_assessment_write_stores_the_agreement_once_it_commits(
        seed_market, django_capture_on_commit_callbacks):
    """The write side: the verdict refresh every assessment change runs marks the agreement
    stale and, on commit, sends the task that stores it, so no reader has to."""
    from evaluations.services.verdicts import refresh_verdict

    aggregates.refresh_agreement(seed_market.pk)
    candidacy = seed_market.candidacies.first()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refresh_verdict(candidacy=candidacy)
    stale = StoredAgreement.objects.filter(market=seed_market).exclude(
        computed_generation=F("generation"))
    assert stale.exists()  # marked stale in the write's transaction
    for callback in callbacks:
        callback()  # the commit: the task runs (eagerly in the tests)
    assert not stale.exists()


def test_the_triggers_reinstall_with_queries_logged_as_debug_logs_them():
    """`make run DEBUG=1` migrates on a fresh folder with every query %-formatted for the
    log: dropping and installing the triggers must survive that (a literal % beside a
    placeholder did not)."""
    connection.force_debug_cursor = True
    try:
        content_version.drop_triggers()
        installed = content_version.install_triggers()
    finally:
        connection.force_debug_cursor = False
    assert installed
    before = content_version.current()
    Paper.objects.create(title="A paper", slug="a-paper-for-the-triggers")
    assert content_version.current() != before
