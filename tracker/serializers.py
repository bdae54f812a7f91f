"""JSON shapes of the catalogue (markets, criteria, papers, claims). Shapes that carry
adjudication or replication (a market's verdicts and resolution, a paper's runs) live in
those apps' serializers: the catalogue imports neither."""

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


class MarketSummarySerializer(serializers.ModelSerializer):
    candidacy_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Market
        fields = [
            "slug", "title", "platform", "url", "creator", "status", "outcome", "candidacy_count"
        ]


class CandidacyOfPaperSerializer(serializers.ModelSerializer):
    # Quoted: the stubs make the field generic, DRF's class is not subscriptable.
    market: "serializers.SlugRelatedField[Market]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    claims = ClaimSerializer(many=True, read_only=True)

    class Meta:
        model = Candidacy
        fields = ["market", "status", "task", "claimed_result", "baselines_compared", "claims"]
