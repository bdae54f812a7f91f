"""Shared fixtures. Tasks run eagerly (in-process) unless a test is marked `services`,
in which case it talks to a real worker process through the configured broker."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def eager_celery(request):
    if request.node.get_closest_marker("services") or request.node.get_closest_marker("harness"):
        yield
        return
    from tracker.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def seeded(db):
    """The shipped seed, loaded through `load_seed`'s own code path."""
    from tracker.seeding import load_all

    load_all()


@pytest.fixture
def seed_market(seeded):
    from tracker.models import Market

    return Market.objects.get(slug="sae-downstream-beat-baselines")
