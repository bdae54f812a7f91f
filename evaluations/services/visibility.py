"""Blind review: what each reader may see of a candidacy's assessments, verdict and
agreement. The one place the rule is applied; pages, the API and the admin all call it.

The rule (README, "Blind review"): a candidacy is *settled* once its status is decided or
dismissed, or its market is settled (resolved or annulled); then its submitted assessments,
its verdict and its agreement are public. Until then it is *under review*, and
  - an adjudicator who has not submitted every criterion of it (and has no conflict with
    the paper) sees only their own assessments: nothing of the others', of the verdict or
    of the agreement ("blind");
  - an adjudicator who has submitted every criterion sees everything submitted;
  - resolvers (and superusers) see everything submitted, unless they are blind as above;
  - everyone else (the anonymous, readers, staff without a role, an adjudicator with a
    conflict) sees that it is under review and nothing of its assessments, verdict,
    counts or agreement.
Nobody but its author ever sees a draft.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from evaluations.models import Assessment
from evaluations.services.conflicts import conflicted_candidacy_ids
from evaluations.services.roles import (
    NotYourAssessment,
    User,
    active_account,
    can_resolve,
    is_adjudicator,
    require_adjudicator,
    signed_in,
)
from tracker.models import Candidacy, Market

BLIND = "blind"
UNDER_REVIEW = "under_review"
HIDDEN_MESSAGES = {
    BLIND: "Hidden until you have submitted your assessment of every criterion (blind review).",
    UNDER_REVIEW: "Under review: the assessments and the verdict are published once the "
    "candidacy is decided or the market resolved.",
}
SETTLED_CANDIDACY_STATUSES = (Candidacy.Status.DECIDED, Candidacy.Status.DISMISSED)


def settled_candidacies(prefix: str = "") -> Q:
    """Q for settled candidacies; `prefix` is the path to the candidacy ("candidacy__")."""
    return (Q(**{f"{prefix}status__in": SETTLED_CANDIDACY_STATUSES})
            | Q(**{f"{prefix}market__status__in": Market.SETTLED_STATUSES}))


def is_settled(candidacy: Candidacy, market: Market | None = None) -> bool:
    """The candidacy is decided or dismissed, or its market settled (`settled_candidacies`
    for one row; pass `market` when the caller holds it, to save a query)."""
    market = market if market is not None else candidacy.market
    return candidacy.status in SETTLED_CANDIDACY_STATUSES or market.is_settled


def sees_all_submitted(user: User | None) -> bool:
    """Resolvers and superusers read every submitted assessment (unless blind)."""
    return bool(active_account(user) and (user.is_superuser or can_resolve(user)))


@dataclass(frozen=True)
class Sight:
    """What one viewer may see of candidacies under the rule above, as data read once
    (the ids of the candidacies they finished and of those they are conflicted with: few)
    and usable both in SQL (`visible`, for lists, filters, counts and orderings) and per
    row (`why`). Every page, feed, export and API answer that shows, filters, counts or
    orders by a verdict asks one of these two, so the rule is applied in one place."""

    everything: bool = False  # resolvers and superusers who do not score
    adjudicator: bool = False
    privileged: bool = False  # a resolver or superuser who also scores
    done: frozenset[int] = frozenset()
    conflicted: frozenset[int] = frozenset()

    def visible(self, prefix: str = "") -> Q | None:
        """Q for the candidacies whose verdict, assessments and agreement the viewer
        sees (None: all); `prefix` is the path to the candidacy ("candidacies__")."""
        if self.everything:
            return None
        ids = set(self.done) | (set(self.conflicted) if self.privileged else set())
        visible = settled_candidacies(prefix)
        return visible | Q(**{f"{prefix}pk__in": sorted(ids)}) if ids else visible

    def why(self, candidacy: Candidacy, market: Market | None = None) -> str:
        """"" when the viewer sees the candidacy, else BLIND or UNDER_REVIEW (pass
        `market` when the caller holds it, to save a query)."""
        if self.everything or is_settled(candidacy, market):
            return ""
        if self.adjudicator:
            if candidacy.pk in self.done:
                return ""
            if candidacy.pk not in self.conflicted:
                return BLIND
            return "" if self.privileged else UNDER_REVIEW
        return UNDER_REVIEW


def sight(*, viewer: User | None, market: Market | None = None) -> Sight:
    """`viewer`'s Sight over one market's candidacies, or every market's (`market` None:
    the papers list). Two small queries for an adjudicator, none for anyone else."""
    from evaluations.queries import completed_by

    if is_adjudicator(viewer):
        return Sight(
            adjudicator=True, privileged=sees_all_submitted(viewer),
            done=frozenset(completed_by(viewer, None if market is None else market.pk)),
            conflicted=frozenset(conflicted_candidacy_ids(user=viewer, market=market)),
        )
    return Sight(everything=sees_all_submitted(viewer))


def hidden_candidacies(*, viewer: User | None, market: Market,
                       candidacies: Iterable[Candidacy],
                       seen: Sight | None = None) -> dict[int, str]:
    """Candidacies of `market` whose others' assessments, verdict and agreement `viewer`
    must not see, each with why (BLIND or UNDER_REVIEW): `sight` applied to these rows
    (`seen`: the viewer's Sight over `market` when the caller already holds it)."""
    pending = [c for c in candidacies if not is_settled(c, market)]
    if not pending:
        return {}
    seen = seen or sight(viewer=viewer, market=market)
    return {c.id: why for c in pending if (why := seen.why(c, market))}


def blind_candidacy_ids(*, viewer: User | None, market: Market,
                        candidacies: Iterable[Candidacy],
                        seen: Sight | None = None) -> set[int]:
    """The ids of `hidden_candidacies` (whatever the reason)."""
    return set(hidden_candidacies(viewer=viewer, market=market, candidacies=candidacies,
                                  seen=seen))


def assessments_visible_to(viewer: User | None) -> QuerySet[Assessment]:
    """Every assessment `viewer` may see, as one queryset: their own (drafts included) and
    the submitted ones of the candidacies their `sight` over every market shows."""
    submitted = Q(status=Assessment.Status.SUBMITTED)
    visible = sight(viewer=viewer).visible("candidacy__")
    shown = submitted if visible is None else submitted & visible
    if not signed_in(viewer):
        return Assessment.objects.filter(shown)
    return Assessment.objects.filter(Q(adjudicator=viewer) | shown)


def can_view_assessment(*, viewer: User | None, assessment: Assessment,
                        blind: set[int] | None = None) -> bool:
    """One assessment under the rule; `blind`: the viewer's hidden candidacy ids, when
    the caller checks many assessments of the same candidacies."""
    if signed_in(viewer) and assessment.adjudicator_id == viewer.pk:
        return True
    if assessment.status != Assessment.Status.SUBMITTED:
        return False  # nobody but its author ever sees a draft
    if blind is None:
        blind = blind_candidacy_ids(
            viewer=viewer, market=assessment.candidacy.market,
            candidacies=[assessment.candidacy],
        )
    return assessment.candidacy_id not in blind


def visible_assessments(*, viewer: User | None, candidacy: Candidacy,
                        seen: Sight | None = None) -> list[Assessment]:
    """The candidacy's assessments `viewer` may read, by criterion then adjudicator
    (`seen`: as for `hidden_candidacies`)."""
    rows = list(
        Assessment.objects.filter(candidacy=candidacy)
        .select_related("criterion", "adjudicator").order_by("criterion__order", "adjudicator")
    )
    blind = blind_candidacy_ids(viewer=viewer, market=candidacy.market, candidacies=[candidacy],
                                seen=seen)
    return [a for a in rows if can_view_assessment(viewer=viewer, assessment=a, blind=blind)]


def access_assessment(*, user: User, assessment_id: int, for_change: bool = False) -> Assessment:
    """The one permission-checked fetch of an assessment."""
    assessment = (
        Assessment.objects.select_related("candidacy__market", "candidacy__paper", "criterion")
        .filter(pk=assessment_id).first()
    )
    if for_change:
        user = require_adjudicator(user)
        if assessment is None:
            raise Assessment.DoesNotExist(f"No assessment {assessment_id}.")
        if assessment.adjudicator_id != user.pk:
            raise NotYourAssessment("Adjudicators change only their own assessments.")
        return assessment
    if assessment is None or not can_view_assessment(viewer=user, assessment=assessment):
        # The same answer for "missing" and "hidden", so blind review leaks nothing.
        raise PermissionDenied("You cannot see this assessment (yet).")
    return assessment
