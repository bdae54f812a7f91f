"""What a replication tests, and what it does not, of the paper's claim: shown next to its
verdict wherever a replication appears (leaderboard, market matrix, paper and run pages).

results.json may carry it as a top-level ``scope`` {"tests": ..., "does_not_test": ...};
until a run has one, the per-task statement below stands in (the one place it is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    tests: str
    does_not_test: str
    source: str  # "results" (written by the harness) or "task" (the fallback below)


TASK_SCOPES: dict[str, tuple[str, str]] = {
    "sparse_probing": (
        "Whether probes on a few SAE latents classify better than probes on the raw "
        "activations and other baselines, on the same splits and seeds, each tuned with the "
        "same budget on validation data only.",
        "The paper's own models, all of its datasets or its scale: only the model, datasets "
        "and regimes named in the spec are run.",
    ),
    "hypothesis_predictivity": (
        "Whether K SAE neurons chosen by Lasso predict the target better than K PCA "
        "components, K raw dimensions or K clusters.",
        "Turning the neurons into hypotheses in words (that needs a language model), or the "
        "paper's comparison with LLM-based hypothesis generators.",
    ),
    "ood_detection": (
        "Whether anomaly scores built from an SAE flag out-of-distribution inputs better than "
        "statistical detectors on the same activations.",
        "Any one paper's setting: no candidate in the seed claims SAE anomaly detection.",
    ),
    "spurious_correlation_removal": (
        "Whether ablating the SAE latents tied to a spurious feature removes the shortcut "
        "better than concept erasure (LEACE), projecting out the mean difference, or "
        "retraining on balanced data.",
        "Picking the latents by hand as a human reviewer would, or the paper's own models "
        "and data.",
    ),
    "steering": (
        "Whether steering or suppressing a concept through an SAE latent beats a "
        "difference-in-means vector, a probe direction, prompting and rejection sampling on a "
        "small open language model, scored by an automatic offline judge.",
        "The paper's own (larger) model, or judgement by a strong language model or by people.",
    ),
}


def scope_of(results: Mapping[str, Any] | None) -> Scope | None:
    """The run's own scope when results.json has one, else its task's; None if neither."""
    if not results:
        return None
    given = results.get("scope")
    if isinstance(given, Mapping) and (given.get("tests") or given.get("does_not_test")):
        return Scope(str(given.get("tests") or ""), str(given.get("does_not_test") or ""),
                     "results")
    task = results.get("task") or (results.get("spec") or {}).get("task")
    if task in TASK_SCOPES:
        tests, does_not = TASK_SCOPES[task]
        return Scope(tests, does_not, "task")
    return None
