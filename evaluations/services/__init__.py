"""Workflows of adjudication and resolution: typed, keyword-only, one transaction each,
one module per workflow:

- `roles`: who is an adjudicator or a resolver;
- `conflicts`: conflicts of interest, found from authorship or declared;
- `visibility`: the blind-review rule (what each reader sees: `sight`, for rows and
  querysets alike) and the checked fetch;
- `assessments`: record, submit and delete an adjudicator's assessments;
- `verdicts`: a candidacy's verdict, computed from its submitted assessments and stored;
- `agreement`: how far the adjudicators agree (Fleiss' kappa);
- `resolution`: resolve, annul, unresolve; the current resolution;
- `rescoring`: queue the re-scoring of predictions after a resolution.

Naming: `record_*`, `submit_*`, `delete_*`, `resolve_*`, `annul_*`, `unresolve_*` change
state; `access_assessment` is the one permission-checked fetch; `find_conflict`,
`compute_verdict` and the `can_*` / `is_*` helpers only read.

Permission failures raise `PermissionDenied` subclasses (a 403 in views and the admin);
refused operations raise `ValidationError` subclasses whose message says why.

The names below are re-exported so `from evaluations import services` keeps working.
"""

from evaluations.services.agreement import MarketAgreement, measure_agreement
from evaluations.services.assessments import (
    MarketLocked,
    StaleAssessment,
    allowed_words,
    delete_draft_assessment,
    record_assessment,
    submit_assessments,
    verdict_choices,
)
from evaluations.services.conflicts import (
    ConflictOfInterest,
    conflicted_candidacy_ids,
    find_conflict,
    names_of,
    record_declared_conflict,
    withdraw_declared_conflict,
)
from evaluations.services.rescoring import RESCORE_TASK
from evaluations.services.resolution import (
    ResolutionRefused,
    annul_market,
    current_resolution,
    resolution_history,
    resolve_market,
    unresolve_market,
)
from evaluations.services.roles import (
    Account,
    NotAnAdjudicator,
    NotAResolver,
    NotYourAssessment,
    User,
    can_resolve,
    is_adjudicator,
    signed_in,
)
from evaluations.services.verdicts import compute_verdict, refresh_verdict
from evaluations.services.visibility import (
    BLIND,
    HIDDEN_MESSAGES,
    UNDER_REVIEW,
    Sight,
    access_assessment,
    assessments_visible_to,
    blind_candidacy_ids,
    can_view_assessment,
    hidden_candidacies,
    is_settled,
    sees_all_submitted,
    settled_candidacies,
    sight,
    visible_assessments,
)

__all__ = [
    "BLIND", "HIDDEN_MESSAGES", "Account", "RESCORE_TASK", "UNDER_REVIEW", "Sight",
    "ConflictOfInterest", "MarketAgreement", "MarketLocked", "NotAResolver",
    "NotAnAdjudicator", "NotYourAssessment", "ResolutionRefused", "StaleAssessment", "User",
    "access_assessment", "allowed_words", "annul_market", "assessments_visible_to",
    "blind_candidacy_ids", "can_resolve", "can_view_assessment", "compute_verdict",
    "conflicted_candidacy_ids", "current_resolution", "delete_draft_assessment",
    "find_conflict", "hidden_candidacies", "is_adjudicator", "is_settled",
    "measure_agreement", "names_of", "record_assessment", "record_declared_conflict",
    "refresh_verdict", "resolution_history", "resolve_market", "sees_all_submitted",
    "settled_candidacies", "sight", "signed_in", "submit_assessments", "unresolve_market",
    "verdict_choices", "visible_assessments", "withdraw_declared_conflict",
]
