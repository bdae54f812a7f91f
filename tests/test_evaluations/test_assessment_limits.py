"""The scoring sheet, the assessment admin and the service refuse an answer too large for
a page to show (minor item of issue 23: a 1,000,000-character rationale and 10,000 evidence
links were saved): the message says the limit, and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from evaluations import services
from evaluations.models import MAX_EVIDENCE_URLS, MAX_RATIONALE_CHARS
from tests.test_evaluations.test_admin_scoring import (
    ALL,
    DRAFT,
    SUBMIT,
    form_data,
    scoring_url,
    snapshot,
)

pytestmark = pytest.mark.django_db

LONG_RATIONALE = "why " * 250_000  # 1,000,000 characters
MANY_LINKS = "\n".join(f"https://example.org/{n}" for n in range(10_000))
TOO_LONG = (f"A rationale is at most 10,000 characters; this one has {len(LONG_RATIONALE) - 1:,}."
            " Say why in a few paragraphs and link a longer text as evidence.")
TOO_MANY = ("At most 20 evidence links; this answer has 10,000. Keep the ones that carry the "
            "rationale.")


@pytest.mark.parametrize(("values", "message"), [
    ({"useful": {"rationale": LONG_RATIONALE}}, TOO_LONG),
    ({"useful": {"evidence_urls": MANY_LINKS}}, TOO_MANY),
])
@pytest.mark.parametrize("button", [DRAFT, SUBMIT])
def test_the_sheet_refuses_an_answer_too_large_and_writes_nothing(client, tiny, ada, values,
                                                                   message, button):
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"]))
    before = snapshot()
    merged = {key: {**ALL[key], **values.get(key, {})} for key in ALL}

    response = client.post(scoring_url(tiny["y"]), form_data(page, merged, button))

    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert "Nothing was saved: correct the answers marked below." in body
    assert snapshot() == before


def test_the_limits_themselves_are_accepted(client, tiny, ada):
    client.force_login(ada)
    page = client.get(scoring_url(tiny["y"]))
    links = "\n".join(f"https://example.org/{n}" for n in range(MAX_EVIDENCE_URLS))
    merged = {**ALL, "useful": {**ALL["useful"], "rationale": "w" * MAX_RATIONALE_CHARS,
                                "evidence_urls": links}}

    client.post(scoring_url(tiny["y"]), form_data(page, merged, DRAFT))

    saved = tiny["y"].assessments.get(criterion__key="useful")
    assert len(saved.rationale) == MAX_RATIONALE_CHARS
    assert len(saved.evidence_urls) == MAX_EVIDENCE_URLS


@pytest.mark.parametrize(("field", "value", "message"), [
    ("rationale", LONG_RATIONALE.strip(), "A rationale is at most 10,000 characters"),
    ("evidence_urls", MANY_LINKS.splitlines(), "At most 20 evidence links"),
])
def test_the_service_refuses_it_whatever_the_form(tiny, ada, field, value, message):
    answer = {"rationale": "Because.", "evidence_urls": [], field: value}
    with pytest.raises(ValidationError, match=message):
        services.record_assessment(adjudicator=ada, candidacy=tiny["y"],
                                   criterion=tiny["criteria"]["useful"], verdict="met",
                                   confidence=3, **answer)
    assert not tiny["y"].assessments.exists()
