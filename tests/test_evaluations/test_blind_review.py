"""Until an adjudicator has submitted every criterion for a candidacy, others'
assessments of it stay hidden from them; readers see none while it is under review;
nobody but the author ever sees a draft."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from evaluations import services
from tests.test_evaluations.conftest import score

pytestmark = pytest.mark.django_db

ALL_MET = {"useful": "met", "beats": "met", "note": "not_applicable"}


def owners(viewer, candidacy):
    return {a.adjudicator.username
            for a in services.visible_assessments(viewer=viewer, candidacy=candidacy)}


def test_ben_sees_only_his_own_until_he_submits_everything(tiny, ada, ben):
    score(ada, tiny["y"], ALL_MET)
    score(ben, tiny["y"], {"useful": "met", "beats": "met"}, submit=False)
    assert owners(ben, tiny["y"]) == {"ben"}
    score(ben, tiny["y"], {"note": "not_applicable"})
    assert owners(ben, tiny["y"]) == {"ada", "ben"}


def test_readers_see_nothing_under_review_and_never_drafts(tiny, ada, ben, reader, otto):
    score(ada, tiny["y"], ALL_MET)
    score(ben, tiny["y"], ALL_MET, submit=False)
    for viewer in (AnonymousUser(), reader, otto):
        assert owners(viewer, tiny["y"]) == set()
    tiny["y"].status = "decided"
    tiny["y"].save()
    for viewer in (AnonymousUser(), reader, otto):
        assert owners(viewer, tiny["y"]) == {"ada"}


def test_a_resolved_market_makes_its_candidacies_public(tiny, ada, rita):
    score(ada, tiny["y"], ALL_MET)
    assert owners(AnonymousUser(), tiny["y"]) == set()
    services.annul_market(market=tiny["market"], actor=rita, reason="Withdrawn.")
    fresh = type(tiny["y"]).objects.get(pk=tiny["y"].pk)
    assert owners(AnonymousUser(), fresh) == {"ada"}


def test_a_resolver_reads_submitted_assessments_under_review(tiny, ada, rita):
    score(ada, tiny["y"], ALL_MET)
    assert owners(rita, tiny["y"]) == {"ada"}


def test_a_hidden_assessment_cannot_be_fetched_directly(tiny, ada, ben):
    score(ada, tiny["y"], ALL_MET)
    hidden = services.visible_assessments(viewer=ada, candidacy=tiny["y"])[0]
    with pytest.raises(PermissionDenied):
        services.access_assessment(user=ben, assessment_id=hidden.pk)
    score(ben, tiny["y"], ALL_MET)
    assert services.access_assessment(user=ben, assessment_id=hidden.pk) == hidden


def test_a_draft_cannot_be_fetched_by_anyone_else(tiny, ada, ben, rita):
    score(ada, tiny["y"], ALL_MET, submit=False)
    draft = services.visible_assessments(viewer=ada, candidacy=tiny["y"])[0]
    for viewer in (ben, rita, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            services.access_assessment(user=viewer, assessment_id=draft.pk)


def test_blindness_is_per_candidacy(tiny, ada, ben):
    score(ada, tiny["x"], ALL_MET)
    score(ada, tiny["y"], ALL_MET)
    score(ben, tiny["y"], ALL_MET)
    assert owners(ben, tiny["y"]) == {"ada", "ben"}
    assert owners(ben, tiny["x"]) == set()


def test_a_conflicted_adjudicator_sees_what_the_public_sees(tiny, ada, sam):
    score(ada, tiny["x"], ALL_MET)
    assert owners(sam, tiny["x"]) == owners(AnonymousUser(), tiny["x"]) == set()
    tiny["x"].status = "decided"
    tiny["x"].save()
    assert owners(sam, tiny["x"]) == owners(AnonymousUser(), tiny["x"]) == {"ada"}


def test_the_queryset_twin_follows_the_same_rule(tiny, ada, ben, reader, rita, sam):
    score(ada, tiny["y"], ALL_MET)
    score(ada, tiny["x"], ALL_MET)
    score(ben, tiny["y"], {"useful": "met"}, submit=False)
    tiny["x"].status = "decided"
    tiny["x"].save()

    def seen(viewer):
        return {(a.candidacy.paper.slug, a.adjudicator.username)
                for a in services.assessments_visible_to(viewer)}

    x_ada, y_ada, y_ben = ("paper-x", "ada"), ("paper-y", "ada"), ("paper-y", "ben")
    assert seen(AnonymousUser()) == seen(reader) == seen(sam) == {x_ada}
    assert seen(ben) == {x_ada, y_ben}  # blind on Y, his own draft
    assert seen(rita) == seen(ada) == {x_ada, y_ada}
