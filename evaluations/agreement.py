"""Inter-rater agreement: Fleiss' kappa over nominal ratings. Pure, no database.

Each item is the list of categories its raters chose. Items may have different numbers
of raters (Fleiss' formula with per-item n_i); items rated by fewer than two raters carry
no information about agreement and are left out. Kappa is undefined (None, with the
reason) when no item has two ratings, or when every rating falls in one category (then
chance agreement is already perfect and the ratio is 0/0).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    kappa: float | None
    items: int
    """Items with at least two ratings: the ones the statistic is computed over."""
    raters: int
    """The most raters any item had."""
    undefined_because: str = ""

    @property
    def defined(self) -> bool:
        return self.kappa is not None


def fleiss_kappa(items: Sequence[Sequence[str]]) -> Agreement:
    rated = [list(ratings) for ratings in items if len(ratings) >= 2]
    raters = max((len(ratings) for ratings in items), default=0)
    if not rated:
        return Agreement(None, 0, raters, "fewer than two raters on every item")
    per_item_agreement = []
    totals: Counter[str] = Counter()
    for ratings in rated:
        n = len(ratings)
        counts = Counter(ratings)
        totals.update(counts)
        agreeing_pairs = sum(c * (c - 1) for c in counts.values())
        per_item_agreement.append(agreeing_pairs / (n * (n - 1)))
    observed = sum(per_item_agreement) / len(rated)
    all_ratings = sum(totals.values())
    expected = sum((count / all_ratings) ** 2 for count in totals.values())
    if expected >= 1.0:
        return Agreement(None, len(rated), raters, "every rating is in the same category")
    return Agreement((observed - expected) / (1.0 - expected), len(rated), raters)
