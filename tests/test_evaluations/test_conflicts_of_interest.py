"""An author of a paper (by normalised name) or someone who declared a conflict cannot
assess it, and is told why."""

import pytest

from evaluations import services
from evaluations.models import AdjudicatorProfile

pytestmark = pytest.mark.django_db


def test_an_author_is_matched_by_normalised_name_and_told_why(tiny, sam):
    reason = services.find_conflict(user=sam, paper=tiny["x"].paper)
    assert reason == (
        "Sámuel MARKS is an author of this paper (author 2 of 2: Samuel Marks)."
    )
    with pytest.raises(services.ConflictOfInterest, match="author 2 of 2"):
        services.record_assessment(
            adjudicator=sam, candidacy=tiny["x"], criterion=tiny["criteria"]["useful"],
            verdict="met", confidence=5, rationale="Obviously great.",
        )


def test_the_author_may_assess_papers_they_did_not_write(tiny, sam):
    assert services.find_conflict(user=sam, paper=tiny["y"].paper) is None
    services.record_assessment(
        adjudicator=sam, candidacy=tiny["y"], criterion=tiny["criteria"]["useful"],
        verdict="met", confidence=5, rationale="Fine.",
    )


def test_other_spellings_in_the_profile_count(tiny, ada):
    AdjudicatorProfile.objects.create(user=ada, publishes_as=["J. Doe", "Jane  DOE"])
    assert "author 1 of 2" in services.find_conflict(user=ada, paper=tiny["x"].paper)


def test_a_declared_conflict_blocks_and_names_the_reason(tiny, ada):
    services.record_declared_conflict(
        adjudicator=ada, paper=tiny["y"].paper, reason="advised the first author"
    )
    with pytest.raises(services.ConflictOfInterest, match="advised the first author"):
        services.record_assessment(
            adjudicator=ada, candidacy=tiny["y"], criterion=tiny["criteria"]["useful"],
            verdict="met", confidence=5, rationale="Fine.",
        )


def test_a_waiver_needs_the_source_of_a_published_judgement(tiny, sam):
    with pytest.raises(Exception, match="source URL"):
        services.record_assessment(
            adjudicator=sam, candidacy=tiny["x"], criterion=tiny["criteria"]["useful"],
            verdict="met", confidence=5, rationale="Fine.", conflict_waiver="trust me",
        )


def test_a_transcribed_published_judgement_carries_its_waiver(tiny, sam):
    assessment = services.record_assessment(
        adjudicator=sam, candidacy=tiny["x"], criterion=tiny["criteria"]["useful"],
        verdict="not_met", confidence=5, rationale="He said so in public.",
        source_url="https://example.org/write-up", conflict_waiver="Published before review.",
    )
    assert assessment.conflict_waiver == "Published before review."


def test_an_adjudicator_declares_a_conflict_in_the_admin(client, tiny, ada):
    from django.urls import reverse

    from evaluations.models import DeclaredConflict

    client.force_login(ada)
    response = client.post(reverse("admin:evaluations_declaredconflict_add"),
                           {"paper": tiny["y"].paper.pk, "reason": "same lab"})
    assert response.status_code == 302
    conflict = DeclaredConflict.objects.get()
    assert (conflict.adjudicator, conflict.reason) == (ada, "same lab")
    page = client.get(reverse("admin:evaluations_candidacyscoring_change",
                              args=[tiny["y"].pk])).content.decode()
    assert "You cannot assess this paper: Declared conflict of interest: same lab" in page
