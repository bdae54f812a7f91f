"""Fixtures for the harness tests: offline models, a private embedding cache, one torch thread."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _harness_environment(request, tmp_path_factory, monkeypatch):
    """Harness tests get a per-session embedding cache and a single torch thread (CI machines
    are small and shared; OpenMP oversubscription makes small matmuls far slower)."""
    if not request.node.get_closest_marker("harness"):
        yield
        return
    cache = tmp_path_factory.getbasetemp() / "embedding-cache"
    monkeypatch.setenv("REPLICATION_CACHE_DIR", str(cache))
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
