"""Adjudicators score every criterion of a candidacy on one admin page; the admin goes
through the services, so stale tabs, conflicts and strangers are refused there too."""

import pytest
from django.urls import reverse

from evaluations.models import Assessment, ResolutionEvent
from tests.test_evaluations.conftest import score
from tracker.models import Market

pytestmark = pytest.mark.django_db


def scoring_url(candidacy):
    return reverse("admin:evaluations_candidacyscoring_change", args=[candidacy.pk])


def form_data(response, values_by_criterion, extra=None):
    """POST data for the scoring page as rendered in `response`, with `values_by_criterion`
    (criterion key -> dict of verdict/confidence/rationale/evidence) filled in."""
    formset = response.context["inline_admin_formsets"][0].formset
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    criteria = {c.pk: c.key for c in formset.instance.market.criteria.all()}
    for form in formset.forms:
        instance = form.instance
        criterion_pk = instance.criterion_id if instance.pk else form.initial.get("criterion")
        key = criteria[criterion_pk]
        current = {
            "criterion": criterion_pk,
            "verdict": instance.verdict if instance.pk else "",
            "confidence": instance.confidence if instance.pk else "",
            "rationale": instance.rationale if instance.pk else "",
            "evidence_urls": "\n".join(instance.evidence_urls) if instance.pk else "",
            "version": instance.version if instance.pk else "",
            "id": instance.pk or "",
            "candidacy": formset.instance.pk,
        }
        current.update(values_by_criterion.get(key, {}))
        for field, value in current.items():
            data[f"{form.prefix}-{field}"] = value
    data.update(extra or {})
    return data


ALL = {
    "useful": {"verdict": "met", "confidence": 4, "rationale": "A task people wanted.",
               "evidence_urls": "https://example.org/a\nhttps://example.org/b"},
    "beats": {"verdict": "not_met", "confidence": 3, "rationale": "Only ties."},
    "note": {"verdict": "not_applicable", "confidence": 5, "rationale": "Procedural."},
}


def test_the_page_offers_one_row_per_criterion(client, tiny, ada):
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert len(formset.forms) == 3
    assert [f.initial["criterion"] for f in formset.forms] == [
        c.pk for c in tiny["market"].criteria.all()
    ]


def test_saving_the_page_records_drafts_through_the_service(client, tiny, ada):
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    response = client.post(scoring_url(tiny["y"]), form_data(response, ALL))
    assert response.status_code == 302, response.context and response.context["errors"]
    rows = {a.criterion.key: a for a in Assessment.objects.filter(adjudicator=ada)}
    assert set(rows) == {"useful", "beats", "note"}
    assert rows["useful"].evidence_urls == ["https://example.org/a", "https://example.org/b"]
    assert {a.status for a in rows.values()} == {"draft"}


def test_save_and_submit_submits_them(client, tiny, ada):
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    client.post(scoring_url(tiny["y"]),
                form_data(response, ALL, {"_submit_assessments": "1"}))
    assert set(Assessment.objects.values_list("status", flat=True)) == {"submitted"}
    assert tiny["y"].verdict.outcome == "falls_short"


def test_the_second_tab_is_refused_with_a_clear_message(client, tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"},
          submit=False)
    client.force_login(ada)
    tab_one = client.get(scoring_url(tiny["y"]))
    tab_two = client.get(scoring_url(tiny["y"]))
    first = client.post(scoring_url(tiny["y"]), form_data(
        tab_one, {"beats": {"verdict": "not_met", "rationale": "Tab one."}}))
    assert first.status_code == 302
    second = client.post(scoring_url(tiny["y"]), form_data(
        tab_two, {"beats": {"verdict": "unclear", "rationale": "Tab two."}}))
    assert second.status_code == 200
    assert "was saved elsewhere (another tab or session)" in second.content.decode()
    saved = Assessment.objects.get(criterion__key="beats")
    assert (saved.verdict, saved.rationale) == ("not_met", "Tab one.")


def test_an_author_is_told_why_and_given_no_forms(client, tiny, sam):
    client.force_login(sam)
    response = client.get(scoring_url(tiny["x"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "You cannot assess this paper: Sámuel MARKS is an author of this paper" in page
    assert not response.context["inline_admin_formsets"] or not list(
        response.context["inline_admin_formsets"][0].formset.forms)


def test_an_author_posting_anyway_changes_nothing(client, tiny, sam, ada):
    client.force_login(ada)
    template = client.get(scoring_url(tiny["x"]))
    client.force_login(sam)
    client.post(scoring_url(tiny["x"]), form_data(template, ALL))
    assert not Assessment.objects.filter(adjudicator=sam).exists()


def test_the_changelist_has_no_bulk_delete_and_a_submit_action(client, tiny, ada):
    client.force_login(ada)
    for name in ("candidacyscoring", "assessment"):
        response = client.get(reverse(f"admin:evaluations_{name}_changelist"))
        actions = [value for value, _ in response.context["action_form"].fields["action"].choices]
        assert "delete_selected" not in actions
        assert "submit_my_assessments" in actions


def test_the_submit_action_reports_what_is_missing(client, tiny, ada):
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    client.force_login(ada)
    response = client.post(reverse("admin:evaluations_candidacyscoring_changelist"), {
        "action": "submit_my_assessments", "_selected_action": [tiny["y"].pk],
    }, follow=True)
    assert "missing: Beats baselines, A note" in response.content.decode()


def test_blind_review_in_the_admin(client, tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    client.force_login(ben)
    listing = client.get(reverse("admin:evaluations_assessment_changelist"))
    assert listing.context["cl"].result_count == 0
    page = client.get(scoring_url(tiny["y"])).content.decode()
    assert "Hidden until you have submitted every criterion" in page
    assert "ada says met" not in page
    score(ben, tiny["y"], {"useful": "met", "beats": "not_met", "note": "not_applicable"})
    assert client.get(reverse("admin:evaluations_assessment_changelist")).context[
        "cl"].result_count == 6
    assert "ada says met on useful" in client.get(scoring_url(tiny["y"])).content.decode()


def test_ben_cannot_edit_adas_assessment_in_the_admin(client, tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(ben, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    adas = Assessment.objects.filter(adjudicator=ada).first()
    client.force_login(ben)
    url = reverse("admin:evaluations_assessment_change", args=[adas.pk])
    assert client.get(url).status_code == 200  # visible, read-only
    response = client.post(url, {"verdict": "not_met", "confidence": 1, "rationale": "x",
                                 "version": adas.version})
    assert response.status_code == 403
    assert Assessment.objects.get(pk=adas.pk).verdict == "met"


def resolve_url():
    return reverse("admin:evaluations_marketresolution_changelist")


def test_resolving_in_the_admin(client, three_raters, rita):
    client.force_login(rita)
    market = three_raters["market"]
    form = client.post(resolve_url(), {"action": "resolve_market",
                                       "_selected_action": [market.pk]})
    assert form.status_code == 200
    assert "Paper X — Qualifies" in form.content.decode()
    refused = client.post(resolve_url(), {
        "action": "resolve_market", "_selected_action": [market.pk], "apply": "1",
        "outcome": "yes", "reason": "Y is great.", "cited": [three_raters["y"].pk],
    })
    assert refused.status_code == 200
    assert "Paper Y falls short (not met: useful)" in refused.content.decode()
    assert Market.objects.get(pk=market.pk).status == "open"
    done = client.post(resolve_url(), {
        "action": "resolve_market", "_selected_action": [market.pk], "apply": "1",
        "outcome": "yes", "reason": "X qualifies.", "cited": [three_raters["x"].pk],
    })
    assert done.status_code == 302
    assert Market.objects.get(pk=market.pk).outcome == "yes"
    undone = client.post(resolve_url(), {
        "action": "unresolve_market", "_selected_action": [market.pk], "apply": "1",
        "unresolve_reason": "Too early.",
    })
    assert undone.status_code == 302
    assert Market.objects.get(pk=market.pk).status == "open"
    assert list(ResolutionEvent.objects.values_list("action", flat=True)) == [
        "resolve_yes", "unresolve"
    ]
