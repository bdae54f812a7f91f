"""The harness must be able to say yes: a label that is one dictionary atom's presence,
an SAE trained on the unlabelled pool, and only a few labelled examples gives 'beats'; a
label along a dense direction does not."""

from __future__ import annotations

import json

import pytest

from replication.harness.api import run_spec
from replication.harness.spec import spec_from_dict

pytestmark = pytest.mark.harness


def synthetic_spec(dataset: str, regime: str, steps: int = 1500, **protocol):
    return spec_from_dict(
        {
            "task": "sparse_probing",
            "name": f"synthetic {dataset}",
            "data": {"source": "synthetic", "datasets": [dataset], "max_rows": 600},
            # the pre-issue-11 optimiser (lr 1e-3, mean-initialised bias) and one SAE on the
            # pool: at a fixed 1,500 steps HypotheSAEs' lr 5e-4 leaves this SAE at FVE 0.60
            # (0.87 with 1e-3) and the atom latent unlearned
            "sae": {
                "width": 1024,
                "k": 16,
                "steps": steps,
                "batch_size": 512,
                "lr": 1e-3,
                "b_dec_init": "mean",
                "fit": "transductive",
            },
            "protocol": {"regimes": [regime], "sae_seeds": 1, "scarcity_train_size": 8, **protocol},
            "device": "cpu",
        }
    )


def test_an_atom_label_with_few_labelled_examples_beats_the_baselines(tmp_path):
    # One look at 10 seeds (the staged design is calibrated in test_verdict_calibration.py):
    # O'Brien-Fleming spends almost nothing at a first look, so a staged run goes to 30.
    result = run_spec(
        synthetic_spec("sparse_atom", "scarcity", split_seeds=10, max_split_seeds=10), tmp_path
    )
    assert result.verdict == "beats"
    results = json.loads(result.results_path.read_text())
    comparison = results["datasets"]["sparse_atom"]["regimes"]["scarcity"]["comparison"]
    assert comparison["ci_low"] > 0.01 and comparison["p_holm"] < 0.05
    assert results["regimes"]["scarcity"]["verdict"] == "beats"
    assert results["win_tie_loss"]["won"] == 1.0
    # the SAE is essential: the same pipeline on a random dictionary or raw dimensions does worse
    assert results["controls"]["sae_essential"] is True


def test_a_dense_direction_label_does_not_beat_the_baselines(tmp_path):
    spec = synthetic_spec("dense_direction", "normal", steps=500, split_seeds=4, train_size=256)
    result = run_spec(spec, tmp_path)
    assert result.verdict in ("loses", "equivalent")
