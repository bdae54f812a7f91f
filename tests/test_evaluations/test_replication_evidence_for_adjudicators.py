"""A succeeded replication shows on the leaderboard and beside the assessment form;
it informs adjudicators and never writes an assessment."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluations.models import Assessment
from replication import services
from replication.models import ReplicationRun
from tests.replication_specs import make_spec, results_dict
from tracker.models import Candidacy

pytestmark = pytest.mark.django_db

SLUG = "sae-downstream-beat-baselines"


@pytest.fixture
def probing_run(seeded, tmp_path):
    candidacy = Candidacy.objects.get(paper__arxiv_id="2502.16681")
    run = services.create_run(spec=make_spec(key="probe", candidacy=candidacy))
    attempt = services.claim_run(run_id=run.pk, worker_host="w")
    services.finish_run(run_id=run.pk, attempt=attempt, results=results_dict(verdict="loses"),
                        out_dir=tmp_path, artifacts=["results.json"])
    return candidacy, run


def test_the_leaderboard_shows_the_latest_run_verdict(client, probing_run):
    candidacy, run = probing_run

    rows = client.get(f"/api/markets/{SLUG}/leaderboard/").json()["results"]

    by_paper = {row["paper"]["arxiv_id"]: row for row in rows}
    assert by_paper["2502.16681"]["replication"] == f"loses (run {run.pk})"
    # HypotheSAEs: the seed's recorded run; the auditing game: no replication at all
    recorded = ReplicationRun.objects.get(spec__candidacy__paper__arxiv_id="2502.04382")
    assert by_paper["2502.04382"]["replication"] == (
        f"{recorded.result.verdict} (run {recorded.pk})")
    assert by_paper["2503.10965"]["replication"] is None


def test_an_adjudicator_sees_the_evidence_beside_the_form(client, probing_run, ada):
    candidacy, run = probing_run
    client.force_login(ada)

    page = client.get(
        reverse("admin:evaluations_candidacyscoring_change", args=[candidacy.pk])
    ).content.decode()

    assert "Replication evidence" in page
    block = page.split('id="criterion-must_beat_not_competitive"')[1].split("</section>")[0]
    assert f">Run {run.pk}</a>" in block and "The SAE method" in block
    assert run.result.spec_hash[:12] in block
    assert not Assessment.objects.filter(candidacy=candidacy, adjudicator=ada).exists()
