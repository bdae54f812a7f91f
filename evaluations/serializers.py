"""JSON shapes of adjudication, used by /api/markets/<slug>/ and the leaderboard API."""

from __future__ import annotations

from rest_framework import serializers

from evaluations.models import CandidacyVerdict, ResolutionEvent
from tracker.models import Candidacy


class VerdictSerializer(serializers.ModelSerializer):
    criteria_met = serializers.ListField(child=serializers.CharField())
    criteria_not_met = serializers.ListField(child=serializers.CharField())
    deciding_criteria = serializers.ListField(
        child=serializers.CharField(), help_text="The criteria that carried the verdict."
    )
    computed_at = serializers.DateTimeField(
        allow_null=True, read_only=True, help_text="Null for a candidacy not yet assessed."
    )

    class Meta:
        model = CandidacyVerdict
        fields = ["outcome", "deciding_criteria", "criteria_met", "criteria_not_met",
                  "submitted_count", "adjudicator_count", "computed_at"]


class CitedPaperSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="paper.slug")
    arxiv_id = serializers.CharField(source="paper.arxiv_id", allow_null=True)
    title = serializers.CharField(source="paper.title")

    class Meta:
        model = Candidacy
        fields = ["slug", "arxiv_id", "title"]


class ResolutionEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    cited = CitedPaperSerializer(many=True, read_only=True)

    class Meta:
        model = ResolutionEvent
        fields = ["at", "action", "actor", "reason", "effective_at", "status_before",
                  "status_after", "outcome_after", "cited"]

    def get_actor(self, event: ResolutionEvent) -> str:
        return event.actor.get_full_name() or event.actor.get_username()


class AgreementSerializer(serializers.Serializer):
    kappa = serializers.FloatField(allow_null=True, help_text="Fleiss' kappa; null if undefined.")
    items = serializers.IntegerField()
    raters = serializers.IntegerField()
    undefined_because = serializers.CharField(allow_blank=True)


class LeaderboardRowSerializer(serializers.Serializer):
    paper = CitedPaperSerializer(source="candidacy")
    verdict = serializers.CharField(allow_null=True)
    criteria_met = serializers.ListField(child=serializers.CharField())
    criteria_not_met = serializers.ListField(child=serializers.CharField())
    adjudicators = serializers.IntegerField()
    agreement = AgreementSerializer(allow_null=True)
    conflict_waivers = serializers.IntegerField()
    replication = serializers.CharField(allow_null=True)
    hidden = serializers.BooleanField(
        help_text="True when this candidacy's verdict is hidden from you: it is under review "
        "(published once decided or the market resolved), or you are an adjudicator who has "
        "not submitted it yet (blind review)."
    )
