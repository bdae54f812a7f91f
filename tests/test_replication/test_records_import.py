"""`manage.py import_result DIR`: a result computed on another machine is imported only when
its spec hash, verdict rule and harness version are this tracker's; each refusal says why
and writes nothing (no run, no file). The imported run's page names its submitter and
whether it was reproduced here."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from replication.models import ReplicationRun
from tests.test_replication import records_world as world
from tracker.seeding import SEED_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(replication_storage):
    """This test's artefact storage folder (tests/conftest.py)."""
    return replication_storage


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return world.recorded_seed(tmp_path_factory.mktemp("computed"))




@pytest.fixture
def spec(db, recorded):
    """The tracker knows the spec (the seed loaded, without the record)."""
    from replication import seed as replication_seed
    from tracker import seed as tracker_seed

    tracker_seed.load(SEED_DIR)
    entries = json.loads((recorded / "replication" / "specs.json").read_text())["specs"]
    return replication_seed.seeded_spec(recorded, entries[0]["key"])


@pytest.fixture
def computed(recorded, tmp_path):
    """The harness output folder a lab sends: a private copy to edit."""
    folder = tmp_path / "from-the-lab"
    shutil.copytree(world.record_folder(recorded), folder)
    (folder / "record.json").unlink()  # a plain harness output folder has none
    return folder


def _edit(folder, change) -> None:
    path = folder / "results.json"
    results = json.loads(path.read_text())
    change(results)
    path.write_text(json.dumps(results))


def _refused(folder, *, by="Lab A") -> str:
    with pytest.raises(CommandError) as caught:
        call_command("import_result", str(folder), "--submitted-by", by)
    assert not ReplicationRun.objects.exists()
    return str(caught.value)


def test_a_matching_result_is_imported_with_its_submitter(client, spec, computed, store):
    call_command("import_result", str(computed), "--submitted-by", "Lab A")

    run = ReplicationRun.objects.get()
    assert run.origin == ReplicationRun.Origin.IMPORTED and run.spec == spec
    assert (store / "replications" / str(run.pk) / "results.json").read_bytes() == (
        computed / "results.json").read_bytes()
    page = client.get(f"/replications/{run.pk}/").content.decode()
    assert "submitted by Lab A" in page
    assert f"python manage.py replicate --reproduce {run.pk}" in page  # not reproduced yet


def test_the_same_result_twice_is_refused_and_not_duplicated(spec, computed, store):
    call_command("import_result", str(computed), "--submitted-by", "Lab A")

    with pytest.raises(CommandError, match=r"\(duplicate\).*already run"):
        call_command("import_result", str(computed), "--submitted-by", "Lab B")
    assert ReplicationRun.objects.count() == 1


@pytest.mark.parametrize(("kind", "change", "reason"), [
    ("spec_hash", lambda r: r.update(spec={**r["spec"], "name": "another spec"},
                                     spec_hash=_hash({**r["spec"], "name": "another spec"})),
     "No spec here has hash"),
    ("rule_version", lambda r: r["rule"].update(version=r["rule"]["version"] - 1),
     "verdict rule version"),
    ("harness_version", lambda r: r["provenance"].update(harness_version="0"),
     "harness version 0 is not this code's"),
    ("tampered", lambda r: r["spec"]["protocol"].update(split_seeds=50),
     "does not hash to its spec_hash"),
])
def test_each_mismatch_is_refused_with_its_reason(spec, computed, store, kind, change,
                                                  reason):
    _edit(computed, change)

    message = _refused(computed)

    assert f"({kind})" in message and reason in message
    assert not store.exists() or not any(store.rglob("*.json"))


def _hash(spec_block) -> str:
    from replication.records import spec_hash_of_results

    return spec_hash_of_results({"spec": spec_block})


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda f: (f / "results.json").unlink(), "has no results.json"),
    (lambda f: (f / "results.json").write_text("{not json"), "is not valid JSON"),
    (lambda f: (f / "results.json").write_text("[1, 2]"), "is not a JSON object"),
    (lambda f: _edit(f, lambda r: r.pop("verdict")), "has no 'verdict'"),
    (lambda f: _edit(f, lambda r: r.update(verdict="wins")), "verdict 'wins' is not one of"),
    (lambda f: (f / "deltas.png").write_bytes(b"GIF89a"), "is not a PNG image"),
    (lambda f: (f / "summary.md").write_bytes(b"\xff\xfe\x00"), "is not UTF-8 text"),
])
def test_a_malformed_folder_is_refused_with_a_clear_message(spec, computed, store, damage,
                                                             reason):
    damage(computed)

    message = _refused(computed)

    assert "(malformed)" in message and reason in message


def test_a_missing_folder_and_a_missing_submitter_are_refused(spec, computed, tmp_path):
    assert "is not a folder" in _refused(tmp_path / "nowhere")
    assert "Say who computed the result" in _refused(computed, by="  ")
