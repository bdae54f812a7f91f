"""The scoring sheet's forms: one small form per criterion, validated all together so that
a page with one bad field writes nothing."""

from __future__ import annotations

from django import forms

from evaluations.models import Assessment, validate_rationale, validate_url_list
from evaluations.services.assessments import StaleAssessment, stale_message
from tracker.models import Criterion

CONFIDENCE_CHOICES = [(1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5")]
CONFIDENCE_ERROR = "Confidence is a whole number from 1 (a guess) to 5 (certain)."
VERDICT_MISSING = "Choose a verdict (met, not met or unclear) before submitting."


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


def verdict_choices(criterion: Criterion) -> list[tuple[str, str]]:
    """Met / not met / unclear; informational criteria also offer "not applicable" (their
    usual answer, left out of the agreement)."""
    V = Assessment.Verdict
    choices: list[tuple[str, str]] = [
        (V.MET, "Met"), (V.NOT_MET, "Not met"), (V.UNCLEAR, "Unclear")]
    if criterion.kind == Criterion.Kind.INFORMATIONAL:
        choices.append((V.NOT_APPLICABLE, "Not applicable"))
    return choices


class CriterionAssessmentForm(forms.Form):
    """One criterion's answer. Every field may be empty while drafting (the criterion is
    then left unanswered); a criterion with any answer needs a verdict, a confidence and a
    rationale to be saved, since a stored assessment always has all three."""

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
        kwargs.setdefault("prefix", f"c{criterion.pk}")
        super().__init__(*args, **kwargs)
        verdict = self.fields["verdict"]
        assert isinstance(verdict, forms.ChoiceField)  # the declared field, deep-copied
        verdict.choices = verdict_choices(criterion)
        verdict.error_messages["invalid_choice"] = (
            "%(value)s is not one of this criterion's verdicts."
        )

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        filled = {name for name in ("verdict", "confidence", "rationale", "evidence_urls")
                  if cleaned.get(name)}
        cleaned["rationale"] = (cleaned.get("rationale") or "").strip()
        if not filled and not self.submitting and self.assessment is None:
            return cleaned  # left unanswered: fine in a draft
        if not cleaned.get("verdict"):
            self.add_error("verdict", VERDICT_MISSING if self.submitting or not filled
                           else "Choose a verdict, or clear this criterion to leave it "
                           "unanswered.")
        if cleaned.get("confidence") is None:
            self.add_error("confidence", "Choose a confidence from 1 to 5.")
        if not cleaned["rationale"]:
            self.add_error("rationale", "Say why: a rationale is required.")
        return cleaned

    def changed_from_saved(self) -> bool:
        """Whether the cleaned answer differs from the stored assessment."""
        a, data = self.assessment, self.cleaned_data
        if a is None:
            return bool(data.get("verdict"))
        return (a.verdict, a.confidence, a.rationale, a.evidence_urls) != (
            data.get("verdict"), data.get("confidence"), data.get("rationale"),
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


__all__ = ["CONFIDENCE_ERROR", "VERDICT_MISSING", "CriterionAssessmentForm", "EvidenceField",
           "WithdrawConflictForm", "check_version", "verdict_choices"]
