"""How far the adjudicators agree on a market, measured from the submitted assessments
(`evaluations.agreement` holds the maths; `evaluations.aggregates` stores the public and
resolvers' figures so pages read one row)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from evaluations import agreement as agreement_maths
from evaluations.models import Assessment
from tracker.models import Criterion, Market


@dataclass(frozen=True)
class MarketAgreement:
    """A market's kappas: overall, per criterion and per candidacy."""

    overall: agreement_maths.Agreement
    by_criterion: dict[str, agreement_maths.Agreement]
    by_candidacy: dict[int, agreement_maths.Agreement]


def measure_agreement(*, market: Market, exclude: Iterable[int] = ()) -> MarketAgreement:
    """Fleiss' kappa over submitted assessments: items are (candidacy, criterion) pairs
    for the market; per criterion, items are candidacies; per candidacy, criteria.
    Informational criteria are left out: they are marked "not applicable" by convention,
    and that unanimity would inflate the agreement. `exclude`: candidacy ids left out (those
    hidden from the viewer under the blind-review rule)."""
    ratings: dict[tuple[int, str], list[str]] = defaultdict(list)
    for candidacy_id, key, vote in Assessment.objects.filter(
        candidacy__market=market, status=Assessment.Status.SUBMITTED,
    ).exclude(criterion__kind=Criterion.Kind.INFORMATIONAL).exclude(
        candidacy_id__in=list(exclude)
    ).order_by().values_list(
        "candidacy_id", "criterion__key", "verdict"
    ):
        ratings[(candidacy_id, key)].append(vote)
    per_criterion: dict[str, list[list[str]]] = defaultdict(list)
    per_candidacy: dict[int, list[list[str]]] = defaultdict(list)
    for (candidacy_id, key), votes in ratings.items():
        per_criterion[key].append(votes)
        per_candidacy[candidacy_id].append(votes)
    return MarketAgreement(
        overall=agreement_maths.fleiss_kappa(list(ratings.values())),
        by_criterion={k: agreement_maths.fleiss_kappa(v) for k, v in per_criterion.items()},
        by_candidacy={k: agreement_maths.fleiss_kappa(v) for k, v in per_candidacy.items()},
    )
