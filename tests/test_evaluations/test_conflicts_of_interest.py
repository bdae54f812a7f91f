"""An author of a paper (by normalised name) or someone who declared a conflict cannot
assess it, and is told why."""

import pytest
from django.core.exceptions import ValidationError

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
    from django.contrib.auth.models import Group, User

    waived = dict(
        adjudicator=sam, candidacy=tiny["x"], criterion=tiny["criteria"]["useful"],
        verdict="not_met", confidence=5, rationale="He said so in public.",
        source_url="https://example.org/write-up", conflict_waiver="Published before review.",
    )
    with pytest.raises(services.ConflictOfInterest, match="Only a resolver may record"):
        services.record_assessment(**waived)
    sam.groups.add(Group.objects.get(name="resolvers"))
    sam = User.objects.get(pk=sam.pk)  # fresh permission caches
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


def test_a_declared_conflict_is_withdrawn_with_a_reason_kept_in_history(tiny, ada):
    from evaluations.models import DeclaredConflict

    first = services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                              reason="same lab")
    with pytest.raises(ValidationError, match="already declared a conflict"):
        services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                          reason="another reason")
    with pytest.raises(ValidationError, match="Say why the conflict no longer holds"):
        services.withdraw_declared_conflict(adjudicator=ada, conflict_id=first.pk, reason=" ")
    services.withdraw_declared_conflict(adjudicator=ada, conflict_id=first.pk,
                                        reason="I left the lab in 2023.")
    assert services.find_conflict(user=ada, paper=tiny["y"].paper) is None
    services.record_assessment(adjudicator=ada, candidacy=tiny["y"],
                               criterion=tiny["criteria"]["useful"], verdict="met",
                               confidence=3, rationale="Fine now.")
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw_declared_conflict(adjudicator=ada, conflict_id=first.pk, reason="x")
    services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                      reason="joined the lab again")
    history = list(DeclaredConflict.objects.filter(adjudicator=ada).order_by("declared_at")
                   .values_list("reason", "withdrawal_reason"))
    assert history == [("same lab", "I left the lab in 2023."), ("joined the lab again", "")]
    assert "joined the lab again" in services.find_conflict(user=ada, paper=tiny["y"].paper)


def test_an_authorship_conflict_cannot_be_withdrawn(tiny, sam):
    """Authorship is computed from the author list: there is no declaration to withdraw,
    and only a transcription carrying a recorded waiver lets such an assessment stand."""
    from evaluations.models import DeclaredConflict

    assert not DeclaredConflict.objects.filter(adjudicator=sam).exists()
    assert "is an author of this paper" in services.find_conflict(user=sam, paper=tiny["x"].paper)
    services.record_declared_conflict(adjudicator=sam, paper=tiny["x"].paper, reason="author")
    declared = DeclaredConflict.objects.get(adjudicator=sam)
    services.withdraw_declared_conflict(adjudicator=sam, conflict_id=declared.pk,
                                        reason="Withdrawn.")
    assert "is an author of this paper" in services.find_conflict(user=sam, paper=tiny["x"].paper)
    with pytest.raises(services.ConflictOfInterest):
        services.record_assessment(adjudicator=sam, candidacy=tiny["x"],
                                   criterion=tiny["criteria"]["useful"], verdict="met",
                                   confidence=3, rationale="Mine.")


def test_withdrawing_in_the_admin_asks_for_a_reason_then_reopens_the_sheet(client, tiny, ada):
    from django.urls import reverse

    declared = services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                                 reason="same lab")
    client.force_login(ada)
    url = reverse("admin:evaluations_declaredconflict_changelist")
    asked = client.post(url, {"action": "withdraw", "_selected_action": [declared.pk]})
    assert asked.status_code == 200 and "Why it no longer holds" in asked.content.decode()
    empty = client.post(url, {"action": "withdraw", "_selected_action": [declared.pk],
                              "apply": "1", "reason": ""})
    assert "This field is required." in empty.content.decode()
    declared.refresh_from_db()
    assert declared.withdrawn_at is None
    done = client.post(url, {"action": "withdraw", "_selected_action": [declared.pk],
                             "apply": "1", "reason": "Left the lab."}, follow=True)
    assert "declaration withdrawn" in done.content.decode()
    assert "Left the lab." in client.get(url).content.decode()  # the history stays listed
    sheet = client.get(reverse("admin:evaluations_candidacyscoring_change",
                               args=[tiny["y"].pk]))
    assert sheet.context["sheet"].state == "editable"


def test_declaring_twice_in_the_admin_is_refused_with_a_message(client, tiny, ada):
    from django.urls import reverse

    services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper, reason="lab")
    client.force_login(ada)
    response = client.post(reverse("admin:evaluations_declaredconflict_add"),
                           {"paper": tiny["y"].paper.pk, "reason": "again"})
    assert response.status_code == 200
    assert "You already declared a conflict with this paper" in response.content.decode()
