from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluations import serializers as adjudication
from evaluations.services import blind_candidacy_ids, current_resolution, resolution_history
from replication.serializers import RunOfPaperSerializer, runs_for_paper
from tracker.models import Candidacy, Claim, Criterion, Market, Paper


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["key", "order", "title", "description", "kind", "group", "parameters"]


class PaperSummarySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)
    authors = serializers.SerializerMethodField()

    class Meta:
        model = Paper
        fields = ["id", "slug", "arxiv_id", "title", "authors", "url", "date_text", "venue"]

    def get_authors(self, paper: Paper) -> list[str]:
        return paper.ordered_author_names()


class ClaimSerializer(serializers.ModelSerializer):
    class Meta:
        model = Claim
        fields = [
            "method", "is_sae_method", "metric", "value", "sample_size", "location", "description"
        ]


class CandidacySerializer(serializers.ModelSerializer):
    paper = PaperSummarySerializer(read_only=True)
    verdict = serializers.SerializerMethodField(
        help_text="The aggregated verdict; null while the candidacy is under review (until it "
        "is decided or the market resolved), and for an adjudicator who has not submitted it."
    )

    class Meta:
        model = Candidacy
        fields = ["paper", "status", "task", "claimed_result", "baselines_compared", "verdict"]

    @extend_schema_field(adjudication.VerdictSerializer(allow_null=True))
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
            self._verdict_serializer = adjudication.VerdictSerializer()
        return self._verdict_serializer.to_representation(stored)


class MarketSummarySerializer(serializers.ModelSerializer):
    candidacy_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Market
        fields = [
            "slug", "title", "platform", "url", "creator", "status", "outcome", "candidacy_count"
        ]


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

    def _events(self, market: Market) -> list:
        if not hasattr(market, "_resolution_events"):
            market._resolution_events = resolution_history(market)
        return market._resolution_events

    def _current(self, market: Market):
        return current_resolution(market, self._events(market))

    @extend_schema_field(adjudication.CitedPaperSerializer(many=True))
    def get_cited_papers(self, market: Market) -> list[dict]:
        current = self._current(market)
        return adjudication.CitedPaperSerializer(current.cited.all(), many=True).data \
            if current else []

    def get_reason(self, market: Market) -> str:
        current = self._current(market)
        return current.reason if current else ""

    def get_resolved_by(self, market: Market) -> str | None:
        current = self._current(market)
        if current is None:
            return None
        return current.actor.get_full_name() or current.actor.get_username()

    @extend_schema_field(adjudication.ResolutionEventSerializer(many=True))
    def get_history(self, market: Market) -> list[dict]:
        return adjudication.ResolutionEventSerializer(self._events(market), many=True).data


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
        return CandidacySerializer(rows, many=True, context=context).data

    @extend_schema_field(ResolutionSerializer)
    def get_resolution(self, market: Market) -> dict:
        return ResolutionSerializer(market).data


class CandidacyOfPaperSerializer(serializers.ModelSerializer):
    market = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    claims = ClaimSerializer(many=True, read_only=True)

    class Meta:
        model = Candidacy
        fields = ["market", "status", "task", "claimed_result", "baselines_compared", "claims"]


class PaperDetailSerializer(PaperSummarySerializer):
    candidacies = CandidacyOfPaperSerializer(many=True, read_only=True)
    replication_runs = serializers.SerializerMethodField()

    class Meta(PaperSummarySerializer.Meta):
        fields = PaperSummarySerializer.Meta.fields + [
            "arxiv_version", "abstract", "published", "updated", "kind", "uses_sae",
            "source_urls", "candidacies", "replication_runs",
        ]

    @extend_schema_field(RunOfPaperSerializer(many=True))
    def get_replication_runs(self, paper: Paper) -> list[dict]:
        return runs_for_paper(paper)
