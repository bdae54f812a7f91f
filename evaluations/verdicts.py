"""The verdict of a candidacy from its submitted assessments: pure, no database.

A candidacy *qualifies* when every must-pass criterion is met by a majority of the
submitted assessments of that criterion; it *falls short* when any must-pass criterion
is not met by a majority; otherwise it is *undecided*. "A majority" is strictly more than
half of the submitted assessments of the criterion, whatever their verdicts (an
"unclear" vote counts in the denominator). Criteria of other kinds never decide.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MET = "met"
NOT_MET = "not_met"
UNCLEAR = "unclear"
NOT_APPLICABLE = "not_applicable"
VOTES = (MET, NOT_MET, UNCLEAR, NOT_APPLICABLE)

QUALIFIES = "qualifies"
FALLS_SHORT = "falls_short"
UNDECIDED = "undecided"


@dataclass(frozen=True)
class Verdict:
    outcome: str
    deciding: tuple[str, ...]
    """The criteria that carried it: all must-pass criteria when it qualifies, those
    not met when it falls short, those without a majority when undecided."""
    met: tuple[str, ...]
    not_met: tuple[str, ...]
    unsettled: tuple[str, ...]


def majority(votes: Iterable[str]) -> str | None:
    """The vote held by strictly more than half of `votes`, or None."""
    counts = Counter(votes)
    total = sum(counts.values())
    for vote, count in counts.items():
        if vote not in VOTES:
            raise ValueError(f"Unknown vote {vote!r}; expected one of {VOTES}.")
        if 2 * count > total:
            return vote
    return None


def decide(must_pass: Sequence[str], votes: Mapping[str, Sequence[str]]) -> Verdict:
    """`must_pass`: the must-pass criterion keys, in display order; `votes`: criterion key
    -> the verdicts of the submitted assessments of it (other keys are ignored)."""
    met, not_met, unsettled = [], [], []
    for key in must_pass:
        winner = majority(votes.get(key, ()))
        if winner == MET:
            met.append(key)
        elif winner == NOT_MET:
            not_met.append(key)
        else:
            unsettled.append(key)
    if not_met:
        outcome, deciding = FALLS_SHORT, not_met
    elif must_pass and not unsettled:
        outcome, deciding = QUALIFIES, met
    else:
        outcome, deciding = UNDECIDED, unsettled
    return Verdict(outcome, tuple(deciding), tuple(met), tuple(not_met), tuple(unsettled))
