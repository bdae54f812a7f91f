"""An adjudicator deletes only her own drafts, one at a time, and the deletion goes through
the service: the verdict is refreshed and the stored agreement marked stale. Submitted
judgements are never deleted, and the admin offers no bulk delete."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from evaluations import aggregates, services
from evaluations.models import Assessment, StoredAgreement
from tests.test_evaluations.conftest import score

pytestmark = pytest.mark.django_db

EVERY = {"useful": "met", "beats": "met", "note": "not_applicable"}


def delete_url(assessment):
    return reverse("admin:evaluations_assessment_delete", args=[assessment.pk])


def mine(user, candidacy, key):
    return Assessment.objects.get(adjudicator=user, candidacy=candidacy, criterion__key=key)


@pytest.fixture
def draft(tiny, ada, ben):
    """Ben submitted X; Ada has a draft on Y; the resolvers' agreement is stored fresh."""
    score(ben, tiny["x"], EVERY)
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    aggregates.refresh_agreement(tiny["market"].pk)  # what the write's commit task stores
    return mine(ada, tiny["y"], "useful")


def stored_row_is_fresh(market) -> bool:
    row = StoredAgreement.objects.get(market=market, scope="all")
    return row.computed_generation == row.generation


def test_an_adjudicator_deletes_her_draft_and_the_agreement_is_marked_stale(
        client, tiny, ada, draft):
    assert stored_row_is_fresh(tiny["market"])
    client.force_login(ada)
    response = client.post(delete_url(draft), {"post": "yes"})
    assert response.status_code == 302
    assert not Assessment.objects.filter(pk=draft.pk).exists()
    assert not stored_row_is_fresh(tiny["market"])
    assert LogEntry.objects.filter(object_id=str(draft.pk), action_flag=DELETION).exists()


def test_a_submitted_assessment_is_not_deleted(client, tiny, ben, draft):
    submitted = mine(ben, tiny["x"], "useful")
    client.force_login(ben)
    assert client.post(delete_url(submitted), {"post": "yes"}).status_code == 403
    assert Assessment.objects.filter(pk=submitted.pk).exists()
    assert stored_row_is_fresh(tiny["market"])


def test_another_adjudicators_draft_is_not_deleted(client, tiny, ben, draft):
    client.force_login(ben)
    client.post(delete_url(draft), {"post": "yes"})
    assert Assessment.objects.filter(pk=draft.pk).exists()


def test_bulk_delete_is_refused(client, tiny, ada, draft):
    client.force_login(ada)
    client.post(reverse("admin:evaluations_assessment_changelist"), {
        "action": "delete_selected", "_selected_action": [draft.pk], "post": "yes",
    })
    assert Assessment.objects.filter(pk=draft.pk).exists()


def test_a_queryset_deletion_goes_through_the_service_too(tiny, ben, draft):
    request = RequestFactory().post("/")
    request.user = ben
    console = admin.site._registry[Assessment]
    with pytest.raises(ValidationError, match="submitted assessment is kept"):
        console.delete_queryset(request, Assessment.objects.filter(adjudicator=ben))
    assert Assessment.objects.filter(adjudicator=ben).count() == 3


def test_the_service_refuses_what_the_admin_hides(tiny, ada, ben, reader, draft):
    with pytest.raises(services.NotYourAssessment):
        services.delete_draft_assessment(adjudicator=ben, assessment_id=draft.pk)
    with pytest.raises(services.NotAnAdjudicator):
        services.delete_draft_assessment(adjudicator=reader, assessment_id=draft.pk)
    services.delete_draft_assessment(adjudicator=ada, assessment_id=draft.pk)
    with pytest.raises(services.StaleAssessment):
        services.delete_draft_assessment(adjudicator=ada, assessment_id=draft.pk)
