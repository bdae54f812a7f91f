"""Read-only API of replication runs."""

from __future__ import annotations

from rest_framework import generics

from replication.models import ReplicationRun
from replication.serializers import ReplicationRunSerializer


class RunList(generics.ListAPIView):
    serializer_class = ReplicationRunSerializer
    queryset = ReplicationRun.objects.select_related("spec", "result").order_by("-queued_at", "-id")


class RunDetail(generics.RetrieveAPIView):
    serializer_class = ReplicationRunSerializer
    queryset = ReplicationRun.objects.select_related("spec", "result")
