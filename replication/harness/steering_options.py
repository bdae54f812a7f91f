"""What the steering task knows before it runs: its baselines and its options (with defaults).

Kept free of heavy imports: :mod:`replication.harness.spec` reads these tables to validate a
spec. The three strength options are *spans*, not grids: the smallest positive and the largest
entry bound the strength search (see :mod:`replication.harness.tasks.steering.search`); a zero
is never tried, since strength zero is the unsteered model.
"""

from __future__ import annotations

from typing import Any

BASELINES = ("diff_in_means", "probe", "prompting", "rejection_sampling")
SAE_METHODS = ("sae_addition", "sae_clamp")
METRIC = "mean_score"

OPTIONS: dict[str, Any] = {
    "modes": ["steer", "suppress"],
    "sae_methods": ["sae_addition", "sae_clamp"],
    # prompts per concept and mode; n_validation of them choose settings, the rest test
    "n_prompts": 8,
    "n_validation": 0,  # 0: half of the prompts (rounded down)
    "max_new_tokens": 24,
    "temperature": 0.7,
    "batch_size": 64,
    # search spans: addition in multiples of the mean residual norm, clamps in multiples of the
    # latent's largest activation on positive texts, ablation as the projection's coefficient
    "strengths": [0.05, 2.0],
    "clamp_multiples": [0.5, 20.0],
    "ablation_strengths": [0.25, 2.0],
    "rejection_max": 8,
    "min_examples": 16,
    "concept_rows": 200,
    "selectivity_auroc": 0.8,
    # unsteered answers per judge prompt (4 training and 4 validation prompts a class)
    "judge_samples": 4,
    "pool_sources": ["rotten_tomatoes"],
    "pool_texts": 500,
    "pool_tokens": 50000,
}
