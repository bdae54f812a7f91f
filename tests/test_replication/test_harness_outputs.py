"""A small run end to end: results.json layout, summary, plot, provenance, compute, resume."""

from __future__ import annotations

import json

import numpy as np
import pytest

from replication.harness.api import run_spec
from replication.harness.spec import VERDICTS, spec_from_dict

pytestmark = pytest.mark.harness


@pytest.fixture
def arrays(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 16)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=160) > 0).astype(np.int64)
    path = tmp_path / "acts.npz"
    np.savez(path, X=X, y=y, X_pool=rng.normal(size=(2000, 16)).astype(np.float32))
    return path


def small_spec(path, **protocol):
    return spec_from_dict(
        {
            "task": "sparse_probing",
            "data": {"source": "arrays", "path": str(path)},
            "sae": {"width": 64, "k": 4, "steps": 40, "batch_size": 256},
            "protocol": {
                "regimes": ["normal", "label_noise"],
                "split_seeds": 3,
                "sae_seeds": 2,
                "tuning_budget": 3,
                "bootstrap_samples": 200,
                "train_size": 64,
                "val_size": 32,
                "test_size": 48,
                **protocol,
            },
            "device": "cpu",
        }
    )


def test_a_run_writes_results_summary_and_plot_with_the_documented_layout(tmp_path, arrays):
    seen = []
    result = run_spec(
        small_spec(arrays), tmp_path / "out", progress=lambda f, m: seen.append((f, m))
    )
    results = json.loads(result.results_path.read_text())
    for key in (
        "task",
        "spec",
        "spec_hash",
        "verdict",
        "datasets",
        "regimes",
        "controls",
        "win_tie_loss",
        "compute",
        "provenance",
    ):
        assert key in results
    assert results["verdict"] in VERDICTS
    assert set(results["regimes"]) == {"normal", "label_noise"}
    cell = results["datasets"]["acts"]["regimes"]["normal"]
    assert len(cell["methods"]["logreg"]["per_seed"]) == 3
    comparison = cell["comparison"]
    for key in ("sae_method", "best_baseline", "delta", "ci_low", "ci_high", "p", "verdict"):
        assert key in comparison
    assert comparison["best_baseline"] in ("logreg", "pca_logreg", "knn")
    assert set(results["controls"]) >= {
        "random_dictionary_top_latents",
        "raw_dims_top_k",
        "sae_essential",
    }
    assert results["compute"]["wall_seconds"] > 0 and results["compute"]["sae_training_flops"] > 0
    assert set(results["compute"]["methods"]) >= {"sae_top_latents", "logreg"}
    provenance = results["provenance"]
    assert provenance["spec_hash"] == result.spec_hash == results["spec_hash"]
    assert provenance["packages"]["torch"] and provenance["device"] == "cpu"
    assert provenance["seeds"]["fewer_than_protocol_minimum"] is True
    assert "Verdict" in result.summary_path.read_text()
    assert result.plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert seen[-1][0] == 1.0 and all(0 <= f <= 1 for f, _ in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)


def test_an_interrupted_run_resumes_from_its_sae_checkpoints(tmp_path, arrays, monkeypatch):
    out = tmp_path / "out"
    first = run_spec(small_spec(arrays), out)
    import replication.harness.sae as sae_module

    def no_training(*args, **kwargs):
        raise AssertionError("the SAE was trained again")

    monkeypatch.setattr(sae_module, "train_sae", no_training)
    second = run_spec(small_spec(arrays), out)
    assert second.results["sae"]["training"]
    assert all(r.get("resumed") for r in second.results["sae"]["training"])
    assert second.results["datasets"] == first.results["datasets"]


def test_safetensors_arrays_are_accepted(tmp_path):
    from safetensors.numpy import save_file

    from replication.harness.datasets import load_dataset
    from replication.harness.spec import DataSpec

    rng = np.random.default_rng(1)
    path = tmp_path / "acts.safetensors"
    save_file(
        {
            "X": rng.normal(size=(60, 8)).astype(np.float32),
            "y": (np.arange(60) % 2).astype(np.int64),
        },
        str(path),
    )
    ds = load_dataset(DataSpec(source="arrays", path=str(path)), str(path))
    assert ds.X.shape == (60, 8) and set(ds.y.tolist()) == {0, 1}


def test_fitting_the_pca_is_charged_to_the_pca_baseline(tmp_path, arrays, monkeypatch):
    from replication.harness import flops

    fit = 1e18  # far above any probe, so a charged fit shows in the totals
    monkeypatch.setattr(flops, "pca_flops", lambda rows, dims: fit)
    spec = small_spec(arrays, regimes=["normal"], split_seeds=2, sae_seeds=1)

    compute = run_spec(spec, tmp_path / "out").results["compute"]["methods"]

    assert compute["pca_logreg"] >= fit
    assert compute["logreg"] < fit
