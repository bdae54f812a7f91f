"""Who may do what, as tables: the anonymous, a logged-in reader, adjudicators Ada and Ben,
Sam (an adjudicator who co-wrote paper X), Rita (staff resolver), Otto (staff, no role).

Admin pages: the anonymous are sent to the login page; logged-in users without a role
get 403. Services: the same rules raise PermissionDenied (a 403 in any view)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from evaluations import services
from evaluations.models import Assessment
from tests.test_evaluations.conftest import score
from tracker.models import Market

pytestmark = pytest.mark.django_db

CAST = ["anonymous", "reader", "ada", "ben", "sam", "rita", "otto"]


@pytest.fixture
def people(reader, ada, ben, sam, rita, otto):
    return {"anonymous": AnonymousUser(), "reader": reader, "ada": ada, "ben": ben,
            "sam": sam, "rita": rita, "otto": otto}


@pytest.fixture
def adas_work(tiny, ada):
    """Ada has submitted paper X (Sam's paper) and has a draft on paper Y."""
    score(ada, tiny["x"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(ada, tiny["y"], {"useful": "met"}, submit=False)
    return {
        "submitted": Assessment.objects.get(adjudicator=ada, candidacy=tiny["x"],
                                            criterion__key="useful"),
        "draft": Assessment.objects.get(adjudicator=ada, candidacy=tiny["y"]),
    }


def login(client, people, who):
    if who != "anonymous":
        client.force_login(people[who])


def status(response) -> str:
    if response.status_code == 302 and "/login/" in response["Location"]:
        return "login"
    return str(response.status_code)


ADMIN_PAGES = {
    # page: expected status for each of CAST
    "evaluations_candidacyscoring_changelist":
        ["login", "403", "200", "200", "200", "200", "403"],
    "evaluations_assessment_changelist":
        ["login", "403", "200", "200", "200", "200", "403"],
    "evaluations_marketresolution_changelist":
        ["login", "403", "403", "403", "403", "200", "403"],
    "evaluations_resolutionevent_changelist":
        ["login", "403", "200", "200", "200", "200", "403"],
    "evaluations_declaredconflict_changelist":
        ["login", "403", "200", "200", "200", "200", "403"],
}


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("who", CAST)
def test_admin_pages(client, people, tiny, page, who):
    login(client, people, who)
    expected = ADMIN_PAGES[page][CAST.index(who)]
    assert status(client.get(reverse(f"admin:{page}"))) == expected


# Scoring page of paper X: who can open it, and who can save a verdict through it.
OPEN_X = ["login", "403", "200", "200", "200", "200", "403"]
SAVES_X = [False, False, True, True, False, False, False]


@pytest.mark.parametrize("who", CAST)
def test_scoring_paper_x_in_the_admin(client, people, tiny, ada, who):
    from tests.test_evaluations.test_admin_scoring import ALL, form_data, scoring_url

    client.force_login(ada)
    template = client.get(scoring_url(tiny["x"]))  # a well-formed form to post
    client.logout()
    login(client, people, who)
    assert status(client.get(scoring_url(tiny["x"]))) == OPEN_X[CAST.index(who)]
    response = client.post(scoring_url(tiny["x"]), form_data(template, ALL))
    saved = Assessment.objects.filter(candidacy=tiny["x"]).exists()
    assert saved == SAVES_X[CAST.index(who)], status(response)
    if not saved and who not in ("sam",):
        assert status(response) in ("login", "403")


RECORD_X = ["no role", "no role", "ok", "ok", "conflict", "no role", "no role"]


@pytest.mark.parametrize("who", CAST)
def test_recording_an_assessment_of_paper_x(people, tiny, who):
    try:
        services.record_assessment(
            adjudicator=people[who], candidacy=tiny["x"], criterion=tiny["criteria"]["useful"],
            verdict="met", confidence=3, rationale="Because.",
        )
        outcome = "ok"
    except services.ConflictOfInterest:
        outcome = "conflict"
    except services.NotAnAdjudicator:
        outcome = "no role"
    assert outcome == RECORD_X[CAST.index(who)]


CHANGE_ADAS = ["denied", "denied", "ok", "denied", "denied", "denied", "denied"]
# Paper X is under review: readers, staff without a role and Sam (its co-author) see
# nothing of it; Ben is blind until he submits; Rita resolves, so she reads it.
SEE_ADAS_SUBMITTED = ["denied", "denied", "ok", "denied (blind)", "denied", "ok", "denied"]
SEE_ADAS_DRAFT = ["denied", "denied", "ok", "denied", "denied", "denied", "denied"]


@pytest.mark.parametrize("who", CAST)
def test_changing_and_seeing_adas_assessments(people, adas_work, who):
    row = CAST.index(who)
    user = people[who]

    def attempt(assessment, for_change):
        try:
            services.access_assessment(user=user, assessment_id=assessment.pk,
                                       for_change=for_change)
            return "ok"
        except PermissionDenied:
            return "denied"

    assert attempt(adas_work["submitted"], True) == CHANGE_ADAS[row]
    expected = SEE_ADAS_SUBMITTED[row].split(" ")[0]
    assert attempt(adas_work["submitted"], False) == expected
    assert attempt(adas_work["draft"], False) == SEE_ADAS_DRAFT[row]


RESOLVE = ["denied", "denied", "denied", "denied", "denied", "ok", "denied"]


@pytest.mark.parametrize("who", CAST)
def test_resolving_and_annulling(people, tiny, who):
    try:
        services.annul_market(market=tiny["market"], actor=people[who], reason="Test.")
        outcome = "ok"
    except PermissionDenied:
        outcome = "denied"
    assert outcome == RESOLVE[CAST.index(who)]
    expected_status = "annulled" if outcome == "ok" else "open"
    assert Market.objects.get(pk=tiny["market"].pk).status == expected_status


def test_ben_may_edit_his_own_and_not_adas_in_the_assessment_admin(client, tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(ben, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    client.force_login(ben)
    own = Assessment.objects.get(adjudicator=ben, criterion__key="useful")
    url = reverse("admin:evaluations_assessment_change", args=[own.pk])
    response = client.post(url, {"verdict": "unclear", "confidence": 2, "rationale": "Hmm.",
                                 "evidence_urls": "", "version": own.version})
    assert response.status_code == 302
    assert Assessment.objects.get(pk=own.pk).verdict == "unclear"
    stale = client.post(url, {"verdict": "met", "confidence": 2, "rationale": "Old tab.",
                              "evidence_urls": "", "version": own.version})
    assert stale.status_code == 200
    assert "was saved elsewhere" in stale.content.decode()


# --- The workspace's new views (issue 12) ------------------------------------------------


QUEUE_ON_INDEX = ["login", "login", "yes", "yes", "yes", "no", "no"]


@pytest.mark.parametrize("who", CAST)
def test_the_queue_on_the_admin_index(client, people, tiny, who):
    login(client, people, who)
    response = client.get(reverse("admin:index"))
    if status(response) == "login":
        seen = "login"
    elif response.status_code == 200:
        seen = "yes" if "My scoring queue" in response.content.decode() else "no"
    else:
        seen = status(response)
    assert seen == QUEUE_ON_INDEX[CAST.index(who)]


# Ada submitted paper Y (under review); what each sees of it on every public path and in
# the admin's scoring sheet of Y.
SEES_ADAS_VERDICT_ON_Y = [False, False, True, False, False, True, False]
PUBLIC_PATHS = ["/papers/2501.00002/", "/markets/tiny/", "/markets/tiny/leaderboard/",
                "/api/markets/tiny/", "/api/markets/tiny/leaderboard/"]


@pytest.mark.parametrize("who", CAST)
def test_what_each_sees_of_a_candidacy_under_review(client, people, tiny, ada, who):
    from tests.test_evaluations.test_admin_scoring import scoring_url

    score(ada, tiny["y"], {"useful": "not_met", "beats": "met", "note": "not_applicable"})
    login(client, people, who)
    expected = SEES_ADAS_VERDICT_ON_Y[CAST.index(who)]
    pages = {path: client.get(path).content.decode() for path in PUBLIC_PATHS}
    assert ("ada says not_met on useful" in pages["/papers/2501.00002/"]) == expected
    assert ('badge falls_short' in pages["/markets/tiny/"]) == expected
    assert ('badge falls_short' in pages["/markets/tiny/leaderboard/"]) == expected
    api = client.get("/api/markets/tiny/").json()
    y = next(c for c in api["candidacies"] if c["paper"]["slug"] == "paper-y")
    assert (y["verdict"] is not None) == expected
    board = client.get("/api/markets/tiny/leaderboard/").json()["results"]
    assert (next(r for r in board if r["paper"]["slug"] == "paper-y")["verdict"]
            == "falls_short") == expected
    sheet = client.get(scoring_url(tiny["y"]))
    if sheet.status_code == 200:
        assert ("ada says not_met on useful" in sheet.content.decode()) == expected


WITHDRAW_ADAS_CONFLICT = ["no role", "no role", "ok", "not yours", "not yours", "no role",
                          "no role"]


@pytest.mark.parametrize("who", CAST)
def test_withdrawing_adas_declared_conflict(people, tiny, ada, who):
    declared = services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                                 reason="Same lab.")
    try:
        services.withdraw_declared_conflict(adjudicator=people[who], conflict_id=declared.pk,
                                            reason="Left the lab.")
        outcome = "ok"
    except services.NotAnAdjudicator:
        outcome = "no role"
    except services.NotYourAssessment:
        outcome = "not yours"
    assert outcome == WITHDRAW_ADAS_CONFLICT[CAST.index(who)]
    declared.refresh_from_db()
    assert (declared.withdrawn_at is not None) == (outcome == "ok")


# The reader and Otto have no role (403); Rita is offered no such action (the list again);
# Ben and Sam are sent back to the list with a message; only Ada's declaration changes.
WITHDRAW_PAGE = ["login", "403", "302", "302", "302", "200", "403"]


@pytest.mark.parametrize("who", CAST)
def test_the_withdraw_action_page(client, people, tiny, ada, who):
    declared = services.record_declared_conflict(adjudicator=ada, paper=tiny["y"].paper,
                                                 reason="Same lab.")
    login(client, people, who)
    response = client.post(reverse("admin:evaluations_declaredconflict_changelist"), {
        "action": "withdraw", "_selected_action": [declared.pk], "apply": "1",
        "reason": "Left the lab.",
    })
    declared.refresh_from_db()
    assert (declared.withdrawn_at is not None) == (who == "ada")
    assert status(response) == WITHDRAW_PAGE[CAST.index(who)]
