"""The verdict of each candidacy is stored and follows every change of an assessment."""

import pytest

from evaluations import services
from evaluations.models import CandidacyVerdict
from tests.test_evaluations.conftest import score

pytestmark = pytest.mark.django_db


def stored(candidacy):
    return CandidacyVerdict.objects.get(candidacy=candidacy)


def test_drafts_do_not_move_the_verdict(tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met"}, submit=False)
    assert stored(tiny["y"]).outcome == "undecided"
    assert stored(tiny["y"]).submitted_count == 0


def test_submitting_decides_and_names_the_criteria(tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    verdict = stored(tiny["y"])
    assert (verdict.outcome, verdict.deciding_criteria) == ("qualifies", ["useful", "beats"])
    assert (verdict.submitted_count, verdict.adjudicator_count) == (3, 1)


def test_editing_a_submitted_assessment_recomputes_the_verdict(tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    beats = services.visible_assessments(viewer=ada, candidacy=tiny["y"])[1]
    services.record_assessment(
        adjudicator=ada, candidacy=tiny["y"], criterion=beats.criterion, verdict="not_met",
        confidence=4, rationale="On reflection, only competitive.",
        expected_version=beats.version,
    )
    verdict = stored(tiny["y"])
    assert (verdict.outcome, verdict.criteria_not_met) == ("falls_short", ["beats"])


def test_a_second_adjudicator_can_turn_a_majority_into_a_tie(tiny, ada, ben):
    score(ada, tiny["y"], {"useful": "met", "beats": "met", "note": "not_applicable"})
    score(ben, tiny["y"], {"useful": "met", "beats": "unclear", "note": "not_applicable"})
    verdict = stored(tiny["y"])
    assert (verdict.outcome, verdict.deciding_criteria) == ("undecided", ["beats"])
    assert verdict.adjudicator_count == 2


def test_the_three_rater_fixture_gives_one_qualifier_and_one_that_falls_short(three_raters):
    assert stored(three_raters["x"]).outcome == "qualifies"
    assert stored(three_raters["y"]).criteria_not_met == ["useful"]
    assert services.compute_verdict(candidacy=three_raters["y"]).outcome == "falls_short"
