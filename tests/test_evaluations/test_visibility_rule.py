"""The blind-review rule as a table: who sees the others' assessments and the verdict of
paper X (co-written by Sam), by the state of the candidacy and of its market. Ada has
submitted every criterion of X; Ben has a draft of one."""

import pytest
from django.contrib.auth.models import AnonymousUser

from evaluations import services
from tests.test_evaluations.conftest import score
from tracker.models import Candidacy

pytestmark = pytest.mark.django_db

CAST = ["anonymous", "reader", "otto", "ada", "ben", "sam", "rita"]
B, R, SEEN = services.BLIND, services.UNDER_REVIEW, None

RULE = {
    # state of X: what each of CAST gets (a reason it is hidden, or SEEN)
    "triaged (under review)": [R, R, R, SEEN, B, R, SEEN],
    "in_review (under review)": [R, R, R, SEEN, B, R, SEEN],
    "decided": [SEEN] * 7,
    "dismissed": [SEEN] * 7,
    "market annulled": [SEEN] * 7,
}


@pytest.fixture
def people(reader, otto, ada, ben, sam, rita):
    return {"anonymous": AnonymousUser(), "reader": reader, "otto": otto, "ada": ada,
            "ben": ben, "sam": sam, "rita": rita}


def put_x_in(state: str, tiny, people) -> Candidacy:
    if state == "market annulled":
        services.annul_market(market=tiny["market"], actor=people["rita"], reason="Gone.")
    else:
        Candidacy.objects.filter(pk=tiny["x"].pk).update(
            status=state.split(" ")[0], dismissed_reason="Off topic." if state == "dismissed"
            else "")
    return Candidacy.objects.select_related("market", "paper").get(pk=tiny["x"].pk)


@pytest.mark.parametrize("state", RULE)
def test_who_sees_paper_x(tiny, people, state):
    score(people["ada"], tiny["x"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(people["ben"], tiny["x"], {"useful": "met"}, submit=False)
    x = put_x_in(state, tiny, people)
    for who, expected in zip(CAST, RULE[state], strict=True):
        viewer = people[who]
        got = services.hidden_candidacies(viewer=viewer, market=x.market, candidacies=[x])
        assert got.get(x.pk) == expected, (state, who)
        owners = {a.adjudicator.username for a in services.assessments_visible_to(viewer)
                  .filter(candidacy=x)}
        own = {who} & {"ada", "ben"}  # one's own, drafts included, whatever the state
        assert owners == own | ({"ada"} if expected is SEEN else set()), (state, who)


@pytest.mark.parametrize("state", RULE)
def test_the_queryset_form_agrees_with_the_rule(tiny, people, state):
    """``Sight.visible()`` (lists, filters, counts) selects exactly the candidacies
    ``Sight.why`` (rows) shows, for one market and across every market (/papers/)."""
    score(people["ada"], tiny["x"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    x = put_x_in(state, tiny, people)
    for who, expected in zip(CAST, RULE[state], strict=True):
        for market in (x.market, None):
            seen = services.sight(viewer=people[who], market=market)
            visible = seen.visible()
            in_list = (Candidacy.objects.filter(pk=x.pk).filter(visible).exists()
                       if visible is not None else True)
            assert (seen.why(x, x.market) or None) == expected, (state, who, market)
            assert in_list == (expected is SEEN), (state, who, market)
