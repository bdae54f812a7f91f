"""Adjudicators record their own assessments through the service; bad input is refused."""

import pytest
from django.core.exceptions import ValidationError

from evaluations import services
from evaluations.models import Assessment
from tracker.models import Criterion, Market

pytestmark = pytest.mark.django_db


def record(user, tiny, key="useful", **overrides):
    values = dict(
        adjudicator=user, candidacy=tiny["y"], criterion=tiny["criteria"][key], verdict="met",
        confidence=4, rationale="Clear win on a task people wanted solved.",
        evidence_urls=["https://arxiv.org/abs/2501.00002"],
    )
    values.update(overrides)
    return services.record_assessment(**values)


def test_it_creates_a_draft_with_version_one(tiny, ada):
    assessment = record(ada, tiny)
    assert (assessment.status, assessment.version, assessment.submitted_at) == ("draft", 1, None)
    assert assessment.evidence_urls == ["https://arxiv.org/abs/2501.00002"]


def test_it_updates_from_the_version_the_form_was_opened_at(tiny, ada):
    first = record(ada, tiny)
    second = record(ada, tiny, verdict="not_met", expected_version=first.version)
    assert (second.pk, second.verdict, second.version) == (first.pk, "not_met", 2)


def test_the_second_of_two_tabs_is_refused_instead_of_overwriting(tiny, ada):
    opened = record(ada, tiny)
    record(ada, tiny, verdict="not_met", rationale="Tab one.", expected_version=opened.version)
    with pytest.raises(services.StaleAssessment, match="another tab"):
        record(ada, tiny, verdict="unclear", rationale="Tab two.",
               expected_version=opened.version)
    saved = Assessment.objects.get(pk=opened.pk)
    assert (saved.verdict, saved.rationale) == ("not_met", "Tab one.")


def test_two_tabs_creating_the_same_assessment_do_not_overwrite(tiny, ada):
    record(ada, tiny, rationale="Tab one.")
    with pytest.raises(services.StaleAssessment):
        record(ada, tiny, rationale="Tab two.")  # also opened as a new assessment
    assert Assessment.objects.get().rationale == "Tab one."


@pytest.mark.parametrize(("field", "value", "message"), [
    ("confidence", 0, "confidence"),
    ("confidence", 6, "confidence"),
    ("verdict", "maybe", "not one of its answers (met, not met or unclear)"),
    ("evidence_urls", ["not a url"], "not an http"),
    ("evidence_urls", ["ftp://example.org/x"], "not an http"),
])
def test_it_refuses_bad_input(tiny, ada, field, value, message):
    with pytest.raises(ValidationError) as caught:
        record(ada, tiny, **{field: value})
    assert message in str(caught.value).lower()
    assert not Assessment.objects.exists()


def test_a_criterion_of_another_market_is_refused(tiny, ada):
    other = Market.objects.create(slug="other", title="Other")
    foreign = Criterion.objects.create(market=other, key="k", title="K", description="d")
    with pytest.raises(ValidationError, match="another market"):
        record(ada, tiny, criterion=foreign)


def test_someone_outside_the_group_is_refused(tiny, otto, reader, rita):
    for user in (otto, reader, rita):
        with pytest.raises(services.NotAnAdjudicator):
            record(user, tiny)


def test_an_adjudicator_cannot_change_someone_elses_assessment(tiny, ada, ben):
    mine = record(ada, tiny)
    with pytest.raises(services.NotYourAssessment):
        services.access_assessment(user=ben, assessment_id=mine.pk, for_change=True)
    assert services.access_assessment(user=ada, assessment_id=mine.pk, for_change=True) == mine


def test_submitting_needs_every_criterion(tiny, ada):
    record(ada, tiny)
    # The informational note is not missing: unanswered, it is "not applicable".
    with pytest.raises(ValidationError) as caught:
        services.submit_assessments(adjudicator=ada, candidacy=tiny["y"])
    assert caught.value.messages == [
        "Assess every criterion before submitting; missing: Beats baselines."]


def test_submitting_stamps_the_time_and_keeps_others_drafts_alone(tiny, ada, ben):
    for key in ("useful", "beats", "note"):
        record(ada, tiny, key=key)
    record(ben, tiny)
    assert services.submit_assessments(adjudicator=ada, candidacy=tiny["y"]) == 3
    assert set(Assessment.objects.filter(adjudicator=ada).values_list("status", flat=True)) == {
        "submitted"
    }
    assert Assessment.objects.filter(adjudicator=ada, submitted_at__isnull=True).count() == 0
    assert Assessment.objects.get(adjudicator=ben).status == "draft"


def test_assessments_are_frozen_once_the_market_is_resolved(tiny, ada):
    Market.objects.filter(pk=tiny["market"].pk).update(status="annulled")
    with pytest.raises(services.MarketLocked, match="Unresolve it first"):
        record(ada, tiny)
