"""Ingested papers are scored per market; those above the threshold wait in the admin's
triage queue, where an adjudicator accepts them into review or dismisses them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.test_tracker.arxiv_server import ArxivStub, fast_config, recorded_pages
from tracker.ingestion.queue import TriageError, accept_candidacies, dismiss_candidacies
from tracker.ingestion.services import ingest_search
from tracker.ingestion.triage import SAE_PROFILE
from tracker.models import Candidacy, Market, Paper, PaperRelevance, SavedSearch, TriageProfile

pytestmark = pytest.mark.django_db

QUEUE_URL = "admin:tracker_triagequeueitem_changelist"


def _profile(market: Market, **extra) -> TriageProfile:
    return TriageProfile.objects.create(
        market=market,
        method_terms=list(SAE_PROFILE.method_terms),
        baseline_terms=list(SAE_PROFILE.baseline_terms),
        task_terms=list(SAE_PROFILE.task_terms),
        **extra,
    )


@pytest.fixture
def market():
    market = Market.objects.create(slug="sae", title="SAEs beat baselines?")
    _profile(market)
    return market


@pytest.fixture
def search(market):
    return SavedSearch.objects.create(market=market, name="SAEs", query="q")


def _ingest(search, name="sae"):
    with ArxivStub(recorded_pages(name)) as stub:
        return ingest_search(search_id=search.pk, config=fast_config(stub.url))


def test_every_new_paper_gets_a_relevance_per_market_with_its_explanation(search, market):
    other = Market.objects.create(slug="proteins", title="Protein LMs?")
    TriageProfile.objects.create(market=other, method_terms=["protein language model"])
    _ingest(search)
    assert PaperRelevance.objects.filter(market=market).count() == 10
    assert PaperRelevance.objects.filter(market=other).count() == 10
    steer = PaperRelevance.objects.get(market=market, paper__arxiv_id="2506.07731")
    assert steer.version == 2
    assert steer.signals["method"] == ["dictionary learning", "sparse autoencoder", "SAE"]
    assert "LoRA" in steer.signals["baselines"]
    assert steer.explanation.startswith(f"Score {steer.score:.2f}. method: dictionary learning")


def test_papers_above_the_threshold_become_new_candidacies(search, market):
    run = _ingest(search)
    proposed = Candidacy.objects.filter(market=market)
    assert run.candidates == proposed.count() > 0
    expected = set(
        PaperRelevance.objects.filter(market=market, score__gte=0.5)
        .values_list("paper__arxiv_id", flat=True)
    )
    assert set(proposed.values_list("paper__arxiv_id", flat=True)) == expected
    assert "2506.04410" in expected  # SAE probes against four named baselines
    assert "hep-th/9901001" not in expected  # no SAE, no task
    assert "2506.11002" not in expected  # refusal direction: a baseline, not an SAE method
    for candidacy in proposed:
        assert candidacy.status == Candidacy.Status.NEW
        assert candidacy.source == Candidacy.Source.ARXIV
        assert candidacy.found_by == search
        assert candidacy.relevance_score >= 0.5
        assert candidacy.relevance_signals["explanation"].startswith("Score ")


def test_a_withdrawn_paper_scores_zero_and_is_not_proposed(search, market):
    _ingest(search)
    _ingest(search, "weekly")
    relevance = PaperRelevance.objects.get(market=market, paper__arxiv_id="2505.20001")
    assert relevance.score == 0 and relevance.version == 4


def test_a_candidacy_that_already_exists_is_left_alone(search, market):
    paper = Paper.objects.create(slug="probes", arxiv_id="2506.04410", title="Probes")
    existing = Candidacy.objects.create(paper=paper, market=market, status="decided",
                                        notes="judged")
    _ingest(search)
    existing.refresh_from_db()
    assert (existing.status, existing.source, existing.notes) == ("decided", "manual", "judged")
    assert existing.relevance_score is None


def test_a_market_with_a_higher_threshold_gets_fewer_candidacies(search, market):
    strict = Market.objects.create(slug="strict", title="Strict")
    _profile(strict, threshold=0.95)
    _ingest(search)
    assert Candidacy.objects.filter(market=strict).count() < Candidacy.objects.filter(
        market=market).count()


def test_an_inactive_profile_scores_nothing(search, market):
    TriageProfile.objects.filter(market=market).update(active=False)
    run = _ingest(search)
    assert run.candidates == 0 and not PaperRelevance.objects.exists()


def test_accepting_moves_new_candidacies_into_review(search, django_user_model):
    _ingest(search)
    adjudicator = django_user_model.objects.create_user("ada", is_staff=True)
    ids = list(Candidacy.objects.values_list("pk", flat=True))
    assert accept_candidacies(candidacy_ids=ids, user=adjudicator) == len(ids)
    assert set(Candidacy.objects.values_list("status", flat=True)) == {"in_review"}
    assert set(Candidacy.objects.values_list("triaged_by", flat=True)) == {adjudicator.pk}
    assert accept_candidacies(candidacy_ids=ids, user=adjudicator) == 0  # only new ones move


def test_dismissing_needs_a_reason(search, django_user_model):
    _ingest(search)
    user = django_user_model.objects.create_user("ada", is_staff=True)
    ids = list(Candidacy.objects.values_list("pk", flat=True)[:1])
    with pytest.raises(TriageError, match="needs a reason"):
        dismiss_candidacies(candidacy_ids=ids, user=user, reason="  ")
    assert dismiss_candidacies(candidacy_ids=ids, user=user, reason="Survey, no experiment") == 1
    dismissed = Candidacy.objects.get(pk=ids[0])
    assert (dismissed.status, dismissed.dismissed_reason) == ("dismissed", "Survey, no experiment")
    assert dismissed.triaged_at is not None


def test_the_database_refuses_a_dismissal_without_a_reason(search):
    _ingest(search)
    with pytest.raises(IntegrityError), transaction.atomic():
        Candidacy.objects.filter(pk=Candidacy.objects.first().pk).update(status="dismissed")


def test_the_admin_queue_lists_new_candidacies_best_first(search, admin_client):
    _ingest(search)
    first = Candidacy.objects.order_by("-relevance_score").first()
    accepted = Candidacy.objects.order_by("relevance_score").first()
    accepted.status = "in_review"
    accepted.save()
    response = admin_client.get(reverse(QUEUE_URL))
    assert response.status_code == 200
    listed = list(response.context["cl"].result_list)
    assert accepted not in listed
    assert listed[0].relevance_score == first.relevance_score
    assert [c.relevance_score for c in listed] == sorted(
        (c.relevance_score for c in listed), reverse=True)
    assert "Score " in response.content.decode()


def test_the_admin_accept_action(search, admin_client):
    _ingest(search)
    ids = list(Candidacy.objects.values_list("pk", flat=True))
    response = admin_client.post(
        reverse(QUEUE_URL), {"action": "accept_selected", "_selected_action": ids}, follow=True
    )
    assert f"Accepted {len(ids)} candidacies." in response.content.decode()
    assert not Candidacy.objects.filter(status="new").exists()


def test_the_admin_dismiss_action_asks_for_a_reason_first(search, admin_client):
    _ingest(search)
    target = Candidacy.objects.first()
    data = {"action": "dismiss_selected", "_selected_action": [target.pk]}
    page = admin_client.post(reverse(QUEUE_URL), data)
    assert page.status_code == 200
    assert "Dismiss 1 candidacy" in page.content.decode()
    target.refresh_from_db()
    assert target.status == "new"

    empty = admin_client.post(reverse(QUEUE_URL), {**data, "apply": "1", "reason": ""})
    assert "This field is required" in empty.content.decode()

    done = admin_client.post(
        reverse(QUEUE_URL), {**data, "apply": "1", "reason": "Benchmark only"}, follow=True
    )
    assert "Dismissed 1 candidacy." in done.content.decode()
    target.refresh_from_db()
    assert (target.status, target.dismissed_reason) == ("dismissed", "Benchmark only")


def test_the_admin_shows_the_run_log_of_a_search(search, admin_client):
    run = _ingest(search)
    page = admin_client.get(reverse("admin:tracker_savedsearch_change", args=[search.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Succeeded" in body and str(run.fetched) in body
    listing = admin_client.get(reverse("admin:tracker_searchrun_changelist"))
    assert listing.status_code == 200 and "SAEs" in listing.content.decode()


@pytest.mark.parametrize(
    "name",
    [
        "tracker_savedsearch_changelist", "tracker_savedsearch_add", "tracker_searchrun_changelist",
        "tracker_triageprofile_changelist", "tracker_paperrelevance_changelist",
        "tracker_paperversion_changelist", QUEUE_URL.removeprefix("admin:"),
    ],
)
def test_every_ingestion_admin_page_opens(search, admin_client, name):
    _ingest(search)
    assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_a_queue_item_and_a_version_open_read_only(search, admin_client):
    _ingest(search)
    candidacy = Candidacy.objects.first()
    page = admin_client.get(reverse("admin:tracker_triagequeueitem_change", args=[candidacy.pk]))
    assert page.status_code == 200 and "explanation" in page.content.decode()
    version = candidacy.paper.versions.first()
    page = admin_client.get(reverse("admin:tracker_paperversion_change", args=[version.pk]))
    assert page.status_code == 200
