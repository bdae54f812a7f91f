"""Specs are frozen and versioned; the seed ships four, linked to what they test."""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from replication import services
from replication.models import ReplicationSpec
from tests.replication_specs import make_spec, tiny_spec_text
from tracker.models import Candidacy, Paper
from tracker.seeding import SEED_DIR, SeedError, load_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def specs_seeded(db):
    """The catalogue and replication seeds only (the full seed is slower)."""
    from replication import seed as replication_seed
    from tracker import seed as tracker_seed

    tracker_seed.load(SEED_DIR)
    replication_seed.load(SEED_DIR)


def test_a_spec_records_its_hash_task_and_device():
    spec = make_spec(text=tiny_spec_text(device="cuda"))

    assert len(spec.spec_hash) == 64
    assert (spec.task, spec.device, spec.version) == ("sparse_probing", "cuda", 1)
    assert spec.queue == "gpu"


def test_editing_a_spec_makes_the_next_version_and_keeps_the_old_one():
    first = make_spec(key="probe")
    second = make_spec(key="probe", text=tiny_spec_text(steps=31))

    assert (first.version, second.version) == (1, 2)
    assert second.previous == first
    assert first.spec_hash != second.spec_hash
    first.refresh_from_db()
    assert first.text == tiny_spec_text()
    assert not first.is_latest and second.is_latest


def test_saving_the_same_text_again_returns_the_same_version():
    first = make_spec(key="probe")
    again = make_spec(key="probe")

    assert again.pk == first.pk
    assert ReplicationSpec.objects.filter(key="probe").count() == 1


def test_a_saved_version_cannot_be_changed_in_place():
    spec = make_spec()
    spec.text = tiny_spec_text(steps=99)

    with pytest.raises(ValidationError, match="frozen"):
        spec.save()


def test_an_invalid_spec_is_refused_naming_the_field():
    with pytest.raises(ValidationError, match=r"sae\.k"):
        make_spec(text=tiny_spec_text().replace("k = 4", "k = 99"))  # k > width


def test_a_hard_limit_above_the_visibility_timeout_is_refused(settings):
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}

    with pytest.raises(ValidationError, match="visibility timeout"):
        make_spec(time_limit=900, soft_time_limit=800)


def test_the_soft_limit_must_be_below_the_hard_one():
    with pytest.raises(ValidationError, match="soft time limit"):
        make_spec(time_limit=100, soft_time_limit=100)


def test_the_seed_ships_its_specs_linked_to_what_they_test(seeded):
    specs = {s.key: s for s in ReplicationSpec.objects.all()}
    before = list(ReplicationSpec.objects.values_list("pk", "version", "spec_hash"))
    load_all()
    assert list(ReplicationSpec.objects.values_list("pk", "version", "spec_hash")) == before

    assert set(specs) == {
        "sparse-probing-kantamneni",
        "hypothesis-predictivity-movva",
        "ood-detection-casper",
        "shift-analogue-marks",
        "steering-axbench",
        "steering-golden-gate",
        "steering-sieve",
        "steering-refusal-direction",
    }
    assert specs["steering-axbench"].candidacy.paper.arxiv_id == "2501.17148"
    assert specs["steering-golden-gate"].candidacy.paper.slug == "golden-gate-claude"
    assert specs["steering-sieve"].candidacy.paper.slug == "sieve"
    assert specs["steering-refusal-direction"].candidacy.paper.arxiv_id == "2406.11717"
    assert specs["sparse-probing-kantamneni"].candidacy.paper.arxiv_id == "2502.16681"
    assert specs["sparse-probing-kantamneni"].claims.count() == 2
    assert specs["hypothesis-predictivity-movva"].candidacy.paper.arxiv_id == "2502.04382"
    assert specs["shift-analogue-marks"].candidacy.paper.arxiv_id == "2403.19647"
    assert specs["ood-detection-casper"].candidacy is None
    assert "anomaly detector" in specs["ood-detection-casper"].note
    assert {s.task for s in specs.values()} == {
        "sparse_probing",
        "hypothesis_predictivity",
        "ood_detection",
        "spurious_correlation_removal",
        "steering",
    }


def test_an_edited_seed_file_becomes_the_next_version(specs_seeded, tmp_path):
    from replication import seed as replication_seed

    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    path = seed_dir / "replication" / "sparse_probing_kantamneni.toml"
    path.write_text(path.read_text().replace("split_seeds = 10", "split_seeds = 12"))

    replication_seed.load(seed_dir)

    versions = ReplicationSpec.objects.filter(key="sparse-probing-kantamneni")
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]


def test_a_broken_seed_record_is_named(specs_seeded, tmp_path):
    from replication import seed as replication_seed

    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    manifest = json.loads((seed_dir / "replication" / "specs.json").read_text())
    manifest["specs"][1]["candidacy"] = {"paper": "9999.99999", "market": "nope"}
    (seed_dir / "replication" / "specs.json").write_text(json.dumps(manifest))

    with pytest.raises(SeedError, match=r"specs\[1\] \('hypothesis-predictivity-movva'\)"):
        replication_seed.load(seed_dir)


def test_specs_for_a_candidacy_or_a_claim_are_their_latest_versions(specs_seeded):
    candidacy = Candidacy.objects.get(paper=Paper.objects.get(arxiv_id="2502.16681"))
    spec = ReplicationSpec.objects.get(key="sparse-probing-kantamneni")
    newer = services.create_spec_version(
        key=spec.key,
        text=spec.text.replace("split_seeds = 10", "split_seeds = 11"),
        candidacy=candidacy,
        claims=spec.claims.all(),
        time_limit=spec.time_limit,
        soft_time_limit=spec.soft_time_limit,
    )

    assert services.latest_specs_for(candidacies=[candidacy]) == [newer]
    assert services.latest_specs_for(claims=candidacy.claims.all()[:1]) == [newer]


def test_the_replicate_command_refuses_an_unknown_spec(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No spec file, id, hash or key"):
        call_command("replicate", "no-such-spec")


def test_the_replicate_command_finds_a_spec_by_hash_prefix_and_key(db):
    from replication.management.commands.replicate import resolve_spec

    spec = make_spec(key="probe")

    assert resolve_spec(spec.spec_hash[:10]) == spec
    assert resolve_spec("probe") == spec
    assert resolve_spec(str(spec.pk)) == spec


def test_the_replicate_command_saves_a_spec_file_as_a_version(db, tmp_path):
    from replication.management.commands.replicate import resolve_spec

    path = tmp_path / "my_probe.toml"
    path.write_text(tiny_spec_text())

    spec = resolve_spec(str(path))

    assert (spec.key, spec.version) == ("my-probe", 1)
    assert resolve_spec(str(path)) == spec


def test_the_replicate_command_reuses_a_seeded_spec_given_as_its_file(specs_seeded):
    from replication.management.commands.replicate import resolve_spec

    path = SEED_DIR / "replication" / "sparse_probing_kantamneni.toml"

    assert resolve_spec(str(path)) == ReplicationSpec.objects.get(key="sparse-probing-kantamneni")


def test_an_edited_copy_of_a_seeded_spec_keeps_what_it_tests(specs_seeded, tmp_path):
    from replication.management.commands.replicate import resolve_spec

    seeded = ReplicationSpec.objects.get(key="sparse-probing-kantamneni")
    path = tmp_path / "sparse_probing_kantamneni.toml"
    path.write_text(seeded.text.replace("split_seeds = 10", "split_seeds = 12"))

    spec = resolve_spec(str(path))

    assert (spec.key, spec.version, spec.candidacy) == (seeded.key, 2, seeded.candidacy)
    assert set(spec.claims.all()) == set(seeded.claims.all())


def test_claims_need_their_candidacy(specs_seeded):
    seeded = ReplicationSpec.objects.get(key="sparse-probing-kantamneni")

    with pytest.raises(ValidationError, match="through their candidacy"):
        make_spec(key="orphan", claims=seeded.claims.all())
