from rest_framework import serializers

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

    class Meta:
        model = Candidacy
        fields = ["paper", "status", "task", "claimed_result", "baselines_compared"]


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


class MarketDetailSerializer(serializers.ModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)
    candidacies = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()

    class Meta:
        model = Market
        fields = [
            "slug", "title", "platform", "url", "creator", "description", "status",
            "resolution", "criteria", "candidacies",
        ]

    def get_candidacies(self, market: Market) -> list[dict]:
        rows = self.context.get("candidacies", market.candidacies.all())
        return CandidacySerializer(rows, many=True).data

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

    class Meta(PaperSummarySerializer.Meta):
        fields = PaperSummarySerializer.Meta.fields + [
            "arxiv_version", "abstract", "published", "updated", "kind", "uses_sae",
            "source_urls", "candidacies",
        ]
