"""Read-only API of replication runs."""

from __future__ import annotations

from rest_framework import generics

from replication.models import ReplicationRun
from replication.serializers import ReplicationRunSerializer
from tracker import api_cache


@api_cache.cached
class RunList(generics.ListAPIView):
    serializer_class = ReplicationRunSerializer
    queryset = ReplicationRun.objects.select_related("spec", "result").order_by("-queued_at", "-id")


@api_cache.cached
class RunDetail(generics.RetrieveAPIView):
    serializer_class = ReplicationRunSerializer
    queryset = ReplicationRun.objects.select_related("spec", "result")
