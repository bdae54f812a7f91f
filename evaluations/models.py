"""Adjudication: assessments of candidacies against criteria, verdicts, conflicts of
interest, and the append-only history of market resolutions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models import F, Q

from tracker.models import Candidacy, Criterion, Market, Paper

ADJUDICATORS_GROUP = "adjudicators"
RESOLVERS_GROUP = "resolvers"


#: The most an assessment carries: a rationale of a few paragraphs (a longer text can be
#: linked as evidence) and the links that carry it. A page shows every one of them.
MAX_RATIONALE_CHARS = 10_000
MAX_EVIDENCE_URLS = 20


def validate_rationale(value: str) -> None:
    if len(value) > MAX_RATIONALE_CHARS:
        raise ValidationError(
            f"A rationale is at most {MAX_RATIONALE_CHARS:,} characters; this one has "
            f"{len(value):,}. Say why in a few paragraphs and link a longer text as evidence.")


def validate_url_list(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError("Evidence links must be a list of URLs.")
    if len(value) > MAX_EVIDENCE_URLS:
        raise ValidationError(
            f"At most {MAX_EVIDENCE_URLS} evidence links; this answer has {len(value):,}. "
            "Keep the ones that carry the rationale.")
    check = URLValidator(schemes=["http", "https"])
    for url in value:
        if not isinstance(url, str):
            raise ValidationError(f"{url!r} is not a URL.")
        try:
            check(url)
        except ValidationError:
            raise ValidationError(f"{url!r} is not an http(s) URL.") from None


class AdjudicatorProfile(models.Model):
    """How an adjudicator appears on papers, for the conflict-of-interest check."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="adjudicator_profile"
    )
    publishes_as = models.JSONField(
        default=list, blank=True,
        help_text="Other spellings of this person's name on papers (the account's full name "
        "is always checked). Compared after normalisation: case, accents and punctuation "
        "are ignored.",
    )

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class DeclaredConflict(models.Model):
    """A conflict of interest the adjudicator (or staff) declared for a paper, beyond
    authorship, which is detected automatically."""

    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="declared_conflicts"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="declared_conflicts")
    reason = models.CharField(
        max_length=300, help_text="E.g. 'advised the first author', 'same lab'."
    )
    declared_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the adjudicator withdrew the declaration."
    )
    withdrawal_reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was withdrawn (kept in the history)."
    )

    class Meta:
        ordering = ["paper", "adjudicator", "declared_at"]
        constraints = [
            # Withdrawn declarations stay as history; at most one is in force at a time.
            models.UniqueConstraint(
                fields=["adjudicator", "paper"], condition=Q(withdrawn_at__isnull=True),
                name="conflict_once_in_force",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawal_reason="")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="conflict_withdrawal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        state = " (withdrawn)" if self.withdrawn_at else ""
        return f"{self.adjudicator} / {self.paper}: {self.reason}{state}"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_at is None


class Assessment(models.Model):
    """One adjudicator's judgement of one candidacy against one criterion."""

    class Verdict(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"
        UNCLEAR = "unclear", "Unclear"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE, related_name="assessments")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="assessments")
    adjudicator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    # A draft may hold any part of an answer (a verdict alone, a rationale alone); a
    # submitted one is complete: a verdict, and unless it is "not applicable" a confidence
    # and a rationale (the constraint below).
    verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 = a guess, 5 = certain. Not asked of a 'not applicable' answer.",
    )
    rationale = models.TextField(
        blank=True, validators=[validate_rationale],
        help_text="Why: required to submit (except 'not applicable'), and shown "
        "publicly once submitted.")
    evidence_urls = models.JSONField(
        default=list, blank=True, validators=[validate_url_list],
        help_text="Links that support the rationale (the paper's section, a table, a post).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    source_url = models.URLField(
        max_length=500, blank=True,
        help_text="Set when the assessment transcribes a judgement the adjudicator published "
        "elsewhere, rather than one entered here.",
    )
    source_date = models.CharField(
        max_length=10, blank=True,
        help_text="When the transcribed judgement was published, as the source dates it: "
        "YYYY, YYYY-MM or YYYY-MM-DD; empty when the source gives no date.",
    )
    conflict_waiver = models.TextField(
        blank=True,
        help_text="Why this assessment stands although its author has a conflict of interest "
        "with the paper. Shown publicly. Only transcriptions of a published judgement can "
        "carry one.",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by every save; a save from a stale form is refused."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["candidacy", "criterion__order", "adjudicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidacy", "criterion", "adjudicator"], name="assessment_once"
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=1, confidence__lte=5),
                name="assessment_confidence_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(verdict="not_applicable")
                | (~Q(verdict="") & Q(confidence__isnull=False) & ~Q(rationale="")),
                name="assessment_submitted_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="assessment_submitted_has_time",
            ),
            models.CheckConstraint(
                condition=Q(conflict_waiver="") | ~Q(source_url=""),
                name="assessment_waiver_only_for_transcriptions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.adjudicator} on {self.candidacy.paper} / {self.criterion.key}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def missing(self) -> list[str]:
        """What a submitted answer needs and this one lacks: "verdict", "confidence",
        "rationale" (none of the last two for 'not applicable')."""
        if not self.verdict:
            return ["verdict"]
        if self.verdict == self.Verdict.NOT_APPLICABLE:
            return []
        return [name for name, value in (("confidence", self.confidence),
                                         ("rationale", self.rationale)) if not value]


class CandidacyVerdict(models.Model):
    """The aggregated verdict of a candidacy, recomputed whenever an assessment changes."""

    class Outcome(models.TextChoices):
        QUALIFIES = "qualifies", "Qualifies"
        FALLS_SHORT = "falls_short", "Falls short"
        UNDECIDED = "undecided", "Undecided"

    candidacy = models.OneToOneField(
        Candidacy, on_delete=models.CASCADE, related_name="verdict", primary_key=True
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    deciding_criteria = models.JSONField(
        default=list, help_text="Keys of the criteria that carried the verdict."
    )
    criteria_met = models.JSONField(default=list, help_text="Must-pass keys met by a majority.")
    criteria_not_met = models.JSONField(
        default=list, help_text="Must-pass keys not met by a majority."
    )
    submitted_count = models.PositiveIntegerField(default=0)
    adjudicator_count = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()
    # A verdict resting only on transcribed judgements happened when they were published,
    # not when the tracker computed it: dated by the sources, or unknown.
    from_sources = models.BooleanField(
        default=False, help_text="Every submitted assessment transcribes a published "
        "judgement: the verdict is dated by its sources, not by computed_at.")
    sources_date = models.CharField(
        max_length=10, blank=True, help_text="The latest source date of those judgements "
        "(YYYY, YYYY-MM or YYYY-MM-DD); empty when any source gives no date.")

    class Meta:
        ordering = ["candidacy"]

    def __str__(self) -> str:
        return f"{self.candidacy}: {self.get_outcome_display()}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Resolution history is append-only.")

    def delete(self):
        raise TypeError("Resolution history is append-only.")


class ResolutionEvent(models.Model):
    """One change of a market's resolution: append-only, shown on the market page."""

    class Action(models.TextChoices):
        RESOLVE_YES = "resolve_yes", "Resolved YES"
        RESOLVE_NO = "resolve_no", "Resolved NO"
        ANNUL = "annul", "Annulled"
        UNRESOLVE = "unresolve", "Unresolved"

    market = models.ForeignKey(Market, on_delete=models.PROTECT, related_name="resolution_events")
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="resolution_events"
    )
    at = models.DateTimeField(help_text="When the change was recorded.")
    effective_at = models.DateTimeField(
        null=True, blank=True, help_text="The resolution or annulment date it set."
    )
    reason = models.TextField()
    cited = models.ManyToManyField(Candidacy, blank=True, related_name="cited_by_resolutions")
    status_before = models.CharField(max_length=10)
    outcome_before = models.CharField(max_length=3, blank=True)
    resolved_at_before = models.DateTimeField(null=True, blank=True)
    annulled_at_before = models.DateTimeField(null=True, blank=True)
    status_after = models.CharField(max_length=10)
    outcome_after = models.CharField(max_length=3, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["market", "at", "id"]
        get_latest_by = ["at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="resolution_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.market.slug}: {self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Resolution history is append-only: events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Resolution history is append-only: events cannot be deleted.")


class CandidacyScoring(Candidacy):
    """The admin page where an adjudicator scores every criterion of a candidacy."""

    class Meta:
        proxy = True
        verbose_name = "candidacy to score"
        verbose_name_plural = "candidacies to score"


class MarketResolution(Market):
    """The admin console where staff resolve, annul or unresolve a market."""

    class Meta:
        proxy = True
        verbose_name = "market resolution"
        verbose_name_plural = "market resolutions"
        permissions = [("resolve_market", "Can resolve, annul and unresolve markets")]


class StoredAgreement(models.Model):
    """A market's Fleiss' kappa (overall and per criterion) as last computed, for one
    scope of readers: ``settled`` (the public: settled candidacies only) or ``all``
    (resolvers: every submitted assessment). Every change to the market's assessments
    raises ``generation`` (in the same transaction); the figures are used only while
    ``computed_generation`` equals it and ``signature`` (which candidacies are settled)
    still matches, otherwise the next reader recomputes and stores them
    (``evaluations.aggregates``)."""

    class Scope(models.TextChoices):
        SETTLED = "settled", "Settled candidacies (the public)"
        ALL = "all", "Every submitted assessment (resolvers)"

    market = models.ForeignKey(Market, on_delete=models.CASCADE,
                               related_name="stored_agreements")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    generation = models.PositiveIntegerField(default=0)
    computed_generation = models.PositiveIntegerField(null=True)
    signature = models.JSONField(null=True, help_text="The settled set it was computed on.")
    figures = models.JSONField(null=True, help_text="{'overall': {...}, 'by_criterion': {...}}")
    computed_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["market", "scope"], name="stored_agreement_once"),
        ]

    def __str__(self) -> str:
        return f"Agreement of market {self.market_id} ({self.scope}, gen. {self.generation})"

    @classmethod
    def invalidate(cls, market_id: int) -> None:
        """Mark the market's stored agreements stale (one UPDATE; call inside the write's
        transaction). Here, below the services and ``aggregates``, so that the verdict
        service (a writer) and the aggregates (the readers) both import it downwards."""
        cls.objects.filter(market_id=market_id).update(generation=F("generation") + 1)
