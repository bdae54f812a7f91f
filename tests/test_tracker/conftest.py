"""Fixtures shared by the ingestion tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def search(db):
    """A saved arXiv search on one market (the recorded pages answer any query)."""
    from tracker.models import Market, SavedSearch

    market = Market.objects.create(slug="sae", title="SAEs beat baselines?")
    return SavedSearch.objects.create(market=market, name="SAEs", query='abs:"sparse autoencoder"',
                                      categories=["cs.LG", "cs.CL"])
