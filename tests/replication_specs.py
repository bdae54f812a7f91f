"""Spec texts and factories for tests of replication runs (no harness import here).

The specs use the harness's synthetic dataset, so a run needs no model or data download:
``tiny_spec_text`` finishes in seconds; ``slow_spec_text`` reports progress often enough
that, in a worker started with a pause after each progress write
(``tests.worker.running_worker(progress_pause=...)``), a test can kill the worker in the
middle of it.
"""

from __future__ import annotations

from typing import Any


def synthetic_spec_text(*, name: str = "test run", steps: int = 30, split_seeds: int = 2,
                        device: str = "cpu", width: int = 64, k: int = 4) -> str:
    return f"""\
task = "sparse_probing"
name = "{name}"
device = "{device}"

[data]
source = "synthetic"
datasets = ["sparse_atom"]
max_rows = 200

[sae]
width = {width}
k = {k}
steps = {steps}
batch_size = 128

[protocol]
split_seeds = {split_seeds}
sae_seeds = 1
regimes = ["normal"]
baselines = ["logreg"]
tuning_budget = 2
bootstrap_samples = 100
train_size = 64
val_size = 32
test_size = 64
"""


def tiny_spec_text(**kwargs: Any) -> str:
    return synthetic_spec_text(**kwargs)


def slow_spec_text(**kwargs: Any) -> str:
    """About fifteen progress reports (SAE training reports every 50 steps, probing every
    split seed): in a worker that pauses after each progress write, the run lasts
    predictably long."""
    return synthetic_spec_text(**{"steps": 200, "width": 128, "k": 8, "split_seeds": 6,
                                  **kwargs})


def make_spec(*, key: str = "test-spec", text: str | None = None, candidacy: Any = None,
              claims: Any = (), time_limit: int = 600, soft_time_limit: int = 570,
              note: str = "") -> Any:
    from replication.services import create_spec_version

    return create_spec_version(
        key=key, text=text or tiny_spec_text(), candidacy=candidacy, claims=claims,
        time_limit=time_limit, soft_time_limit=soft_time_limit, note=note,
    )


def results_dict(*, verdict: str = "beats", spec_hash: str = "ab" * 32,
                 datasets: dict[str, tuple[float, float, float, float, str]] | None = None,
                 overall: tuple[float, float, float, float] = (0.05, 0.02, 0.08, 0.01),
                 controls: dict[str, str] | None = None, sae_essential: bool = True,
                 win_tie_loss: dict[str, float] | None = None, split_seeds: int = 10,
                 sae_seeds: int = 3, test_rows: int = 256,
                 baselines: tuple[str, ...] = ("logreg", "pca_logreg", "knn"),
                 sae_training_flops: float = 1e12,
                 method_flops: dict[str, float] | None = None) -> dict[str, Any]:
    """A results.json in the harness's layout, with chosen numbers (for pages and evidence)."""
    datasets = datasets or {"ds_a": (0.05, 0.02, 0.08, 0.01, "beats")}
    controls = controls or {"random_dictionary_top_latents": "beats", "raw_dims_top_k": "beats"}
    blocks = {}
    for name, (delta, low, high, p, v) in datasets.items():
        comparison = {"sae_method": "sae_top_latents", "best_baseline": baselines[0],
                      "delta": delta, "ci_low": low, "ci_high": high, "p": p, "p_holm": p,
                      "verdict": v}
        blocks[name] = {
            "regimes": {"normal": {"n_seeds": split_seeds, "test_rows": [test_rows] * split_seeds,
                                   "methods": {}, "comparison": comparison, "controls": {}}},
            "overall": {"delta": delta, "ci_low": low, "ci_high": high, "p": p, "p_holm": p,
                        "verdict": v},
            "verdict": v,
        }
    n = len(datasets)
    wtl = win_tie_loss or {
        "n": n,
        "won": sum(v[4] == "beats" for v in datasets.values()) / n,
        "tied": sum(v[4] == "equivalent" for v in datasets.values()) / n,
        "lost": sum(v[4] == "loses" for v in datasets.values()) / n,
        "inconclusive": sum(v[4] == "inconclusive" for v in datasets.values()) / n,
    }
    return {
        "task": "sparse_probing",
        "spec": {"task": "sparse_probing",
                 "protocol": {"split_seeds": split_seeds, "sae_seeds": sae_seeds, "seed": 0,
                              "tuning_budget": 8}},
        "spec_hash": spec_hash,
        "verdict": verdict,
        "metric": "auroc",
        "margin": 0.01,
        "alpha": 0.05,
        "datasets": blocks,
        "regimes": {},
        "overall": {"delta": overall[0], "ci_low": overall[1], "ci_high": overall[2],
                    "p": overall[3], "n_datasets": n, "test": "bootstrap"},
        "win_tie_loss": wtl,
        "controls": {**{name: {"delta": 0.03, "ci_low": 0.01, "ci_high": 0.05, "p": 0.01,
                               "verdict": v} for name, v in controls.items()},
                     "sae_essential": sae_essential},
        "methods": {"sae": ["sae_top_latents"], "baselines": list(baselines),
                    "controls": list(controls), "ceilings": []},
        "compute": {"wall_seconds": 12.5, "sae_training_flops": sae_training_flops,
                    "methods": method_flops or {"sae_top_latents": 1e10, baselines[0]: 2e11}},
        "provenance": {"device": "cpu", "spec_hash": spec_hash,
                       "seeds": {"base": 0, "split_seeds": split_seeds, "sae_seeds": sae_seeds,
                                 "fewer_than_protocol_minimum": split_seeds < 10 or sae_seeds < 3}},
    }
