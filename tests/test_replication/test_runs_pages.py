"""Readers see each run's verdict, per-dataset deltas with intervals, seeds and spec hash on
the paper page, can download results.json, and find the runs in the API. Operators launch,
watch, cancel and re-queue runs in the admin."""

from __future__ import annotations

import json

import pytest

from replication import artifacts, services
from replication.models import ReplicationRun
from tests.replication_specs import make_spec, results_dict
from tracker.models import Candidacy

pytestmark = pytest.mark.django_db

Status = ReplicationRun.Status


@pytest.fixture
def catalogue(db):
    """The catalogue and replication seeds only (the full seed is slower)."""
    from replication import seed as replication_seed
    from tracker import seed as tracker_seed
    from tracker.seeding import SEED_DIR

    tracker_seed.load(SEED_DIR)
    replication_seed.load(SEED_DIR)


@pytest.fixture
def candidacy(catalogue):
    return Candidacy.objects.select_related("paper").get(paper__arxiv_id="2502.16681")


@pytest.fixture
def finished_run(candidacy, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    spec = make_spec(key="probe", candidacy=candidacy)
    run = services.create_run(spec=spec)
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    out = services.artifact_dir(run.pk)
    out.mkdir(parents=True)
    results = results_dict(
        verdict="loses",
        spec_hash=spec.spec_hash,
        datasets={
            "5_hist_fig_ismale": (-0.121, -0.150, -0.094, 0.012, "loses"),
            "87_glue_cola": (0.004, -0.02, 0.03, 0.6, "inconclusive"),
        },
    )
    (out / "results.json").write_text(json.dumps(results))
    services.finish_run(
        run_id=run.pk, attempt=attempt, results=results, out_dir=out, artifacts=["results.json"]
    )
    return ReplicationRun.objects.get(pk=run.pk)


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "replication.tasks.run_replication.apply_async",
        lambda **kw: calls.append(kw) or type("R", (), {"id": f"t-{len(calls)}"})(),
    )
    return calls


def test_the_paper_page_shows_the_verdict_deltas_seeds_and_hash(client, finished_run, candidacy):
    page = client.get(f"/papers/{candidacy.paper.arxiv_id}/").content.decode()

    assert f'id="replication-run-{finished_run.pk}"' in page
    assert '<span class="badge loses">loses</span>' in page
    assert "5_hist_fig_ismale" in page and "-0.121" in page and "-0.150 to -0.094" in page
    assert "Seeds: 10 data splits and 3 SAE trainings" in page
    spec_hash = finished_run.result.spec_hash
    assert f'<code title="{spec_hash}">{spec_hash[:12]}</code>' in page  # short, full on hover
    assert f'data-copy="{spec_hash}"' in page  # and a copy button (static/tracker/copy.js)
    # the four counts add up to the total: the inconclusive dataset is counted as undecided
    assert ("Of 2 datasets, the SAE method won on 0, tied on 0, lost on 1 and was undecided "
            "on 1.") in page
    assert "logistic regression on the activations" in page  # "logreg", spelled out
    assert f"/replications/{finished_run.pk}/results.json" in page
    # What the replication tests and does not, beside its verdict (the task's statement
    # until results.json carries its own scope).
    assert "What this replication tests" in page and "What it does not test" in page


def test_a_scope_in_results_json_replaces_the_tasks_statement(client, candidacy, tmp_path,
                                                              settings):
    settings.VAR_DIR = tmp_path
    spec = make_spec(key="scoped", candidacy=candidacy)
    run = services.create_run(spec=spec)
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    out = services.artifact_dir(run.pk)
    out.mkdir(parents=True)
    results = {**results_dict(spec_hash=spec.spec_hash),
               "scope": {"tests": "Only dataset five.", "does_not_test": "Anything else."}}
    services.finish_run(run_id=run.pk, attempt=attempt, results=results, out_dir=out,
                        artifacts=["results.json"])

    page = client.get(f"/replications/{run.pk}/").content.decode()
    assert "Only dataset five." in page and "Anything else." in page
    assert "Whether probes on a few SAE latents" not in page  # the fallback is not shown


def test_the_deltas_plot_is_served_and_shown(client, finished_run, candidacy):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    artifacts.publish(run_id=finished_run.pk, files={"deltas.png": png})
    result = finished_run.result
    result.artifacts = [*result.artifacts, "deltas.png"]
    result.save()

    response = client.get(f"/replications/{finished_run.pk}/deltas.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png
    page = client.get(f"/papers/{candidacy.paper.arxiv_id}/").content.decode()
    assert f'src="/replications/{finished_run.pk}/deltas.png"' in page
    assert 'alt="Deltas of run' in page


def test_a_run_without_a_deltas_plot_answers_404(client, finished_run):
    assert client.get(f"/replications/{finished_run.pk}/deltas.png").status_code == 404


def test_results_json_downloads_as_the_harness_wrote_it(client, finished_run):
    response = client.get(f"/replications/{finished_run.pk}/results.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    body = json.loads(b"".join(response.streaming_content))
    assert body["verdict"] == "loses"


def test_results_json_falls_back_to_the_stored_copy_when_the_file_is_gone(client, finished_run):
    artifacts.storage().delete(f"{finished_run.result.artifact_dir}/results.json")

    response = client.get(f"/replications/{finished_run.pk}/results.json")

    assert response.status_code == 200
    assert json.loads(response.content)["spec_hash"] == finished_run.result.spec_hash


def test_a_run_without_results_has_no_download(client, candidacy):
    run = services.create_run(spec=make_spec(candidacy=candidacy))

    assert client.get(f"/replications/{run.pk}/results.json").status_code == 404


def test_the_run_page_and_list_serve(client, finished_run):
    assert "Replication run" in client.get(f"/replications/{finished_run.pk}/").content.decode()
    assert client.get("/replications/").status_code == 200


def test_the_paper_api_lists_the_runs_with_their_verdicts(client, finished_run, candidacy):
    body = client.get(f"/api/papers/{candidacy.paper.arxiv_id}/").json()

    # this run, and the seed's recorded run of the same candidacy
    runs = {run["id"]: run for run in body["replication_runs"]}
    recorded = ReplicationRun.objects.get(spec__candidacy=candidacy, origin="recorded")
    assert set(runs) == {finished_run.pk, recorded.pk}
    assert runs[recorded.pk]["verdict"] == recorded.result.verdict
    run = runs[finished_run.pk]
    assert run["verdict"] == "loses"
    assert run["spec"]["spec_hash"] == finished_run.spec.spec_hash
    assert run["seeds"]["split_seeds"] == 10
    assert run["results_url"] == f"/replications/{finished_run.pk}/results.json"


def test_the_run_api_has_the_per_dataset_deltas(client, finished_run):
    body = client.get(f"/api/replications/{finished_run.pk}/").json()

    rows = {row["dataset"]: row for row in body["datasets"]}
    assert rows["5_hist_fig_ismale"]["ci_low"] == pytest.approx(-0.150)
    assert rows["87_glue_cola"]["verdict"] == "inconclusive"
    # this run and the seed's records
    assert client.get("/api/replications/").json()["count"] == ReplicationRun.objects.count()
    assert finished_run.pk in [r["id"] for r in client.get("/api/replications/").json()["results"]]


def test_the_admin_shows_live_progress_and_rendered_results(admin_client, finished_run, candidacy):
    running = services.create_run(spec=finished_run.spec)
    attempt = services.claim_run(run_id=running.pk, worker_host="w")
    services.record_progress(run_id=running.pk, attempt=attempt, fraction=0.42, message="training")

    listing = admin_client.get("/admin/replication/replicationrun/").content.decode()
    detail = admin_client.get(
        f"/admin/replication/replicationrun/{finished_run.pk}/change/"
    ).content.decode()

    assert '<progress max="100" value="42"' in listing
    assert 'http-equiv="refresh"' in listing
    assert "5_hist_fig_ismale" in detail
    assert "must_beat_not_competitive" in detail  # the evidence, rendered
    assert "it does not change it" in detail


def test_the_replicate_action_on_a_candidacy_queues_its_specs(
    admin_client, candidacy, sent, django_capture_on_commit_callbacks
):
    spec = make_spec(key="probe", candidacy=candidacy)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/tracker/candidacy/",
            {"action": "replicate_candidacies", "_selected_action": [candidacy.pk]},
            follow=True,
        )

    # The seed's sparse-probing spec tests this candidacy too.
    runs = ReplicationRun.objects.filter(spec__candidacy=candidacy, origin="here")
    assert {r.spec.key for r in runs} == {"probe", "sparse-probing-kantamneni"}
    page = response.content.decode()
    for run in runs:  # the message links to each run, in the admin and on the site
        assert f'<a href="/admin/replication/replicationrun/{run.pk}/change/">run {run.pk}</a>' in page
        assert f'<a href="/replications/{run.pk}/">its page</a>' in page
    assert len(sent) == 2
    assert spec.runs.get().status == Status.QUEUED


def test_the_replicate_action_on_a_claim_queues_the_specs_testing_it(
    admin_client, candidacy, sent, django_capture_on_commit_callbacks
):
    claim = candidacy.claims.first()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/tracker/claim/", {"action": "replicate_claims", "_selected_action": [claim.pk]}
        )

    assert list(ReplicationRun.objects.filter(origin="here").values_list(
        "spec__key", flat=True)) == [
        "sparse-probing-kantamneni"
    ]


def test_the_replicate_action_on_a_candidacy_without_specs_says_so(admin_client, catalogue, sent):
    other = Candidacy.objects.exclude(replication_specs__isnull=False).first()

    response = admin_client.post(
        "/admin/tracker/candidacy/",
        {"action": "replicate_candidacies", "_selected_action": [other.pk]},
        follow=True,
    )

    assert "No replication spec tests the selection" in response.content.decode()
    assert not ReplicationRun.objects.filter(origin="here").exists()


def test_cancel_and_requeue_from_the_admin(
    admin_client, candidacy, sent, django_capture_on_commit_callbacks
):
    run = services.create_run(spec=make_spec(candidacy=candidacy))

    admin_client.post(
        "/admin/replication/replicationrun/", {"action": "cancel", "_selected_action": [run.pk]}
    )
    run.refresh_from_db()
    assert run.status == Status.CANCELLED

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/replication/replicationrun/",
            {"action": "requeue", "_selected_action": [run.pk]},
        )
    run.refresh_from_db()
    assert run.status == Status.QUEUED
    assert [c["args"] for c in sent] == [[run.pk]]


def test_editing_a_spec_in_the_admin_saves_a_new_version(admin_client, candidacy):
    spec = make_spec(key="probe", candidacy=candidacy)
    form = {
        "key": "probe",
        "title": "t",
        "text": spec.text.replace("steps = 30", "steps = 40"),
        "time_limit": spec.time_limit,
        "soft_time_limit": spec.soft_time_limit,
        "candidacy": candidacy.pk,
        "note": "",
        "_save": "Save",
    }

    response = admin_client.post(f"/admin/replication/replicationspec/{spec.pk}/change/", form)

    assert response.status_code == 302
    versions = list(spec.__class__.objects.filter(key="probe").values_list("version", "text"))
    assert [v for v, _ in versions] == [2, 1]
    assert "steps = 30" in dict(versions)[1]


def test_an_invalid_spec_in_the_admin_names_the_field(admin_client):
    form = {
        "key": "bad",
        "title": "",
        "text": 'task = "sparse_probing"\n[sae]\nwidth = 8\nk = 16\n',
        "time_limit": "",
        "soft_time_limit": "",
        "note": "",
        "_save": "Save",
    }

    response = admin_client.post("/admin/replication/replicationspec/add/", form)

    assert response.status_code == 200
    assert "sae.k" in response.content.decode()
