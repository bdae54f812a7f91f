"""Adjudicators score every criterion of a candidacy on one sheet in the admin; the sheet
goes through the services, so stale tabs, conflicts, frozen markets and strangers are
refused there too, and a refused page writes nothing."""

import pytest
from django.urls import reverse

from evaluations import services
from evaluations.models import Assessment, CandidacyVerdict, ResolutionEvent
from tests.test_evaluations.conftest import score
from tracker.models import Claim, Market

pytestmark = pytest.mark.django_db


def scoring_url(candidacy):
    return reverse("admin:evaluations_candidacyscoring_change", args=[candidacy.pk])


def form_data(response, values_by_criterion, extra=None):
    """POST data for the sheet as rendered in `response` (what the browser would send),
    with `values_by_criterion` (criterion key -> field -> value) filled in."""
    data = {}
    for block in response.context["sheet"].blocks:
        form = block.form
        current = {name: form[name].value() for name in
                   ("verdict", "confidence", "rationale", "evidence_urls", "version")}
        if isinstance(current["evidence_urls"], list):
            current["evidence_urls"] = "\n".join(current["evidence_urls"])
        current.update(values_by_criterion.get(block.criterion.key, {}))
        for name, value in current.items():
            data[f"{form.prefix}-{name}"] = "" if value is None else value
    data.update(extra or {})
    return data


ALL = {
    "useful": {"verdict": "met", "confidence": 4, "rationale": "A task people wanted.",
               "evidence_urls": "https://example.org/a\nhttps://example.org/b"},
    "beats": {"verdict": "not_met", "confidence": 3, "rationale": "Only ties."},
    "note": {"verdict": "not_applicable", "confidence": 5, "rationale": "Procedural."},
}
SUBMIT = {"_submit": "1"}
DRAFT = {"_save_draft": "1"}


def snapshot():
    return sorted(Assessment.objects.values_list(
        "candidacy_id", "criterion__key", "adjudicator__username", "verdict", "confidence",
        "rationale", "status", "version"))


def test_the_sheet_has_one_block_per_criterion_with_its_text_kind_and_parameters(
        client, tiny, ada):
    useful = tiny["criteria"]["useful"]
    useful.description, useful.parameters = "A task someone needs.", {
        "baselines": ["linear probe", "steering vector"], "compute_fraction": 0.1}
    useful.save()
    Claim.objects.create(candidacy=tiny["y"], method="SAE probe", is_sae_method=True,
                         metric="AUROC", value=0.91)
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    assert response.status_code == 200
    blocks = response.context["sheet"].blocks
    assert [b.criterion.key for b in blocks] == ["useful", "beats", "note"]
    page = response.content.decode()
    for text in ("Useful task", "A task someone needs.", "Must pass", "Informational",
                 "linear probe, steering vector", "0.1 (10%)", "SAE probe", "AUROC",
                 # the informational criterion starts as "not applicable", its default
                 "1 of 3</strong> criteria answered", "Save draft", "Submit all 3 answers"):
        assert text in page, text
    # labelled verdict choices and a bounded 1-5 confidence, no criterion dropdown
    assert page.count(f'type="radio" name="c{useful.pk}-verdict"') == 3
    assert page.count(f'type="radio" name="c{useful.pk}-confidence"') == 5
    assert "Not applicable" in page  # offered on the informational criterion only
    assert f'name="c{useful.pk}-verdict" value="not_applicable"' not in page
    assert "<select" not in page.split('id="scoring-form"')[1]
    # the claims are beside every criterion too, folded
    assert page.count("The paper's claims (1)") == 3


def test_the_evidence_template_comment_is_not_printed(client, tiny, ada):
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"])).content.decode()
    assert "Replication evidence for adjudicators" not in page
    assert "{#" not in page


def test_saving_a_draft_records_only_the_answered_criteria(client, tiny, ada):
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    response = client.post(scoring_url(tiny["y"]), form_data(response, {
        "useful": ALL["useful"]}, DRAFT))
    assert response.status_code == 302
    rows = {a.criterion.key: a for a in Assessment.objects.filter(adjudicator=ada)}
    assert set(rows) == {"useful", "note"}  # the note: its default, "not applicable"
    assert rows["useful"].evidence_urls == ["https://example.org/a", "https://example.org/b"]
    assert rows["useful"].status == "draft"
    assert (rows["note"].verdict, rows["note"].confidence, rows["note"].rationale) == (
        "not_applicable", None, "")
    page = client.get(scoring_url(tiny["y"])).content.decode()
    assert "2 of 3</strong> criteria answered" in page
    assert "Draft saved (2 answers changed)" in page


def test_submitting_the_sheet_submits_every_answer_and_shows_the_comparison(client, tiny, ada):
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    response = client.post(scoring_url(tiny["y"]), form_data(response, ALL, SUBMIT))
    assert response.status_code == 302 and response["Location"].endswith("#comparison")
    assert set(Assessment.objects.values_list("status", flat=True)) == {"submitted"}
    assert tiny["y"].verdict.outcome == "falls_short"
    page = client.get(scoring_url(tiny["y"]))
    comparison = page.context["comparison"]
    assert comparison.raters == ["Me"]
    assert comparison.outcome_label == "Falls short"
    assert comparison.carried_by == ["Beats baselines"]
    assert "needs two or more raters" in page.content.decode()


def test_after_both_submit_each_sees_the_other_beside_them_with_kappa(client, tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(ben, tiny["y"], {"useful": "met", "beats": "not_met", "note": "not_applicable"})
    client.force_login(ben)
    response = client.get(scoring_url(tiny["y"]))
    comparison = response.context["comparison"]
    assert comparison.raters == ["Me", "Ada Adjudicator"]
    rows = {row.criterion.key: row for row in comparison.rows}
    assert [v.verdict for v in rows["beats"].votes] == ["not_met", "met"]
    assert rows["beats"].disagree and not rows["useful"].disagree
    # items useful [M, M] and beats [N, M]: observed 0.5, expected 0.625 -> kappa -1/3
    assert comparison.agreement.kappa == pytest.approx(-1 / 3)
    page = response.content.decode()
    assert 'id="kappa">κ = -0.333' in page
    assert '<tr class="disagree carried">' in page  # undecided on beats: it carried
    assert "ada says met on beats" in page


def test_the_second_tab_is_refused_and_nothing_is_overwritten(client, tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"},
          submit=False)
    client.force_login(ada)
    tab_one = client.get(scoring_url(tiny["y"]))
    tab_two = client.get(scoring_url(tiny["y"]))
    first = client.post(scoring_url(tiny["y"]), form_data(
        tab_one, {"beats": {"verdict": "not_met", "rationale": "Tab one."}}, DRAFT))
    assert first.status_code == 302
    before = snapshot()
    second = client.post(scoring_url(tiny["y"]), form_data(
        tab_two, {"beats": {"verdict": "unclear", "rationale": "Tab two."},
                  "useful": {"rationale": "Also changed in tab two."}}, DRAFT))
    assert second.status_code == 200
    assert "was saved elsewhere (another tab or session)" in second.content.decode()
    assert snapshot() == before


def test_a_new_answer_made_in_another_tab_meanwhile_is_not_overwritten(client, tiny, ada):
    client.force_login(ada)
    tab_one = client.get(scoring_url(tiny["y"]))
    tab_two = client.get(scoring_url(tiny["y"]))
    client.post(scoring_url(tiny["y"]), form_data(tab_one, {"useful": ALL["useful"]}, DRAFT))
    before = snapshot()
    second = client.post(scoring_url(tiny["y"]), form_data(
        tab_two, {"useful": {**ALL["useful"], "rationale": "Tab two."}}, DRAFT))
    assert "was saved elsewhere" in second.content.decode()
    assert snapshot() == before


BAD_INPUT = [
    ("confidence above 5", {"beats": {"confidence": 7}}, DRAFT,
     "Confidence is a whole number from 1 (a guess) to 5 (certain)."),
    ("confidence 0", {"beats": {"confidence": 0}}, SUBMIT,
     "Confidence is a whole number from 1 (a guess) to 5 (certain)."),
    ("a verdict missing on submit", {"beats": {"verdict": ""}}, SUBMIT,
     "Choose a verdict (met, not met or unclear) before submitting."),
    ("a criterion left empty on submit",
     {"beats": {"verdict": "", "confidence": "", "rationale": ""}}, SUBMIT,
     "Choose a verdict (met, not met or unclear) before submitting."),
    ("an evidence link that is not a URL", {"useful": {"evidence_urls": "see table 3"}}, DRAFT,
     "&#x27;see table 3&#x27; is not an http(s) URL."),
    ("a javascript: link", {"useful": {"evidence_urls": "javascript:alert(1)"}}, SUBMIT,
     "is not an http(s) URL."),
    ("a rationale missing on submit", {"beats": {"rationale": "   "}}, SUBMIT,
     "Say why: a rationale is required."),
    ("a verdict this criterion does not offer", {"useful": {"verdict": "not_applicable"}},
     DRAFT, "not_applicable is not one of this criterion&#x27;s answers (met, not met or "
     "unclear)."),
]


@pytest.mark.parametrize("case, values, button, message", BAD_INPUT,
                         ids=[case[0] for case in BAD_INPUT])
def test_bad_input_gets_a_clear_message_and_writes_nothing(client, tiny, ada, case, values,
                                                           button, message):
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"]))
    before = snapshot()
    merged = {key: {**ALL[key], **values.get(key, {})} for key in ALL}
    response = client.post(scoring_url(tiny["y"]), form_data(page, merged, button))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "Nothing was saved: correct the answers marked below." in body
    assert snapshot() == before


def test_submitting_on_a_resolved_market_is_refused_and_writes_nothing(client, tiny, ada, rita):
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"]))  # opened while the market was open
    services.annul_market(market=tiny["market"], actor=rita, reason="Question withdrawn.")
    response = client.post(scoring_url(tiny["y"]), form_data(page, ALL, SUBMIT))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nothing was saved. This market was annulled on" in body
    assert "by Rita Resolver: Question withdrawn." in body
    assert "A resolver (staff in the &#x27;resolvers&#x27; group) may unresolve it" in body
    assert not Assessment.objects.exists()


def test_a_resolved_market_shows_a_read_only_sheet_that_says_why(client, tiny, ada, rita):
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    services.annul_market(market=tiny["market"], actor=rita, reason="Question withdrawn.")
    client.force_login(ada)
    response = client.get(scoring_url(tiny["y"]))
    body = response.content.decode()
    assert response.context["sheet"].state == "frozen"
    assert "Its assessments are frozen, so this page is read-only" in body
    assert "Your answer:</strong> Met" in body
    for button in ("Save draft", "Submit all", 'type="radio"'):
        assert button not in body, button
    client.force_login(rita)
    assert "you may unresolve it" in client.get(scoring_url(tiny["y"])).content.decode()


def test_an_author_is_told_why_and_given_no_forms(client, tiny, sam):
    client.force_login(sam)
    response = client.get(scoring_url(tiny["x"]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "You cannot assess this paper: Sámuel MARKS is an author of this paper" in page
    assert 'type="radio"' not in page and "Save draft" not in page


def test_an_author_posting_anyway_changes_nothing(client, tiny, sam, ada):
    client.force_login(ada)
    template = client.get(scoring_url(tiny["x"]))
    client.force_login(sam)
    response = client.post(scoring_url(tiny["x"]), form_data(template, ALL, SUBMIT))
    assert "Nothing was saved: you cannot assess this paper." in response.content.decode()
    assert not Assessment.objects.filter(adjudicator=sam).exists()


def test_the_list_shows_what_an_adjudicator_needs_first(client, tiny, ada, sam):
    client.force_login(sam)
    only_one = client.get(reverse("admin:evaluations_candidacyscoring_changelist"))
    assert [h["text"] for h in only_one.context["result_headers"]][-1] == "conflict"
    assert "My scoring queue — market tiny" in only_one.content.decode()
    Market.objects.create(slug="other", title="Another market")
    response = client.get(reverse("admin:evaluations_candidacyscoring_changelist"))
    headers = [h["text"] for h in response.context["result_headers"]][1:]
    assert headers == ["paper", "my status", "verdict", "agreement", "conflict", "market"]
    page = response.content.decode()
    assert "Sámuel MARKS is an author of this paper" in page
    assert "<td class=\"field-market\">tiny</td>" in page


def test_the_queue_counts_on_the_admin_index_and_filters(client, tiny, ada, ben):
    extra = tiny["market"].candidacies.model.objects.create(
        paper=tiny["x"].paper.__class__.objects.create(slug="paper-z", title="Paper Z"),
        market=tiny["market"])
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    client.force_login(ada)
    index = client.get(reverse("admin:index")).content.decode()
    assert "My scoring queue" in index
    listing = reverse("admin:evaluations_candidacyscoring_changelist")
    for which, papers in (("awaiting", {extra.pk}), ("drafts", {tiny["y"].pk}),
                          ("done", {tiny["x"].pk})):
        assert f'href="{listing}?queue={which}"' in index
        response = client.get(listing, {"queue": which})
        assert {c.pk for c in response.context["cl"].result_list} == papers, which
    rows = {row["label"]: row["count"] for row in
            client.get(reverse("admin:index")).context["queue"]}
    assert rows == {"Awaiting my assessment": 1, "My drafts": 1, "Done (submitted)": 1}
    client.force_login(ben)
    rows = {row["label"]: row["count"] for row in
            client.get(reverse("admin:index")).context["queue"]}
    assert rows == {"Awaiting my assessment": 3, "My drafts": 0, "Done (submitted)": 0}


def test_the_index_counts_are_the_filtered_lists_sizes(tiny, ada, ben, sam):
    """queue_counts (one filtered aggregate) agrees with in_queue (the list's filter) for
    adjudicators with drafts, submissions, a conflict and nothing at all."""
    from evaluations import queue
    from evaluations.models import DeclaredConflict

    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    DeclaredConflict.objects.create(adjudicator=ben, paper=tiny["y"].paper, reason="Co-author.")
    for user in (ada, ben, sam):
        base = queue.with_my_progress(tiny["market"].candidacies.all(), user)
        expected = {which: queue.in_queue(base, user, which).count()
                    for which in (queue.AWAITING, queue.DRAFTS, queue.DONE)}
        assert queue.queue_counts(user) == expected, user.username
        assert sum(expected.values()) > 0, user.username


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
    # The informational note needs no answer: it would be recorded "not applicable".
    assert "missing: Beats baselines." in response.content.decode()


def test_blind_review_in_the_admin(client, tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    client.force_login(ben)
    listing = client.get(reverse("admin:evaluations_assessment_changelist"))
    assert listing.context["cl"].result_count == 0
    scoring_list = client.get(reverse("admin:evaluations_candidacyscoring_changelist"))
    assert "hidden until you submit" in scoring_list.content.decode()
    page = client.get(scoring_url(tiny["y"])).content.decode()
    assert "Hidden until you have submitted your assessment of every criterion" in page
    assert "ada says met" not in page and "Ada Adjudicator" not in page
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
    assert "Paper Y falls short (not met: Useful task)" in refused.content.decode()
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


def test_revising_after_submitting_keeps_the_answers_submitted(client, tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"]))
    assert "Save changes" in page.content.decode()
    response = client.post(scoring_url(tiny["y"]), form_data(
        page, {"beats": {"verdict": "not_met", "rationale": "On a second reading."}}, SUBMIT),
        follow=True)
    assert "Saved: 1 submitted answers changed." in response.content.decode()
    beats = Assessment.objects.get(criterion__key="beats")
    assert (beats.verdict, beats.status) == ("not_met", "submitted")
    assert CandidacyVerdict.objects.get(candidacy=tiny["y"]).outcome == "falls_short"
