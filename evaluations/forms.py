"""The scoring sheet's forms: one small form per criterion, validated all together so that
a page with one bad field writes nothing."""

from __future__ import annotations

from typing import Any

from django import forms

from evaluations.models import Assessment, validate_rationale, validate_url_list
from evaluations.services.assessments import (
    StaleAssessment,
    allowed_words,
    stale_message,
    verdict_choices,
)
from tracker.models import Criterion

CONFIDENCE_CHOICES = [(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")]
CONFIDENCE_ERROR = "Confidence is a whole number from 1 (a guess) to 5 (certain)."


def verdict_missing(criterion: Criterion) -> str:
    """The error of a submission without a verdict, naming the answers this criterion allows."""
    return f"Choose a verdict ({allowed_words(criterion)}) before submitting."


class EvidenceField(forms.CharField):
    """One URL a line in the form; a list in the model."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(
            attrs={"rows": 2, "placeholder": "https://… (one link a line)"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        validate_url_list(value)


class CriterionAssessmentForm(forms.Form):
    """One criterion's answer. A draft keeps whatever part is filled in (a verdict alone, a
    rationale alone); an empty block is left unanswered. Submitting needs a verdict and,
    unless it is "not applicable", a confidence and a rationale. A criterion whose default
    is "not applicable" starts with it chosen and needs nothing more."""

    verdict = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    confidence = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=CONFIDENCE_CHOICES,
        widget=forms.RadioSelect, error_messages={"invalid_choice": CONFIDENCE_ERROR},
    )
    rationale = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), validators=[validate_rationale],
        help_text="Why. Shown to the other adjudicators once they submit, and publicly once "
        "the candidacy is decided.",
    )
    evidence_urls = EvidenceField(
        required=False, label="Evidence links",
        help_text="One http(s) link a line: the paper's section, a table, a post.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, criterion: Criterion, assessment: Assessment | None,
                 submitting: bool = False, **kwargs):
        self.criterion = criterion
        self.assessment = assessment
        self.submitting = submitting
        if assessment is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "verdict": assessment.verdict, "confidence": assessment.confidence,
                "rationale": assessment.rationale, "evidence_urls": assessment.evidence_urls,
                "version": assessment.version,
            }
        elif assessment is None and not criterion.needs_answer:
            kwargs.setdefault("initial", {"verdict": Assessment.Verdict.NOT_APPLICABLE})
        kwargs.setdefault("prefix", f"c{criterion.pk}")
        super().__init__(*args, **kwargs)
        verdict = self.fields["verdict"]
        assert isinstance(verdict, forms.ChoiceField)  # the declared field, deep-copied
        verdict.choices = verdict_choices(criterion)
        verdict.error_messages["invalid_choice"] = (
            f"%(value)s is not one of this criterion's answers ({allowed_words(criterion)})."
        )

    @property
    def complete_required(self) -> bool:
        """Submitting, or changing an answer already submitted (which stays complete)."""
        return self.submitting or (self.assessment is not None
                                   and self.assessment.is_submitted)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.errors:
            return cleaned
        cleaned["rationale"] = (cleaned.get("rationale") or "").strip()
        filled = {name for name in ("verdict", "confidence", "rationale", "evidence_urls")
                  if cleaned.get(name)}
        if not filled and not self.criterion.needs_answer:
            cleaned["verdict"] = Assessment.Verdict.NOT_APPLICABLE  # its default
            filled = {"verdict"}
        if not filled and not self.complete_required:
            return cleaned  # left unanswered (a draft emptied of everything is deleted)
        if not self.complete_required:
            return cleaned  # a draft keeps any part of an answer
        verdict = cleaned.get("verdict")
        if not verdict:
            self.add_error("verdict", verdict_missing(self.criterion))
        elif verdict != Assessment.Verdict.NOT_APPLICABLE:
            if cleaned.get("confidence") is None:
                self.add_error("confidence", "Choose a confidence from 1 to 5.")
            if not cleaned["rationale"]:
                self.add_error("rationale", "Say why: a rationale is required.")
        return cleaned

    @property
    def emptied(self) -> bool:
        """A saved draft whose every field was cleared: it is deleted, not kept empty."""
        data = self.cleaned_data
        return (self.assessment is not None and not self.assessment.is_submitted
                and not any(data.get(name) for name in
                            ("verdict", "confidence", "rationale", "evidence_urls")))

    def changed_from_saved(self) -> bool:
        """Whether the cleaned answer differs from the stored assessment (a new one: whether
        it holds anything)."""
        a, data = self.assessment, self.cleaned_data
        if a is None:
            return any(data.get(name) for name in
                       ("verdict", "confidence", "rationale", "evidence_urls"))
        return (a.verdict, a.confidence, a.rationale, a.evidence_urls) != (
            data.get("verdict") or "", data.get("confidence"), data.get("rationale"),
            data.get("evidence_urls") or [],
        )


class WithdrawConflictForm(forms.Form):
    reason = forms.CharField(
        max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the conflict no longer holds (kept in the history).",
    )


def check_version(form: CriterionAssessmentForm) -> None:
    """Refuse a form opened before the assessment last changed (another tab)."""
    if form.assessment is None:
        return
    if form.cleaned_data.get("version") != form.assessment.version:
        raise StaleAssessment(stale_message(form.criterion))


__all__ = ["CONFIDENCE_ERROR", "CriterionAssessmentForm", "EvidenceField",
           "WithdrawConflictForm", "check_version", "verdict_choices", "verdict_missing"]
