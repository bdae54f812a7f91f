"""JSON shapes of replication runs for the public API, and the paper endpoint's shape (a
catalogue paper with its runs: the catalogue does not import replication)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from replication import results as R
from replication.models import ReplicationRun
from tracker import content_version, page_reads
from tracker.models import Paper
from tracker.serializers import CandidacyOfPaperSerializer, PaperSummarySerializer


class ReplicationRunSerializer(serializers.ModelSerializer):
    spec = serializers.SerializerMethodField()
    verdict = serializers.SerializerMethodField()
    overall = serializers.SerializerMethodField()
    datasets = serializers.SerializerMethodField()
    seeds = serializers.SerializerMethodField()
    results_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReplicationRun
        fields = [
            "id", "url", "spec", "status", "verdict", "overall", "datasets", "seeds",
            "progress", "progress_message", "queue", "device", "device_used", "attempts",
            "queued_at", "started_at", "finished_at", "error", "results_url",
            "origin", "submitted_by", "provenance", "reproduces",
        ]

    def to_representation(self, run: ReplicationRun) -> dict[str, Any]:
        # The live columns change without moving the runs table's version: a cached answer
        # showing them is keyed by their own (tracker/content_version.py, LIVE_COLUMNS).
        table = ReplicationRun._meta.db_table
        if set(content_version.LIVE_COLUMNS.get(table, ())) & set(self.fields):
            page_reads.note(content_version.live_name(table))
        return super().to_representation(run)

    def _results(self, run: ReplicationRun) -> dict[str, Any] | None:
        result = run.result_or_none
        return result.results if result else None

    def get_spec(self, run: ReplicationRun) -> dict[str, Any]:
        spec = run.spec
        return {"id": spec.pk, "key": spec.key, "version": spec.version, "task": spec.task,
                "spec_hash": spec.spec_hash, "title": spec.title}

    def get_verdict(self, run: ReplicationRun) -> str | None:
        return run.verdict or None

    def get_overall(self, run: ReplicationRun) -> dict[str, Any] | None:
        results = self._results(run)
        return R.overall(results) if results else None

    def get_datasets(self, run: ReplicationRun) -> list[dict[str, Any]]:
        results = self._results(run)
        if not results:
            return []
        return [{k: v for k, v in row.items() if k != "regimes"} | {"regimes": row["regimes"]}
                for row in R.dataset_rows(results)]

    def get_seeds(self, run: ReplicationRun) -> dict[str, Any] | None:
        results = self._results(run)
        return R.seeds(results) if results else None

    def get_results_url(self, run: ReplicationRun) -> str | None:
        if run.result_or_none is None:
            return None
        return reverse("replication:results-json", args=[run.pk])

    def get_url(self, run: ReplicationRun) -> str:
        return reverse("replication:run", args=[run.pk])


class RunOfPaperSerializer(ReplicationRunSerializer):
    """The short form listed on /api/papers/<id>/."""

    class Meta(ReplicationRunSerializer.Meta):
        fields = ["id", "url", "spec", "status", "verdict", "overall", "seeds", "finished_at",
                  "results_url", "origin"]


def runs_for_paper(paper: Any) -> list[dict[str, Any]]:
    """Every run of a spec linked to one of the paper's candidacies, newest first."""
    runs = (
        ReplicationRun.objects.filter(spec__candidacy__paper=paper)
        .select_related("spec", "result").order_by("-queued_at", "-id")
    )
    return list(RunOfPaperSerializer(runs, many=True).data)


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
