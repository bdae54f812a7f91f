"""The other three tasks end to end on small synthetic arrays: layout, methods, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from replication.harness.api import run_spec
from replication.harness.spec import VERDICTS, spec_from_dict
from replication.harness.tasks.common import C_GRID

pytestmark = pytest.mark.harness

SMALL_SAE = {"steps": 40, "batch_size": 256}  # width and k sized to the pool
SMALL_PROTOCOL = {
    "split_seeds": 2,
    "sae_seeds": 1,
    "tuning_budget": 2,
    "bootstrap_samples": 200,
    "train_size": 80,
    "val_size": 40,
    "test_size": 60,
}


def spec_for(task, path, **options):
    return spec_from_dict(
        {
            "task": task,
            "data": {"source": "arrays", "path": str(path)},
            "sae": SMALL_SAE,
            "protocol": SMALL_PROTOCOL,
            "task_options": options,
            "device": "cpu",
        }
    )


def test_ood_detection_scores_every_detector_and_reports_fpr(tmp_path):
    rng = np.random.default_rng(0)
    inside = rng.normal(size=(200, 12)).astype(np.float32)
    outside = (rng.normal(size=(80, 12)) + np.r_[3.0, 3.0, np.zeros(10)]).astype(np.float32)
    np.savez(tmp_path / "ood.npz", X=inside, y=np.arange(200) % 2, X_ood=outside)
    result = run_spec(spec_for("ood_detection", tmp_path / "ood.npz"), tmp_path / "out")
    cell = result.results["datasets"]["ood"]["regimes"]["normal"]
    assert set(cell["methods"]) >= {
        "sae_reconstruction_error",
        "sae_latent_mahalanobis",
        "sae_rare_latents",
        "mahalanobis",
        "knn_distance",
        "pca_reconstruction",
        "isolation_forest",
        "random_dictionary_best",
        "raw_dims_mahalanobis",
    }
    assert cell["methods"]["mahalanobis"]["mean"] > 0.7  # the shift is easy for a covariance model
    assert 0 <= cell["methods"]["knn_distance"]["fpr_at_95_tpr"] <= 1
    assert result.verdict in VERDICTS
    # every method's grid is listed; the three Mahalanobis scorers share one shrinkage grid
    grids = result.results["notes"]["grids"]
    assert set(grids) == set(cell["methods"]) - {"random_dictionary_best"}
    shrinkage = [
        grids[m]["axes"]["shrinkage"]
        for m in ("mahalanobis", "raw_dims_mahalanobis", "sae_latent_mahalanobis")
    ]
    assert shrinkage[0] == shrinkage[1] == shrinkage[2]


def run_hypothesis_predictivity(tmp_path):
    """A binary target read from two of 16 dimensions, four features per method."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(240, 16)).astype(np.float32)
    y = (X[:, 0] - X[:, 3] + 0.3 * rng.normal(size=240) > 0).astype(np.int64)
    np.savez(tmp_path / "hyp.npz", X=X, y=y)
    return run_spec(
        spec_for("hypothesis_predictivity", tmp_path / "hyp.npz", n_features=4), tmp_path / "out"
    )


def test_hypothesis_predictivity_counts_significant_features_and_reports_the_ceiling(tmp_path):
    result = run_hypothesis_predictivity(tmp_path)
    methods = result.results["datasets"]["hyp"]["regimes"]["normal"]["methods"]
    assert methods["full_embedding_ridge"]["role"] == "ceiling"
    assert methods["full_embedding_ridge"]["mean"] > 0.9
    assert methods["raw_dims_lasso_k"]["n_significant"] >= 1
    assert methods["sae_lasso_k"]["configs"]
    assert all(len(c["features"]) == 4 for c in methods["sae_lasso_k"]["configs"])
    assert result.results["metric"] == "auroc"
    # one draw of C, the same for every method, spread over the shared grid
    notes = result.results["notes"]
    assert notes["grids"]["every method"]["axes"]["C"] == C_GRID
    assert len(notes["settings_tried"]) == SMALL_PROTOCOL["tuning_budget"]
    tried = {s["C"] for s in notes["settings_tried"]}
    assert min(tried) < 0.1 < max(tried)  # the two draws fall in the grid's two halves


def test_hypothesis_predictivity_on_a_continuous_target_uses_r2(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(240, 10)).astype(np.float32)
    y = (2 * X[:, 1] + 0.5 * rng.normal(size=240)).astype(np.float64)
    np.savez(tmp_path / "cont.npz", X=X, y=y)
    result = run_spec(
        spec_for(
            "hypothesis_predictivity", tmp_path / "cont.npz", n_features=3, target="continuous"
        ),
        tmp_path / "out",
    )
    assert result.results["metric"] == "r2"
    assert (
        result.results["datasets"]["cont"]["regimes"]["normal"]["methods"]["full_embedding_ridge"][
            "mean"
        ]
        > 0.8
    )


def test_spurious_correlation_removal_reports_worst_group_accuracy(tmp_path):
    rng = np.random.default_rng(3)
    n = 480
    y = rng.integers(0, 2, n)
    z = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 12)).astype(np.float32)
    X[:, 0] += 1.5 * (2 * y - 1)  # the label
    X[:, 1] += 3.0 * (2 * z - 1)  # the spurious attribute, louder
    np.savez(tmp_path / "spur.npz", X=X, y=y, z=z)
    result = run_spec(
        spec_for("spurious_correlation_removal", tmp_path / "spur.npz"), tmp_path / "out"
    )
    assert result.results["metric"] == "worst_group_accuracy"
    methods = result.results["datasets"]["spur"]["regimes"]["normal"]["methods"]
    assert set(methods) >= {
        "sae_ablate_spurious_latents",
        "leace",
        "mean_difference",
        "balanced_retraining",
        "random_dictionary_ablation",
        "raw_dims_ablation",
    }
    # erasing the attribute recovers the label on the groups where the two disagree
    assert methods["leace"]["mean"] > 0.6
    grids = result.results["notes"]["grids"]
    assert set(grids) == set(methods)
    assert all(grid["axes"]["C"] == C_GRID for grid in grids.values())


def test_spurious_correlation_removal_needs_an_attribute(tmp_path):
    from replication.harness.errors import DataError

    rng = np.random.default_rng(4)
    np.savez(
        tmp_path / "plain.npz", X=rng.normal(size=(100, 4)).astype(np.float32), y=np.arange(100) % 2
    )
    with pytest.raises(DataError, match="spurious attribute"):
        run_spec(spec_for("spurious_correlation_removal", tmp_path / "plain.npz"), tmp_path / "out")


def test_hypothesis_predictivity_charges_fitting_pca_and_k_means_to_their_baselines(
    tmp_path, monkeypatch
):
    from replication.harness import flops

    fit = 1e18  # a fit cost no probe comes near, so a charged fit shows in the totals
    monkeypatch.setattr(flops, "pca_flops", lambda rows, dims: fit)
    monkeypatch.setattr(flops, "kmeans_flops", lambda rows, dims, clusters, iterations=50: fit)
    result = run_hypothesis_predictivity(tmp_path)
    compute = result.results["compute"]["methods"]
    # inductive fitting: each of the two split seeds has its own pool, so two fits of each,
    # each charged once (plus the projections and probes, far below one fit)
    assert result.results["sae"]["fit"].startswith("inductive: one pool per split seed")
    assert 2 * fit <= compute["pca_k"] < 3 * fit
    assert 2 * fit <= compute["kmeans_k"] < 3 * fit
    assert compute["raw_dims_lasso_k"] < fit
