"""JSON shapes of adjudication, used by /api/markets/<slug>/ (whose serializer is here: a
market with its verdicts and resolution) and the leaderboard API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluations.models import CandidacyVerdict, ResolutionEvent
from evaluations.services import blind_candidacy_ids, current_resolution, resolution_history
from tracker.models import Candidacy, Market
from tracker.serializers import CriterionSerializer, PaperSummarySerializer


def _many(serializer: type[serializers.BaseSerializer], rows, **kwargs) -> list[dict]:
    """``serializer(rows, many=True).data``: a list (many=True makes a ListSerializer, which
    the type stubs do not model)."""
    return serializer(rows, many=True, **kwargs).data


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


# --- /api/markets/<slug>/: the catalogue's market with its verdicts and resolution ----------


class CandidacySerializer(serializers.ModelSerializer):
    paper = PaperSummarySerializer(read_only=True)
    verdict = serializers.SerializerMethodField(
        help_text="The aggregated verdict; null while the candidacy is under review (until it "
        "is decided or the market resolved), and for an adjudicator who has not submitted it."
    )

    class Meta:
        model = Candidacy
        fields = ["paper", "status", "task", "claimed_result", "baselines_compared", "verdict"]

    @extend_schema_field(VerdictSerializer(allow_null=True))
    def get_verdict(self, candidacy: Candidacy) -> dict | None:
        if candidacy.pk in self.context.get("blind_candidacy_ids", ()):
            return None
        stored = getattr(candidacy, "verdict", None)
        if stored is None:
            return {"outcome": "undecided", "deciding_criteria": [], "criteria_met": [],
                    "criteria_not_met": [], "submitted_count": 0, "adjudicator_count": 0,
                    "computed_at": None}
        # One VerdictSerializer for every row of a page (this child serializer is shared
        # by the rows): building a ModelSerializer's fields per row cost ~40% of a page.
        if not hasattr(self, "_verdict_serializer"):
            self._verdict_serializer = VerdictSerializer()
        return self._verdict_serializer.to_representation(stored)


class ResolutionSerializer(serializers.Serializer):
    status = serializers.CharField()
    outcome = serializers.CharField(allow_blank=True)
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    annulled_at = serializers.DateTimeField(allow_null=True)
    cited_papers = serializers.SerializerMethodField(
        help_text="The candidacies the current resolution cites (arXiv id, slug, title)."
    )
    reason = serializers.SerializerMethodField()
    resolved_by = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField(help_text="Every change, oldest first.")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Read once per market and serializer: four fields need the history.
        self._history_by_market: dict[int, list[ResolutionEvent]] = {}

    def _events(self, market: Market) -> list[ResolutionEvent]:
        if market.pk not in self._history_by_market:
            self._history_by_market[market.pk] = resolution_history(market)
        return self._history_by_market[market.pk]

    def _current(self, market: Market) -> ResolutionEvent | None:
        return current_resolution(market, self._events(market))

    @extend_schema_field(CitedPaperSerializer(many=True))
    def get_cited_papers(self, market: Market) -> list[dict]:
        current = self._current(market)
        return _many(CitedPaperSerializer, current.cited.all()) if current else []

    def get_reason(self, market: Market) -> str:
        current = self._current(market)
        return current.reason if current else ""

    def get_resolved_by(self, market: Market) -> str | None:
        current = self._current(market)
        if current is None:
            return None
        return current.actor.get_full_name() or current.actor.get_username()

    @extend_schema_field(ResolutionEventSerializer(many=True))
    def get_history(self, market: Market) -> list[dict]:
        return _many(ResolutionEventSerializer, self._events(market))


class MarketDetailSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)
    candidacies = serializers.SerializerMethodField(help_text="One page of the candidacies.")
    candidacies_count = serializers.IntegerField(read_only=True, required=False,
                                                 help_text="Candidacies on all pages.")
    next = serializers.URLField(read_only=True, required=False, allow_null=True,
                                help_text="The next page of candidacies.")
    previous = serializers.URLField(read_only=True, required=False, allow_null=True)
    resolution = serializers.SerializerMethodField()

    class Meta:
        model = Market
        fields = [
            "slug", "title", "platform", "url", "creator", "description", "status",
            "resolution", "criteria", "candidacies_count", "next", "previous", "candidacies",
        ]

    @extend_schema_field(CandidacySerializer(many=True))
    def get_candidacies(self, market: Market) -> list[dict]:
        rows = list(self.context.get("candidacies", market.candidacies.all()))
        request = self.context.get("request")
        blind = blind_candidacy_ids(
            viewer=getattr(request, "user", None), market=market, candidacies=rows
        )
        context = {**self.context, "blind_candidacy_ids": blind}
        return _many(CandidacySerializer, rows, context=context)

    @extend_schema_field(ResolutionSerializer)
    def get_resolution(self, market: Market) -> dict:
        return ResolutionSerializer(market).data
