"""A recorded result on the pages (paper, run, market matrix) with its provenance; "not
recorded yet" with the command where a spec has none; a reproduction's agreement with its
record; the admin's Reproduce and "Replicate a shipped spec"; artefacts through storage."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from replication import recording, records
from replication.models import ReplicationRun
from tests.test_replication import records_world as world
from tracker.seeding import SEED_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(replication_storage):
    """This test's artefact storage folder (tests/conftest.py)."""
    return replication_storage
PAPER = f"/papers/{world.CANDIDACY['paper']}/"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return world.recorded_seed(tmp_path_factory.mktemp("pages"))




@pytest.fixture
def record_run(db, recorded, store):
    from replication import seed as replication_seed
    from tracker import seed as tracker_seed

    tracker_seed.load(SEED_DIR)
    replication_seed.load(recorded)
    return ReplicationRun.objects.get(origin=ReplicationRun.Origin.RECORDED)


def test_the_paper_page_shows_the_record_with_its_provenance(client, record_run):
    prov = record_run.provenance
    page = client.get(PAPER).content.decode()

    assert f'id="replication-run-{record_run.pk}"' in page
    assert "Recorded elsewhere" in page
    assert f'<span class="badge {record_run.verdict}">' in page
    assert "95% interval" in page  # the effect and its CI
    assert "What world" not in page and "What tiny-probe leaves out." in page
    for value in (prov["code_commit"][:12], prov["spec_hash"][:12], prov["machine"],
                  f"version {prov['rule_version']}, harness version {prov['harness_version']}"):
        assert value in page
    assert f"replicate --reproduce {record_run.pk}" in page


def test_the_api_and_the_runs_list_give_the_origin_and_provenance(client, record_run):
    body = client.get(f"/api/replications/{record_run.pk}/").json()
    listing = client.get("/replications/").content.decode()

    assert body["origin"] == "recorded" and body["provenance"] == record_run.provenance
    assert "<td>Recorded elsewhere</td>" in listing


def test_the_market_matrix_links_the_record(client, record_run):
    page = client.get("/markets/sae-downstream-beat-baselines/").content.decode()

    assert f'href="/replications/{record_run.pk}/"' in page


def test_a_seeded_spec_without_a_record_says_not_recorded_yet(client, db, tmp_path):
    import shutil

    from replication import seed as replication_seed
    from tracker import seed as tracker_seed

    # the shipped seed with one spec's record taken away (every shipped spec has one)
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_DIR, seed_dir)
    key = sorted(recording.seeded_specs(seed_dir))[0]
    shutil.rmtree(records.record_folders(seed_dir, "replication").get(key, tmp_path / "none"),
                  ignore_errors=True)
    tracker_seed.load(seed_dir)
    replication_seed.load(seed_dir)
    spec = ReplicationRun.objects.none().model.spec.field.related_model.objects.get(key=key)
    page = client.get(spec.candidacy.paper.get_absolute_url()).content.decode()

    assert f"not recorded yet. <code>python manage.py replicate --record {key}</code>" in page


def test_the_record_files_are_served_from_the_storage(client, record_run, store):
    png = client.get(f"/replications/{record_run.pk}/deltas.png")
    results = client.get(f"/replications/{record_run.pk}/results.json")

    folder = store / "replications" / str(record_run.pk)
    assert b"".join(png.streaming_content) == (folder / "deltas.png").read_bytes()
    assert b"".join(results.streaming_content) == (folder / "results.json").read_bytes()


def test_a_reproduction_says_whether_it_agrees_on_both_pages(client, record_run):
    call_command("replicate", "--reproduce", str(record_run.pk))

    again = ReplicationRun.objects.get(reproduces=record_run)
    agreement = again.agreement
    assert again.origin == ReplicationRun.Origin.HERE and again.spec == record_run.spec
    # The harness is deterministic for a fixed spec: the same numbers, so it agrees.
    assert agreement["agrees"] and agreement["delta"] == agreement["record_delta"]
    page = client.get(f"/replications/{again.pk}/").content.decode()
    record_page = client.get(f"/replications/{record_run.pk}/").content.decode()
    assert "agrees</span>" in page and f"run {record_run.pk}</a> (recorded elsewhere)" in page
    assert f'<a href="/replications/{again.pk}/">run {again.pk}</a>: ' in record_page


def test_agreement_is_the_same_verdict_and_the_effect_inside_the_records_interval():
    def results(verdict, delta, low=None, high=None):
        return {"verdict": verdict, "overall": {"delta": delta, "ci_low": low, "ci_high": high}}

    record = results("beats", 0.05, 0.02, 0.08)
    cases = [
        (results("beats", 0.03), True, True, True),
        (results("beats", 0.09), True, False, False),
        (results("inconclusive", 0.03), False, True, False),
        (results("beats", None), True, None, False),
    ]
    for new, same, within, agrees in cases:
        found = records.agreement(record, new)
        assert (found["same_verdict"], found["within_ci"], found["agrees"]) == (
            same, within, agrees)


@pytest.fixture
def no_eager():
    """The admin's runs go to the (filesystem) broker instead of running in the test."""
    from tracker.celery import app

    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_the_admin_reproduce_action_queues_a_reproduction_and_links_it(
        admin_client, record_run, no_eager, django_capture_on_commit_callbacks):
    response = admin_client.post("/admin/replication/replicationrun/", {
        "action": "reproduce", "_selected_action": [record_run.pk]}, follow=True)

    again = ReplicationRun.objects.get(reproduces=record_run)
    assert again.status == "queued" and again.spec_id == record_run.spec_id
    assert f'href="/admin/replication/replicationrun/{again.pk}/change/"' in (
        response.content.decode())


def test_the_admin_offers_every_shipped_spec_and_links_the_run(admin_client, db, no_eager):
    from tracker import seed as tracker_seed

    tracker_seed.load(SEED_DIR)
    form = admin_client.get("/admin/replication/replicationspec/replicate-shipped/")
    page = form.content.decode()
    for key in recording.seeded_specs(SEED_DIR):
        assert f'value="seed:{key}"' in page
    for path in sorted((SEED_DIR.parent / "replication" / "specs").glob("*.toml")):
        assert f'value="file:{path.name}"' in page

    response = admin_client.post("/admin/replication/replicationspec/replicate-shipped/",
                                 {"spec": "seed:ood-detection-casper"}, follow=True)

    run = ReplicationRun.objects.get()
    assert run.spec.key == "ood-detection-casper" and run.status == "queued"
    assert f'<a href="/replications/{run.pk}/">its page</a>' in response.content.decode()
