"""Recorded results: `replicate --record` writes harness output with provenance under the
seed, `load_seed` loads it once as a run "recorded elsewhere", and the CI guard fails on a
present record whose spec, verdict rule or harness changed (a missing record is allowed)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from replication import recording, records
from replication.models import ReplicationRun
from tests.replication_specs import synthetic_spec_text
from tests.test_replication import records_world as world
from tracker.seeding import SEED_DIR


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return world.recorded_seed(tmp_path_factory.mktemp("recorded"))


@pytest.fixture
def seed(recorded, tmp_path):
    return world.copy_seed(recorded, tmp_path / "seed")


# --- the CI guard ---------------------------------------------------------------------------


def test_every_shipped_record_matches_its_spec_rule_and_harness():
    """The guard: a changed spec, verdict rule or harness must be re-recorded
    (`manage.py replicate --record KEY`), never shown under the old numbers."""
    assert recording.stale_records(SEED_DIR) == {}


def test_every_shipped_record_names_a_seeded_spec():
    present = records.record_folders(SEED_DIR, recording.FOLDER)
    assert set(present) <= set(recording.seeded_specs(SEED_DIR))


def test_a_fresh_record_is_current(seed):
    assert recording.stale_records(seed) == {}


def test_the_guard_catches_an_edited_spec(seed):
    spec = seed / "replication" / f"{world.KEY}.toml"
    spec.write_text(spec.read_text().replace("split_seeds = 2", "split_seeds = 3"))

    stale = recording.stale_records(seed)

    assert list(stale) == [world.KEY]
    assert "the spec changed" in stale[world.KEY][0]


def test_the_guard_catches_a_new_verdict_rule_and_harness(seed, monkeypatch):
    from replication.harness import stats

    monkeypatch.setattr(stats, "RULE_VERSION", stats.RULE_VERSION + 1)
    monkeypatch.setattr("replication.harness.HARNESS_VERSION", "next")

    reasons = recording.stale_records(seed)[world.KEY]

    assert any("verdict rule version" in r for r in reasons)
    assert any("harness version" in r for r in reasons)


def test_the_guard_catches_a_hand_edited_result(seed):
    path = world.record_folder(seed) / "results.json"
    results = json.loads(path.read_text())
    results["spec"]["protocol"]["split_seeds"] = 99  # numbers "from" a bigger run
    path.write_text(json.dumps(results))

    assert "edited after the harness wrote it" in recording.stale_records(seed)[world.KEY][0]


def test_a_missing_record_is_allowed(tmp_path):
    seed = world.write_seed(tmp_path / "seed")
    assert recording.stale_records(seed) == {}


# --- the record on disk ---------------------------------------------------------------------


def test_a_record_keeps_the_harness_files_and_provenance_never_checkpoints(seed):
    folder = world.record_folder(seed)
    document = json.loads((folder / "record.json").read_text())
    results = json.loads((folder / "results.json").read_text())
    prov = document["provenance"]

    assert sorted(p.name for p in folder.iterdir()) == [
        "deltas.png", "record.json", "results.json", "summary.md"]
    assert prov["spec_hash"] == results["spec_hash"]
    assert prov["rule_version"] == results["rule"]["version"]
    assert prov["harness_version"] == results["provenance"]["harness_version"]
    assert prov["code_commit"] and prov["machine"] and prov["device"] == "cpu"
    assert prov["wall_seconds"] > 0 and prov["date"].startswith("20")
    assert document["recording"]["command"] == f"python manage.py replicate --record {world.KEY}"
    assert document["recording"]["load_average_start"]


def test_record_all_goes_on_after_a_failure_and_names_it(tmp_path):
    broken = synthetic_spec_text(name="broken").replace('datasets = ["sparse_atom"]',
                                                        'datasets = ["no_such_dataset"]')
    seed = world.write_seed(tmp_path / "seed", specs={
        "broken-first": broken, world.KEY: synthetic_spec_text(name="tiny probe")})

    with pytest.raises(CommandError) as caught:
        call_command("replicate", "--record-all", "--seed-dir", str(seed))

    assert "1 of 2 not recorded: broken-first" in str(caught.value)
    assert list(records.record_folders(seed, "replication")) == [world.KEY]


def test_an_unknown_key_is_refused_with_the_seeded_keys(seed):
    with pytest.raises(CommandError, match=f"seeded: {world.KEY}"):
        call_command("replicate", "--record", "nope", "--seed-dir", str(seed))


# --- loading ----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    from tracker import seed as tracker_seed

    tracker_seed.load(SEED_DIR)


def _load(seed):
    from replication import seed as replication_seed

    replication_seed.load(seed)


def test_load_seed_loads_a_record_once_as_recorded_elsewhere(catalogue, seed, settings,
                                                              tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    _load(seed)
    _load(seed)

    run = ReplicationRun.objects.get()
    document = json.loads((world.record_folder(seed) / "record.json").read_text())
    assert run.origin == ReplicationRun.Origin.RECORDED and run.status == "succeeded"
    assert run.result.verdict == json.loads(
        (world.record_folder(seed) / "results.json").read_text())["verdict"]
    assert {k: run.provenance[k] for k in document["provenance"]} == document["provenance"]
    assert run.spec.candidacy.paper.arxiv_id == world.CANDIDACY["paper"]
    assert run.result.artifacts == ["results.json", "summary.md", "deltas.png"]


def test_a_stale_record_is_left_out_and_said_so(catalogue, seed, capsys):
    spec = seed / "replication" / f"{world.KEY}.toml"
    spec.write_text(spec.read_text().replace("split_seeds = 2", "split_seeds = 3"))

    _load(seed)

    assert not ReplicationRun.objects.exists()
    assert f"record {world.KEY} not loaded" in capsys.readouterr().err


def test_a_changed_record_does_not_mark_the_code_commit_dirty_but_changed_code_does(tmp_path):
    """--record-all writes one record after another: the next record's commit must stay
    clean, while an uncommitted code change must show."""
    import subprocess

    from replication.harness.provenance import git_commit

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "record.json").write_text("{}")
    (tmp_path / "code.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")

    (tmp_path / "seed" / "record.json").write_text('{"new": 1}')
    assert not git_commit(tmp_path).endswith("-dirty")
    (tmp_path / "code.py").write_text("x = 2\n")
    assert git_commit(tmp_path).endswith("-dirty")
