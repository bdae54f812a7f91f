"""Fleiss' kappa, against values computed by hand (fractions shown)."""

import pytest

from evaluations.agreement import fleiss_kappa

M, N, U = "met", "not_met", "unclear"

CASES = [
    # name, items, kappa
    # Four items, three raters: P = (1 + 1/3 + 1 + 0)/4 = 7/12; p = 6/12, 5/12, 1/12;
    # Pe = 62/144 = 31/72; kappa = (7/12 - 31/72) / (1 - 31/72) = 11/41.
    ("three raters, four items", [[M, M, M], [M, M, N], [N, N, N], [M, N, U]], 11 / 41),
    # Perfect agreement with two categories in use: P = 1, Pe = 1/2, kappa = 1.
    ("perfect agreement", [[M, M, M], [N, N, N]], 1.0),
    # P = (1/3 + 0)/2 = 1/6; p = 3/6, 2/6, 1/6; Pe = 14/36; kappa = (6/36 - 14/36)/(22/36) = -4/11.
    ("worse than chance", [[M, M, N], [M, N, U]], -4 / 11),
    # Two raters always disagreeing on two categories: P = 0, Pe = 1/2, kappa = -1.
    ("systematic disagreement", [[M, N], [N, M]], -1.0),
    # Variable raters: P1 = 2/2 = 1, P2 = (1 + 4 - 3)/6 = 1/3, P = 2/3; M=3, N=2 of 5:
    # Pe = 13/25; kappa = (2/3 - 13/25)/(12/25) = (11/75)/(36/75) = 11/36.
    ("items with different numbers of raters", [[M, M], [M, N, N]], 11 / 36),
    # An item rated once carries no agreement information: same as the first case.
    ("an item with one rating is ignored", [[M, M, M], [M, M, N], [N, N, N], [M, N, U], [U]], 11 / 41),
]


@pytest.mark.parametrize(("name", "items", "kappa"), CASES, ids=[c[0] for c in CASES])
def test_kappa_matches_the_hand_computed_value(name, items, kappa):
    result = fleiss_kappa(items)
    assert result.kappa == pytest.approx(kappa)


def test_it_counts_the_items_with_two_ratings_and_the_most_raters():
    result = fleiss_kappa([[M, M, M], [M, N], [U]])
    assert (result.items, result.raters) == (2, 3)


@pytest.mark.parametrize(("items", "why"), [
    ([], "fewer than two raters"),
    ([[M], [N], [M]], "fewer than two raters"),
    ([[M, M], [M, M, M]], "same category"),
])
def test_kappa_is_undefined_and_says_why(items, why):
    result = fleiss_kappa(items)
    assert result.kappa is None
    assert not result.defined
    assert why in result.undefined_because
