"""A succeeded run becomes evidence for the criteria it bears on; the mapping is pure and
checked against hand-made results. It never touches an adjudicator's assessment."""

from __future__ import annotations

import pytest

from replication import evidence, services
from replication.evidence import evidence_from_results
from replication.models import ReplicationRun
from tests.replication_specs import make_spec, results_dict


def _by_key(items):
    return {item.criterion: item for item in items}


def test_every_criterion_it_bears_on_gets_one_item():
    items = evidence_from_results(results_dict())

    assert [i.criterion for i in items] == list(evidence.CRITERIA)


@pytest.mark.parametrize(
    ("verdict", "overall", "stance"),
    [
        ("beats", (0.05, 0.02, 0.08, 0.01), "supports"),
        ("equivalent", (0.001, -0.005, 0.006, 0.7), "undermines"),
        ("loses", (-0.05, -0.08, -0.02, 0.01), "undermines"),
        ("inconclusive", (0.02, -0.01, 0.05, 0.2), "mixed"),
        ("inconclusive", (-0.09, -0.15, -0.007, 0.04), "undermines"),  # cannot beat the margin
    ],
)
def test_must_beat_follows_the_verdict_and_the_margin(verdict, overall, stance):
    item = _by_key(evidence_from_results(results_dict(verdict=verdict, overall=overall)))

    assert item["must_beat_not_competitive"].stance == stance
    assert f"{overall[0]:+.3f}" in item["must_beat_not_competitive"].summary


@pytest.mark.parametrize(
    ("split_seeds", "sae_seeds", "verdict", "stance"),
    [
        (10, 3, "beats", "supports"),
        (10, 3, "inconclusive", "mixed"),
        (4, 3, "beats", "mixed"),
        (10, 1, "loses", "mixed"),
    ],
)
def test_sample_size_flags_few_seeds_and_wide_intervals(split_seeds, sae_seeds, verdict, stance):
    item = _by_key(
        evidence_from_results(
            results_dict(split_seeds=split_seeds, sae_seeds=sae_seeds, verdict=verdict)
        )
    )["sample_size"]

    assert item.stance == stance
    assert f"{split_seeds} split seed(s) and {sae_seeds} SAE seed(s)" in item.summary


@pytest.mark.parametrize(
    ("controls", "essential", "stance"),
    [
        ({"random_dictionary_top_latents": "beats", "raw_dims_top_k": "beats"}, True, "supports"),
        (
            {"random_dictionary_top_latents": "beats", "raw_dims_top_k": "equivalent"},
            False,
            "undermines",
        ),
        (
            {"random_dictionary_top_latents": "beats", "raw_dims_top_k": "inconclusive"},
            False,
            "mixed",
        ),
    ],
)
def test_sae_essential_reads_the_controls(controls, essential, stance):
    item = _by_key(evidence_from_results(results_dict(controls=controls, sae_essential=essential)))[
        "sae_essential"
    ]

    assert item.stance == stance
    assert "raw dims top k" in item.summary


@pytest.mark.parametrize(
    ("verdicts", "stance", "share"),
    [
        (["beats", "beats", "beats", "beats"], "supports", "100%"),
        (["beats", "loses", "loses", "inconclusive"], "mixed", "25%"),
        (["loses", "loses", "equivalent", "inconclusive"], "undermines", "0%"),
        (["beats"], "context", "100%"),
    ],
)
def test_not_cherry_picked_is_the_share_of_datasets_won(verdicts, stance, share):
    datasets = {f"ds{i}": (0.0, -0.1, 0.1, 0.5, v) for i, v in enumerate(verdicts)}

    item = _by_key(evidence_from_results(results_dict(datasets=datasets)))["not_cherry_picked"]

    assert item.stance == stance
    assert f"won on {share} of {len(verdicts)} dataset(s)" in item.summary


def test_the_compute_budget_charges_a_tenth_of_sae_training():
    results = results_dict(
        sae_training_flops=1e12, method_flops={"sae_top_latents": 1e10, "logreg": 2e11}
    )

    item = _by_key(evidence_from_results(results))["compute_budget_amortisation"]

    # 1e10 + 0.1 * 1e12 = 1.1e11 against 2e11: 0.55x the best baseline.
    assert item.details["charged_flops"] == pytest.approx(1e11)
    assert item.details["sae_total_flops"] == pytest.approx(1.1e11)
    assert item.details["ratio"] == pytest.approx(0.55)
    assert item.stance == "supports"


def test_an_sae_costlier_than_the_baseline_under_the_budget_is_flagged():
    results = results_dict(
        sae_training_flops=1e13, method_flops={"sae_top_latents": 1e10, "logreg": 2e11}
    )

    item = _by_key(evidence_from_results(results, compute_fraction=0.1))[
        "compute_budget_amortisation"
    ]

    assert item.details["ratio"] == pytest.approx(5.05)
    assert item.stance == "mixed"


def test_fair_fight_names_the_baselines_and_the_tuning_budget():
    item = _by_key(evidence_from_results(results_dict()))["fair_fight_baselines"]

    assert "logreg, pca_logreg, knn" in item.summary
    assert "8 settings" in item.summary


def test_a_sparse_results_document_still_gives_evidence():
    items = evidence_from_results({"verdict": "inconclusive"})

    assert len(items) == len(evidence.CRITERIA)


@pytest.mark.django_db
def test_a_candidacy_gets_the_evidence_of_its_succeeded_runs_only(seeded, tmp_path):
    from tracker.models import Candidacy

    candidacy = Candidacy.objects.get(paper__arxiv_id="2502.16681")
    spec = make_spec(key="probe", candidacy=candidacy)
    done = services.create_run(spec=spec)
    attempt = services.claim_run(run_id=done.pk, worker_host="w")
    services.finish_run(
        run_id=done.pk,
        attempt=attempt,
        results=results_dict(verdict="loses"),
        out_dir=tmp_path,
        artifacts=["results.json"],
    )
    failed = services.create_run(spec=spec)
    services.fail_run(run_id=failed.pk, error="boom")

    # the seed's recorded run of this candidacy is evidence too; the failed run is not
    recorded = ReplicationRun.objects.get(spec__candidacy=candidacy, origin="recorded")
    found = evidence.evidence_for_candidacy(candidacy.pk)

    assert [e.run_id for e in found] == [done.pk, recorded.pk]  # newest first
    assert found[0].verdict == "loses"
    assert found[0].results_url == f"/replications/{done.pk}/results.json"
    pairs = evidence.evidence_for_criterion(candidacy.pk, "must_beat_not_competitive")
    assert (done.pk, "undermines") in [(run.run_id, item.stance) for run, item in pairs]
    assert failed.pk not in [run.run_id for run, _ in pairs]
