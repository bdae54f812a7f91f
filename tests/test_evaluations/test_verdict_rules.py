"""The verdict of a candidacy, as a table: must-pass criteria and submitted votes in,
outcome and the criteria that carried it out."""

import pytest

from evaluations.verdicts import FALLS_SHORT, QUALIFIES, UNDECIDED, decide, majority

M, N, U, NA = "met", "not_met", "unclear", "not_applicable"

CASES = [
    # (name, must_pass, votes, outcome, deciding)
    ("every must-pass met by the only rater", ["a", "b"], {"a": [M], "b": [M]}, QUALIFIES, ("a", "b")),
    ("one must-pass not met is enough to fall short", ["a", "b"], {"a": [M], "b": [N]}, FALLS_SHORT, ("b",)),
    ("not met wins over an unsettled criterion", ["a", "b"], {"a": [U], "b": [N]}, FALLS_SHORT, ("b",)),
    ("two of three met is a majority", ["a"], {"a": [M, M, N]}, QUALIFIES, ("a",)),
    ("one of two met is a tie, not a majority", ["a"], {"a": [M, N]}, UNDECIDED, ("a",)),
    ("two of four met is not a majority", ["a"], {"a": [M, M, N, U]}, UNDECIDED, ("a",)),
    ("three of four met is", ["a"], {"a": [M, M, M, N]}, QUALIFIES, ("a",)),
    ("unclear votes count in the denominator", ["a"], {"a": [M, U, U]}, UNDECIDED, ("a",)),
    ("not applicable does not count as met", ["a"], {"a": [NA]}, UNDECIDED, ("a",)),
    ("a criterion nobody assessed leaves it undecided", ["a", "b"], {"a": [M]}, UNDECIDED, ("b",)),
    ("no assessments at all", ["a", "b"], {}, UNDECIDED, ("a", "b")),
    ("several criteria not met are all named", ["a", "b", "c"], {"a": [N], "b": [M], "c": [N, N, M]}, FALLS_SHORT, ("a", "c")),
    ("votes on other criteria are ignored", ["a"], {"a": [M], "judgement": [N, N]}, QUALIFIES, ("a",)),
    ("a market without must-pass criteria never qualifies", [], {"x": [M]}, UNDECIDED, ()),
]


@pytest.mark.parametrize(("name", "must_pass", "votes", "outcome", "deciding"), CASES,
                         ids=[case[0] for case in CASES])
def test_the_verdict_follows_the_majority_rule(name, must_pass, votes, outcome, deciding):
    verdict = decide(must_pass, votes)
    assert verdict.outcome == outcome
    assert verdict.deciding == deciding


def test_the_verdict_lists_met_not_met_and_unsettled_criteria_in_order():
    verdict = decide(["a", "b", "c", "d"], {"a": [M], "b": [N], "c": [M, N], "d": [M]})
    assert verdict.met == ("a", "d")
    assert verdict.not_met == ("b",)
    assert verdict.unsettled == ("c",)


@pytest.mark.parametrize(("votes", "winner"), [
    ([], None), ([M], M), ([M, N], None), ([N, N, M], N), ([U, U, M], U), ([M, N, U], None),
])
def test_majority_is_strictly_more_than_half(votes, winner):
    assert majority(votes) == winner


def test_an_unknown_vote_is_an_error():
    with pytest.raises(ValueError, match="Unknown vote"):
        majority(["yes"])
