"""The scoring sheet of one candidacy for one adjudicator: a block per criterion (its text,
kind, parameters, the form, the replication evidence bearing on it), the progress, and
what state the sheet is in. `save_sheet` writes the whole sheet in one transaction through
the services, so a page with one refused answer writes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from evaluations import services
from evaluations.forms import CriterionAssessmentForm, check_version
from evaluations.models import Assessment, ResolutionEvent
from replication.evidence import EvidenceItem, RunEvidence, evidence_for_candidacy
from tracker.models import Candidacy, Criterion, Market

EDITABLE, FROZEN, CONFLICTED, READ_ONLY = "editable", "frozen", "conflicted", "read_only"


@dataclass
class CriterionBlock:
    number: int
    criterion: Criterion
    form: CriterionAssessmentForm
    assessment: Assessment | None
    evidence: list[tuple[RunEvidence, EvidenceItem]]

    @property
    def answered(self) -> bool:
        """Has a verdict, stored or (for a criterion whose default is "not applicable")
        by default: what the sheet's script counts as answered too."""
        if self.assessment is not None:
            return bool(self.assessment.verdict)
        return not self.criterion.needs_answer

    @property
    def parameters(self) -> list[tuple[str, str]]:
        """The criterion's parameters as (name, value) text: lists joined, numbers as is."""
        rows = []
        for name, value in (self.criterion.parameters or {}).items():
            if isinstance(value, list):
                text = ", ".join(str(v) for v in value)
            elif isinstance(value, dict):
                text = json.dumps(value)
            elif isinstance(value, bool):
                text = "yes" if value else "no"
            elif isinstance(value, float) and 0 < value < 1:
                text = f"{value:g} ({value:.0%})"
            else:
                text = str(value)
            rows.append((name.replace("_", " "), text))
        return rows


@dataclass
class Sheet:
    candidacy: Candidacy
    state: str
    blocks: list[CriterionBlock]
    conflict: str | None = None
    resolution: ResolutionEvent | None = None

    @property
    def total(self) -> int:
        return len(self.blocks)

    @property
    def answered(self) -> int:
        return sum(1 for block in self.blocks if block.answered)

    @property
    def submitted(self) -> int:
        return sum(1 for b in self.blocks if b.assessment is not None and b.assessment.is_submitted)

    @property
    def all_submitted(self) -> bool:
        return self.total > 0 and self.submitted == self.total

    @property
    def editable(self) -> bool:
        return self.state == EDITABLE


def load_sheet(*, user, candidacy: Candidacy, data=None, submitting: bool = False) -> Sheet:
    """The sheet as `user` sees it; bound to POST `data` when given."""
    market = candidacy.market
    conflict = services.find_conflict(user=user, paper=candidacy.paper) \
        if user.is_authenticated else None
    if market.is_settled:
        state = FROZEN
    elif not services.is_adjudicator(user):
        state = READ_ONLY
    elif conflict:
        state = CONFLICTED
    else:
        state = EDITABLE
    mine = {a.criterion_id: a for a in Assessment.objects.filter(
        candidacy=candidacy, adjudicator=user)} if user.is_authenticated else {}
    evidence = evidence_for_candidacy(candidacy.pk)
    blocks = []
    for number, criterion in enumerate(market.criteria.all(), start=1):
        assessment = mine.get(criterion.pk)
        form = CriterionAssessmentForm(
            data if state == EDITABLE else None, criterion=criterion, assessment=assessment,
            submitting=submitting,
        )
        blocks.append(CriterionBlock(
            number=number, criterion=criterion, form=form, assessment=assessment,
            evidence=[(run, item) for run in evidence for item in run.for_criterion(
                criterion.key)],
        ))
    return Sheet(candidacy=candidacy, state=state, blocks=blocks, conflict=conflict,
                 resolution=services.current_resolution(market))


def save_sheet(*, user, sheet: Sheet, submit: bool) -> tuple[int, int]:
    """Validate every block, then record the changed answers (and submit them when
    `submit`) in one transaction. Returns (answers saved, answers submitted). Raises
    ValidationError (with the forms' errors left on the blocks) or PermissionDenied;
    in every refused case nothing is written."""
    if not all(block.form.is_valid() for block in sheet.blocks):
        raise ValidationError("Nothing was saved: correct the answers marked below.")
    for block in sheet.blocks:
        check_version(block.form)
    saved = 0
    with transaction.atomic():
        candidacy = sheet.candidacy
        for block in sheet.blocks:
            form = block.form
            if form.emptied and block.assessment is not None:
                services.delete_draft_assessment(adjudicator=user,
                                                 assessment_id=block.assessment.pk)
                saved += 1
                continue
            if not form.changed_from_saved():
                continue
            data = form.cleaned_data
            services.record_assessment(
                adjudicator=user, candidacy=candidacy, criterion=block.criterion,
                verdict=data["verdict"] or "", confidence=data["confidence"],
                rationale=data["rationale"], evidence_urls=data.get("evidence_urls") or [],
                expected_version=block.assessment.version if block.assessment else None,
            )
            saved += 1
        submitted = services.submit_assessments(adjudicator=user, candidacy=candidacy) \
            if submit else 0
    return saved, submitted


def refused_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You may not change this sheet."
    return str(exc)


def frozen_explanation(market: Market, resolution: ResolutionEvent | None) -> str:
    """Why the sheet is read-only on a resolved or annulled market, and who may reopen it."""
    what = market.get_status_display().lower()
    if resolution is not None:
        who = resolution.actor.get_full_name() or resolution.actor.get_username()
        when = (f"on {resolution.effective_at:%Y-%m-%d}" if resolution.effective_at
                else "on a date the sources do not give")
        head = (f"This market was {resolution.get_action_display().lower()} {when} by "
                f"{who}: {resolution.reason}")
    else:
        head = f"This market is {what}."
    return (f"{head} Its assessments are frozen, so this page is read-only. A resolver "
            "(staff in the 'resolvers' group) may unresolve it under Market resolutions; "
            "the sheet opens again once it is.")
