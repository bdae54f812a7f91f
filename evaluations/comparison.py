"""After submitting: my verdict on each criterion beside every other adjudicator's, the
aggregated verdict with the criteria that carried it, and the agreement (Fleiss' kappa
over this candidacy's criteria, once two or more raters have submitted)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from evaluations import agreement as agreement_maths
from evaluations import services, verdicts
from evaluations.models import Assessment
from tracker.models import Candidacy, Criterion


@dataclass(frozen=True)
class Vote:
    verdict: str
    label: str
    confidence: int | None
    rationale: str


@dataclass
class CriterionRow:
    criterion: Criterion
    votes: list[Vote | None]
    """Aligned with Comparison.raters; the viewer's own vote first."""
    majority: str
    disagree: bool
    carried: bool
    """The criterion carried the aggregated verdict."""


@dataclass
class Comparison:
    raters: list[str]
    rows: list[CriterionRow]
    outcome: str
    outcome_label: str
    carried_by: list[str] = field(default_factory=list)
    agreement: agreement_maths.Agreement | None = None

    @property
    def carried_label(self) -> str:
        """How the carrying criteria decided, in words."""
        return {verdicts.QUALIFIES: "every must-pass criterion met",
                verdicts.FALLS_SHORT: "carried by (not met)"}.get(
                    self.outcome, "carried by (no majority yet)")

    @property
    def disagreements(self) -> int:
        return sum(1 for row in self.rows if row.disagree)


def compare(*, viewer, candidacy: Candidacy,
            seen: services.Sight | None = None) -> Comparison | None:
    """The side-by-side view, or None while blind review (or the under-review rule) hides
    the others' assessments from `viewer` (`seen`: the viewer's Sight over the market, when
    the caller holds it: read once, not once per check)."""
    market = candidacy.market
    if candidacy.pk in services.blind_candidacy_ids(viewer=viewer, market=market,
                                                    candidacies=[candidacy], seen=seen):
        return None
    submitted = [a for a in services.visible_assessments(viewer=viewer, candidacy=candidacy,
                                                         seen=seen)
                 if a.status == Assessment.Status.SUBMITTED]
    names: dict[int, str] = {}
    for a in submitted:
        names.setdefault(a.adjudicator_id,
                         a.adjudicator.get_full_name() or a.adjudicator.get_username())
    order = sorted(names, key=lambda pk: (pk != getattr(viewer, "pk", None), names[pk]))
    raters = [("Me" if pk == getattr(viewer, "pk", None) else names[pk]) for pk in order]
    by_key = {(a.criterion_id, a.adjudicator_id): a for a in submitted}
    result = services.compute_verdict(candidacy=candidacy)
    labels = dict(Assessment.Verdict.choices)
    rows, items = [], []
    for criterion in market.criteria.all():
        cells = [by_key.get((criterion.pk, pk)) for pk in order]
        votes = [Vote(a.verdict, a.get_verdict_display(), a.confidence, a.rationale)
                 if a else None for a in cells]
        cast = [v.verdict for v in votes if v is not None]
        winner = verdicts.majority(cast)
        if criterion.kind != Criterion.Kind.INFORMATIONAL:
            items.append(cast)
        rows.append(CriterionRow(
            criterion=criterion, votes=votes,
            majority=labels.get(winner or "", "No majority") if cast else "Not assessed",
            disagree=len(Counter(cast)) > 1,
            carried=criterion.key in result.deciding,
        ))
    titles = {c.key: c.title for c in market.criteria.all()}
    outcome_labels = {verdicts.QUALIFIES: "Qualifies", verdicts.FALLS_SHORT: "Falls short",
                      verdicts.UNDECIDED: "Undecided"}
    return Comparison(
        raters=raters, rows=rows, outcome=result.outcome,
        outcome_label=outcome_labels[result.outcome],
        carried_by=[titles.get(key, key) for key in result.deciding],
        agreement=agreement_maths.fleiss_kappa(items) if len(raters) >= 2 else None,
    )
