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


@pytest.fixture(autouse=True)
def empty_page_cache(settings):
    """Each test starts with no cached pages, in this process: a test's rolled-back writes
    take the content version back to a number an earlier test's pages were kept under (in
    production a rolled-back write publishes nothing, so the version never goes back).
    Never a PAGE_CACHE_URL's Redis, whose whole database a clear() would empty."""
    from django.core.cache import caches

    settings.CACHES = {**settings.CACHES, "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "test-pages"}}
    caches["pages"].clear()
    yield


@pytest.fixture(autouse=True)
def empty_default_cache():
    """Each test starts with no throttle history: the API throttles count requests in the
    default cache, and a whole run's requests from one test client within a minute would
    otherwise reach the anonymous rate and answer 429 to later tests."""
    from django.core.cache import caches

    caches["default"].clear()
    yield


@pytest.fixture(autouse=True)
def replication_storage(settings, tmp_path_factory):
    """Each test publishes replication artefacts (replication.artifacts) to a folder of its
    own: run ids restart in every test database, so a shared folder would serve an earlier
    test's files."""
    folder = tmp_path_factory.mktemp("replication-storage")
    settings.STORAGES = {**settings.STORAGES, "replication": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder)}}}
    yield folder


@pytest.fixture
def no_page_cache(settings):
    """For query counts: every request renders, as it does after a write."""
    settings.PAGE_CACHE_SECONDS = 0


# The seed takes seconds to load through the services (every assessment recomputes its
# verdict); many tests need it. The first test of a run loads it through `load_seed`'s own
# code path and keeps a serialised copy that later tests restore in a fraction of the time.
# tests/test_tracker/test_load_seed.py always goes through the real loader.
SEEDED_APPS = {"tracker", "evaluations", "forecasts", "replication"}
_seed_snapshots: dict[str, str] = {}


def _seeded_querysets():
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.core.serializers import sort_dependencies

    # The content log is written by the database's triggers as the rows go in.
    models = [m for m in apps.get_models() if m._meta.app_label in SEEDED_APPS
              and not m._meta.proxy and m._meta.label != "tracker.ContentChange"]
    models.append(get_user_model())
    ordered = sort_dependencies([(None, models)], allow_cycles=True)
    return [model._default_manager.order_by("pk") for model in ordered]


def _snapshot() -> str:
    from django.core import serializers

    return serializers.serialize(
        "json", [obj for qs in _seeded_querysets() for obj in qs],
        use_natural_foreign_keys=True,
    )


def _restore(snapshot: str) -> None:
    """Insert the snapshot's rows model by model, a few hundred to a statement, rather
    than an UPDATE and an INSERT a row (the snapshot is in dependency order, so the rows
    a natural key names are in before the rows that name them). Raw inserts, as
    deserialisation saves: the stored timestamps are kept, not set to now."""
    from django.core import serializers
    from django.core.management.color import no_style
    from django.db import connection, transaction

    with transaction.atomic():
        models: list[type] = []
        batch: list = []
        relations: list = []

        def flush() -> None:
            if batch:
                model = type(batch[0].object)
                fields = model._meta.local_concrete_fields
                rows = [d.object for d in batch]
                for start in range(0, len(rows), 200):
                    model._base_manager._insert(rows[start:start + 200], fields=fields,
                                                raw=True)
                relations.extend(d for d in batch if d.m2m_data)
                batch.clear()

        for deserialized in serializers.deserialize("json", snapshot,
                                                    handle_forward_references=True):
            model = type(deserialized.object)
            if batch and type(batch[0].object) is not model:
                flush()
            if model not in models:
                models.append(model)
            batch.append(deserialized)
        flush()
        for deserialized in relations:  # many-to-many rows, once both sides are in
            for name, values in deserialized.m2m_data.items():
                getattr(deserialized.object, name).set(values)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)


@pytest.fixture
def seeded(db):
    """The shipped seed, as `load_seed` loads it."""
    from django.db import connection

    from tracker.seeding import load_all

    if connection.vendor in _seed_snapshots:
        _restore(_seed_snapshots[connection.vendor])
    else:
        load_all()
        _seed_snapshots[connection.vendor] = _snapshot()


@pytest.fixture
def seed_market(seeded):
    from tracker.models import Market

    return Market.objects.get(slug="sae-downstream-beat-baselines")
