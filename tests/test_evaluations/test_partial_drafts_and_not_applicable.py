"""A draft keeps any part of an answer; submitting needs complete answers. "Not
applicable" is offered where the criterion says so (`Criterion.not_applicable`), needs no
confidence or rationale, and is the default of criteria that need no answer at all."""

import pytest
from django.core.exceptions import ValidationError

from evaluations import services
from evaluations.models import Assessment
from tests.test_evaluations.test_admin_scoring import (
    DRAFT,
    SUBMIT,
    form_data,
    scoring_url,
    snapshot,
)
from tracker.models import Criterion

pytestmark = pytest.mark.django_db

COMPLETE = {"verdict": "met", "confidence": 4, "rationale": "A task people wanted."}


@pytest.fixture
def judged(tiny):
    """The tiny market with a judgement criterion that may not apply."""
    tiny["criteria"]["budget"] = Criterion.objects.create(
        market=tiny["market"], key="budget", order=4, title="Compute is charged",
        description="d", kind=Criterion.Kind.JUDGEMENT,
        not_applicable=Criterion.NotApplicable.OFFERED)
    return tiny


def post_sheet(client, candidacy, values, button):
    page = client.get(scoring_url(candidacy))
    return client.post(scoring_url(candidacy), form_data(page, values, button))


def mine(user):
    return {a.criterion.key: a for a in Assessment.objects.filter(adjudicator=user)}


def test_a_draft_keeps_a_verdict_without_confidence_or_rationale(client, judged, ada):
    client.force_login(ada)
    response = post_sheet(client, judged["y"], {"useful": {"verdict": "met"}}, DRAFT)
    assert response.status_code == 302
    useful = mine(ada)["useful"]
    assert (useful.verdict, useful.confidence, useful.rationale, useful.status) == (
        "met", None, "", "draft")


def test_a_draft_keeps_a_rationale_without_a_verdict(client, judged, ada):
    client.force_login(ada)
    post_sheet(client, judged["y"], {"beats": {"rationale": "Half-read table 2 so far."}}, DRAFT)
    beats = mine(ada)["beats"]
    assert (beats.verdict, beats.confidence, beats.rationale) == (
        "", None, "Half-read table 2 so far.")
    # Reopened, the sheet shows the half-answer and counts it unanswered (no verdict).
    page = client.get(scoring_url(judged["y"])).content.decode()
    assert "Half-read table 2 so far." in page
    assert "1 of 4</strong> criteria answered" in page  # only the note, by its default


def test_a_draft_emptied_of_everything_is_deleted(client, judged, ada):
    client.force_login(ada)
    post_sheet(client, judged["y"], {"beats": {"rationale": "A start."}}, DRAFT)
    post_sheet(client, judged["y"], {"beats": {"rationale": ""}}, DRAFT)
    assert "beats" not in mine(ada)


def test_submitting_a_partial_answer_names_what_is_missing_and_writes_nothing(
        client, judged, ada):
    client.force_login(ada)
    post_sheet(client, judged["y"], {"useful": {"verdict": "met"}}, DRAFT)
    before = snapshot()
    response = post_sheet(client, judged["y"], {
        "beats": COMPLETE, "budget": {"verdict": "not_applicable"}}, SUBMIT)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Choose a confidence from 1 to 5." in body and "Say why: a rationale is required." in body
    assert "Nothing was saved: correct the answers marked below." in body
    assert snapshot() == before


def test_not_applicable_needs_no_confidence_or_rationale(client, judged, ada):
    client.force_login(ada)
    response = post_sheet(client, judged["y"], {
        "useful": COMPLETE, "beats": COMPLETE, "budget": {"verdict": "not_applicable"}}, SUBMIT)
    assert response.status_code == 302
    rows = mine(ada)
    assert {key: (a.verdict, a.confidence, a.rationale, a.status) for key, a in rows.items()} == {
        "useful": ("met", 4, "A task people wanted.", "submitted"),
        "beats": ("met", 4, "A task people wanted.", "submitted"),
        "budget": ("not_applicable", None, "", "submitted"),
        "note": ("not_applicable", None, "", "submitted"),  # needs no answer: its default
    }


def test_the_service_records_the_default_of_a_criterion_that_needs_no_answer(judged, ada):
    for key in ("useful", "beats"):
        services.record_assessment(adjudicator=ada, candidacy=judged["y"],
                                   criterion=judged["criteria"][key], **COMPLETE)
    services.record_assessment(adjudicator=ada, candidacy=judged["y"],
                               criterion=judged["criteria"]["budget"],
                               verdict="not_applicable", confidence=None, rationale="")
    assert services.submit_assessments(adjudicator=ada, candidacy=judged["y"]) == 4
    note = mine(ada)["note"]
    assert (note.verdict, note.status) == ("not_applicable", "submitted")


def test_the_service_refuses_to_submit_an_incomplete_draft(judged, ada):
    for key in ("useful", "budget"):
        services.record_assessment(adjudicator=ada, candidacy=judged["y"],
                                   criterion=judged["criteria"][key], **COMPLETE)
    services.record_assessment(adjudicator=ada, candidacy=judged["y"],
                               criterion=judged["criteria"]["beats"], verdict="not_met",
                               confidence=None, rationale="")
    with pytest.raises(ValidationError) as caught:
        services.submit_assessments(adjudicator=ada, candidacy=judged["y"])
    assert caught.value.messages == [
        "Complete these answers before submitting: 'Beats baselines': give a confidence and "
        "a rationale."]
    assert not Assessment.objects.filter(status="submitted").exists()


@pytest.mark.parametrize(("key", "words"), [
    ("beats", "met, not met or unclear"),
    ("budget", "met, not met, unclear or not applicable"),
])
def test_the_missing_verdict_message_lists_the_answers_the_criterion_allows(
        client, judged, ada, key, words):
    client.force_login(ada)
    values = {k: COMPLETE for k in ("useful", "beats", "budget")}
    values[key] = {"verdict": "", "confidence": 3, "rationale": "Thinking."}
    body = post_sheet(client, judged["y"], values, SUBMIT).content.decode()
    assert f"Choose a verdict ({words}) before submitting." in body


def test_not_applicable_is_offered_only_where_the_criterion_allows_it(client, judged, ada):
    client.force_login(ada)
    page = client.get(scoring_url(judged["y"])).content.decode()
    criteria = judged["criteria"]
    for key, offered in (("useful", False), ("beats", False), ("budget", True), ("note", True)):
        radio = f'name="c{criteria[key].pk}-verdict" value="not_applicable"'
        assert (radio in page) is offered, key
    # The note starts with its default chosen; the judgement criterion starts empty.
    assert f'value="not_applicable" id="id_c{criteria["note"].pk}-verdict_3" checked' in page
    assert f'value="not_applicable" id="id_c{criteria["budget"].pk}-verdict_3" checked' not in page
    with pytest.raises(ValidationError, match=r"not one of its answers \(met, not met or "
                                              r"unclear\)"):
        services.record_assessment(adjudicator=ada, candidacy=judged["y"],
                                   criterion=criteria["useful"], verdict="not_applicable",
                                   confidence=None, rationale="")


def test_a_submitted_answer_stays_complete(client, judged, ada):
    client.force_login(ada)
    post_sheet(client, judged["y"], {k: COMPLETE for k in ("useful", "beats", "budget")}, SUBMIT)
    before = snapshot()
    response = post_sheet(client, judged["y"], {"beats": {"rationale": ""}}, DRAFT)
    assert "Say why: a rationale is required." in response.content.decode()
    assert snapshot() == before


def test_the_seed_says_which_criteria_may_not_apply_and_loads_does_not_apply_as_such(
        seed_market):
    by_order = {c.order: c for c in seed_market.criteria.all()}
    assert {o for o, c in by_order.items() if c.not_applicable == "default"} == {1, 6, 11}
    assert {o for o, c in by_order.items() if c.not_applicable == "offered"} == {4, 5, 9, 13}
    # The seeded judgements record "does not apply" for criteria 4 and 5 where the write-up
    # is silent: stored as "not applicable", an answer those criteria now offer.
    sfc = Assessment.objects.filter(candidacy__market=seed_market,
                                    candidacy__paper__slug="sparse-feature-circuits")
    verdicts = dict(sfc.values_list("criterion__order", "verdict"))
    assert verdicts[4] == verdicts[5] == "not_applicable"
    assert all(by_order[o].offers_not_applicable for o, v in verdicts.items()
               if v == "not_applicable")


def test_the_assessment_admin_refuses_what_the_service_would_with_a_message(client, judged, ada):
    from django.urls import reverse

    client.force_login(ada)
    post_sheet(client, judged["y"], {k: COMPLETE for k in ("useful", "beats", "budget")}, SUBMIT)
    useful = mine(ada)["useful"]
    url = reverse("admin:evaluations_assessment_change", args=[useful.pk])
    before = snapshot()
    not_offered = client.post(url, {"verdict": "not_applicable", "confidence": "",
                                    "rationale": "", "version": useful.version})
    assert not_offered.status_code == 200
    assert ("not_applicable is not one of this criterion&#x27;s answers (met, not met or "
            "unclear).") in not_offered.content.decode()
    incomplete = client.post(url, {"verdict": "met", "confidence": 4, "rationale": " ",
                                   "version": useful.version})
    assert incomplete.status_code == 200
    assert "A submitted answer stays complete: &#x27;Useful task&#x27;: give a rationale." in \
        incomplete.content.decode()
    assert snapshot() == before
