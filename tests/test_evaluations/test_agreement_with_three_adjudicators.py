"""Fleiss' kappa over submitted assessments, per market and per criterion, with the
number of items; undefined with fewer than two raters."""

import pytest

from evaluations import services
from tests.test_evaluations.conftest import score

pytestmark = pytest.mark.django_db


def test_the_market_kappa_of_the_three_rater_fixture_is_eleven_forty_firsts(three_raters):
    # Items (candidacy x judged criterion): MMM, MMN, NNN, MNU -> kappa 11/41 (by hand,
    # see test_fleiss_kappa); the informational criterion is left out.
    result = services.measure_agreement(market=three_raters["market"])
    assert result.overall.kappa == pytest.approx(11 / 41)
    assert round(result.overall.kappa, 3) == 0.268
    assert (result.overall.items, result.overall.raters) == (4, 3)


def test_per_criterion_kappa(three_raters):
    result = services.measure_agreement(market=three_raters["market"])
    assert result.by_criterion["useful"].kappa == pytest.approx(1.0)
    assert result.by_criterion["beats"].kappa == pytest.approx(-4 / 11)
    assert result.by_criterion["beats"].items == 2
    assert "note" not in result.by_criterion


def test_per_candidacy_kappa(three_raters):
    result = services.measure_agreement(market=three_raters["market"])
    # X: MMM, MMN -> P = 2/3; p = 5/6, 1/6; Pe = 26/36; kappa = (24-26)/(36-26) = -1/5.
    assert result.by_candidacy[three_raters["x"].pk].kappa == pytest.approx(-0.2)


def test_drafts_do_not_count(three_raters, ada):
    other = three_raters["market"].candidacies.create(
        paper=three_raters["x"].paper.__class__.objects.create(slug="z", title="Z")
    )
    score(ada, other, {"useful": "met", "beats": "met"}, submit=False)
    assert services.measure_agreement(market=three_raters["market"]).overall.items == 4


def test_kappa_is_undefined_with_one_rater(tiny, ada):
    score(ada, tiny["y"], {"useful": "met", "beats": "not_met", "note": "not_applicable"})
    result = services.measure_agreement(market=tiny["market"])
    assert result.overall.kappa is None
    assert result.overall.undefined_because == "fewer than two raters on every item"
