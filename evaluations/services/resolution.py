"""Resolving a market: YES (citing qualifying candidacies), NO, annulled, or undone.
Each change is a `ResolutionEvent` holding the state before and after, so unresolving
restores exactly what was there; each queues the re-scoring of the market's predictions
on commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evaluations import verdicts as verdict_rule
from evaluations.models import ResolutionEvent
from evaluations.services.assessments import lock_market
from evaluations.services.rescoring import _enqueue_rescore
from evaluations.services.roles import Account, User, require_resolver
from evaluations.services.verdicts import compute_verdict, refresh_verdict
from tracker.models import Candidacy, Market

FUTURE_TOLERANCE = dt.timedelta(minutes=5)


class ResolutionRefused(ValidationError):
    """The resolution would break a rule; the message says which."""


def _record_event(
    market: Market, *, action: str, actor: Account, reason: str,
    effective_at: dt.datetime | None, cited: Sequence[Candidacy] = (),
    status_after: str, outcome_after: str, at: dt.datetime | None = None,
) -> ResolutionEvent:
    event = ResolutionEvent.objects.create(
        market=market, action=action, actor=actor, at=at or timezone.now(),
        effective_at=effective_at, reason=reason,
        status_before=market.status, outcome_before=market.outcome,
        resolved_at_before=market.resolved_at, annulled_at_before=market.annulled_at,
        status_after=status_after, outcome_after=outcome_after,
    )
    if cited:
        event.cited.set(cited)
    return event


def _check_reason_and_date(market: Market, reason: str, when: dt.datetime) -> None:
    if not reason.strip():
        raise ResolutionRefused("Give a reason: it is shown in the market's history.")
    if market.opened_at is not None and when < market.opened_at:
        raise ResolutionRefused(
            f"The date {when:%Y-%m-%d %H:%M} is before the market opened "
            f"({market.opened_at:%Y-%m-%d %H:%M})."
        )
    if when > timezone.now() + FUTURE_TOLERANCE:
        raise ResolutionRefused(f"The date {when:%Y-%m-%d %H:%M} is in the future.")


def _require_unresolved(market: Market) -> None:
    if market.is_settled:
        raise ResolutionRefused(
            f"The market is already {market.get_status_display().lower()}; unresolve it first."
        )


def resolve_market(
    *,
    market: Market,
    actor: User,
    outcome: str,
    reason: str,
    cited: Sequence[Candidacy] = (),
    resolved_at: dt.datetime | None = None,
    date_known: bool = True,
) -> ResolutionEvent:
    """Resolve YES (citing at least one qualifying candidacy, verdicts recomputed from the
    assessments) or NO. Enqueues the re-scoring of the market's predictions on commit.
    ``date_known=False`` records a resolution made elsewhere on a date its sources do not
    give: no date is stored (not the time of recording)."""
    actor = require_resolver(actor)
    if outcome not in (Market.Outcome.YES, Market.Outcome.NO):
        raise ResolutionRefused(f"Outcome must be 'yes' or 'no', not {outcome!r}.")
    with transaction.atomic():
        market = lock_market(market.pk)
        _require_unresolved(market)
        now = timezone.now()
        when = resolved_at or now  # no date given: resolved now, as recorded
        _check_reason_and_date(market, reason, when)
        cited = list(cited)
        strangers = [c for c in cited if c.market_id != market.pk]
        if strangers:
            raise ResolutionRefused(
                f"{', '.join(str(c.paper) for c in strangers)}: not a candidate for this market."
            )
        if outcome == Market.Outcome.YES:
            _check_yes_citations(market, cited)
        effective_at = when if date_known else None
        event = _record_event(
            market, action=f"resolve_{outcome}", actor=actor, reason=reason.strip(),
            effective_at=effective_at, cited=cited,
            status_after=Market.Status.RESOLVED, outcome_after=outcome, at=now,
        )
        market.status, market.outcome = Market.Status.RESOLVED, outcome
        market.resolved_at, market.annulled_at = effective_at, None
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def _check_yes_citations(market: Market, cited: list[Candidacy]) -> None:
    if not cited:
        qualifying = [
            str(c.paper) for c in market.candidacies.select_related("paper")
            if compute_verdict(candidacy=c).outcome == verdict_rule.QUALIFIES
        ]
        hint = (f" Qualifying now: {', '.join(qualifying)}." if qualifying
                else " No candidacy qualifies yet.")
        raise ResolutionRefused("A YES resolution must cite at least one qualifying candidacy."
                                + hint)
    problems = []
    titles = dict(market.criteria.values_list("key", "title"))

    def named(keys: list[str]) -> str:
        return ", ".join(titles.get(key, key) for key in keys)

    for candidacy in cited:
        verdict = refresh_verdict(candidacy=candidacy)
        if verdict.outcome != verdict_rule.QUALIFIES:
            detail = (
                f"not met: {named(verdict.criteria_not_met)}"
                if verdict.outcome == verdict_rule.FALLS_SHORT
                else f"no majority yet on: {named(verdict.deciding_criteria)}"
            )
            problems.append(f"{candidacy.paper} {verdict.get_outcome_display().lower()} "
                            f"({detail})")
    if problems:
        raise ResolutionRefused(
            "A YES resolution may cite only qualifying candidacies: " + "; ".join(problems) + "."
        )


def annul_market(
    *, market: Market, actor: User, reason: str, annulled_at: dt.datetime | None = None
) -> ResolutionEvent:
    """Annul the market (the question cannot be decided): no outcome, predictions linked
    to it unscored. Enqueues the re-scoring on commit."""
    actor = require_resolver(actor)
    with transaction.atomic():
        market = lock_market(market.pk)
        _require_unresolved(market)
        now = timezone.now()
        when = annulled_at or now
        _check_reason_and_date(market, reason, when)
        event = _record_event(
            market, action=ResolutionEvent.Action.ANNUL, actor=actor, reason=reason.strip(),
            effective_at=when, status_after=Market.Status.ANNULLED, outcome_after="", at=now,
        )
        market.status, market.outcome = Market.Status.ANNULLED, ""
        market.annulled_at, market.resolved_at = when, None
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def unresolve_market(*, market: Market, actor: User, reason: str) -> ResolutionEvent:
    """Undo the last resolution or annulment: the market returns to the state it had
    before it (status, outcome and dates)."""
    actor = require_resolver(actor)
    with transaction.atomic():
        market = lock_market(market.pk)
        if not market.is_settled:
            raise ResolutionRefused("The market is not resolved or annulled.")
        if not reason.strip():
            raise ResolutionRefused("Give a reason: it is shown in the market's history.")
        last = (
            ResolutionEvent.objects.filter(market=market)
            .exclude(action=ResolutionEvent.Action.UNRESOLVE).order_by("-at", "-id").first()
        )
        if last is None:
            raise ResolutionRefused("No recorded resolution of this market to undo.")
        event = _record_event(
            market, action=ResolutionEvent.Action.UNRESOLVE, actor=actor,
            reason=reason.strip(), effective_at=None,
            status_after=last.status_before, outcome_after=last.outcome_before,
        )
        market.status, market.outcome = last.status_before, last.outcome_before
        market.resolved_at, market.annulled_at = last.resolved_at_before, last.annulled_at_before
        market.save(update_fields=["status", "outcome", "resolved_at", "annulled_at",
                                   "updated_at"])
        _enqueue_rescore(market.pk)
    return event


def current_resolution(
    market: Market, events: Sequence[ResolutionEvent] | None = None
) -> ResolutionEvent | None:
    """The event that put the market in its resolved or annulled state, if it is settled.
    `events`: the market's history oldest first, when the caller has read it already (the
    market's page and the API show it too); otherwise one query."""
    if not market.is_settled:
        return None
    if events is not None:
        return next(
            (e for e in reversed(events) if e.action != ResolutionEvent.Action.UNRESOLVE), None
        )
    return (
        ResolutionEvent.objects.filter(market=market)
        .exclude(action=ResolutionEvent.Action.UNRESOLVE)
        .select_related("actor").prefetch_related("cited__paper")
        .order_by("-at", "-id").first()
    )


def resolution_history(market: Market) -> list[ResolutionEvent]:
    """Every resolution, annulment and undoing of the market, oldest first."""
    return list(
        ResolutionEvent.objects.filter(market=market).select_related("actor")
        .prefetch_related("cited__paper").order_by("at", "id")
    )
