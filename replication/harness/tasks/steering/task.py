"""Steering, step 6: the task itself (every concept, mode and seed), its notes, and how its
comparison is read (:class:`SteeringTask`, registered in :mod:`replication.harness.tasks.registry`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from replication.harness import flops as fl
from replication.harness.context import Cell, PreparedDataset, TaskContext, TaskOutput
from replication.harness.spec import Spec
from replication.harness.steering_options import METRIC
from replication.harness.tasks.base import MetricDef, Progress, Task
from replication.harness.tasks.steering import judging, preparation
from replication.harness.tasks.steering.methods import (
    UNSTEERED,
    LatentChoice,
    build_methods,
    choose_latent,
    directions,
)
from replication.harness.tasks.steering.preparation import ConceptData, n_validation
from replication.harness.tasks.steering.scoring import Setup, build_reference
from replication.harness.tasks.steering.search import rejection, run_method
from replication.harness.tasks.steering.verdicts import mark_no_effect, same_outputs
from replication.harness.tuning import MethodRun

CONTROLS = ["unsteered", "random_dictionary"]
Runs = dict[str, tuple[MethodRun, list[dict[str, Any]]]]


def _mean_score(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Mean per-prompt score of each resample row; labels are placeholders."""
    return np.atleast_2d(np.asarray(scores, dtype=np.float64)).mean(axis=-1)


def _weighted_mean_score(
    labels: np.ndarray, scores: np.ndarray, groups: np.ndarray | None, weights: np.ndarray
) -> np.ndarray:
    """Mean score under each row of resample weights [B, n] (a prompt's copies)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w * np.asarray(scores, dtype=np.float64)).sum(1) / w.sum(1)


def scope(spec: Spec) -> dict[str, str]:
    """What a steering run tests and what it does not, one sentence each."""
    model = (
        "SmolLM2-135M-Instruct" if spec.activations.model == "smollm2" else spec.activations.model
    )
    tests = [
        f"steering and suppression of {len(spec.data.datasets)} concept(s) on {model}, "
        f"residual stream at layer {spec.activations.layer} (-1: middle)",
        "SAE latent addition and clamping against the baselines named in the results, each "
        "tuned on validation prompts with the same budget (strengths by a search over the "
        "concept/fluency trade-off, never a no-op)",
        "whether a selective SAE latent exists for each concept",
    ]
    does_not_test = [
        "an LLM judge (the metrics are automatic stand-ins: a MiniLM concept classifier whose "
        "accuracy on generated text is reported, perplexity under the unsteered model, MiniLM "
        "relevance to the request without the concept)",
        "models other than the one named, fine-tuning baselines, or long generations "
        f"(at most {spec.option('max_new_tokens')} new tokens)",
    ]
    return {"tests": "; ".join(tests), "does_not_test": "; ".join(does_not_test)}


class SteeringTask(Task):
    name = "steering"

    def prepare(self, spec: Spec, *, device: str, progress: Progress) -> tuple[list[Any], float]:
        return preparation.prepare(spec, device=device, progress=progress)

    def training_pool(self, spec: Spec, ds: Any) -> np.ndarray:
        return preparation.training_pool(spec, ds)

    def scope(self, spec: Spec) -> dict[str, str]:
        return scope(spec)

    def metrics(self) -> list[MetricDef]:
        # the headline lies on [0, 1]: the relative margin is a share of (1 - score)
        return [MetricDef(METRIC, _mean_score, _weighted_mean_score, 1.0)]

    def finish(self, comparison: dict[str, Any], output: TaskOutput) -> dict[str, Any]:
        return mark_no_effect(comparison, output)

    def run(self, ctx: TaskContext) -> TaskOutput:
        return run(ctx)


def _sae_training_flops(ctx: TaskContext) -> float:
    cfg = ctx.spec.sae
    if cfg.checkpoint:
        return 0.0
    sae = ctx.saes[0]
    return len(ctx.saes) * fl.sae_training_flops(
        sae.d_in, sae.d_sae, sae.architecture, sae.k, cfg.steps * cfg.batch_size
    )


def _charge_per_prompt(ctx: TaskContext, train_flops: float) -> float:
    n_test = ctx.spec.protocol.split_seeds * sum(
        len(p) - n_validation(ctx.spec, len(p))
        for ds in ctx.datasets
        for p in ds.meta["concept"].prompts.values()
    )
    return 0.1 * train_flops / max(n_test, 1)


def run(ctx: TaskContext) -> TaskOutput:
    spec = ctx.spec
    lm, layer = preparation.load_model(spec, ctx.device)
    for model in (*ctx.saes, *ctx.random_saes):
        model.to(ctx.device).eval()
    train_flops = _sae_training_flops(ctx)
    state = _RunState(
        ctx,
        lm,
        layer,
        float(np.linalg.norm(ctx.pool, axis=1).mean()),
        _charge_per_prompt(ctx, train_flops),
    )
    cells: list[Cell] = []
    for d_index, ds in enumerate(ctx.datasets):
        cells.extend(state.concept_cells(d_index, ds))
    notes = state.notes(train_flops)
    return TaskOutput(
        metric=METRIC,
        sae_methods=list(spec.option("sae_methods")),
        baselines=list(spec.baselines),
        controls=CONTROLS,
        cells=cells,
        notes=notes,
    )


class _RunState:
    """What the loops over concepts, modes and seeds share, and the notes they fill in."""

    def __init__(self, ctx: TaskContext, lm: Any, layer: int, norm: float, charge: float):
        self.ctx, self.lm, self.layer, self.norm, self.charge = ctx, lm, layer, norm, charge
        self.concepts: dict[str, Any] = {}
        self.pareto: dict[str, Any] = {}
        self.examples: dict[str, Any] = {}
        self.identical: dict[str, list[str]] = {}
        modes = len(ctx.spec.option("modes"))
        self.steps = len(ctx.datasets) * modes * ctx.spec.protocol.split_seeds
        self.done = 0

    def concept_cells(self, d_index: int, ds: PreparedDataset) -> list[Cell]:
        spec, ctx = self.ctx.spec, self.ctx
        cd: ConceptData = ds.meta["concept"]
        others = [o.meta["concept"] for o in ctx.datasets if o is not ds]
        ctx.progress(self.done / self.steps, f"judge for {cd.concept.name}")
        judge = judging.build_judge(spec, self.lm, self.layer, cd, others, ctx.device)
        choices = [choose_latent(ctx, ds, i) for i in range(len(ctx.saes))]
        randoms = [choose_latent(ctx, ds, i, random=True) for i in range(len(ctx.random_saes))]
        self.concepts[cd.concept.name] = _concept_note(spec, cd, judge.report, choices)
        dirs = directions(ds, spec.protocol.seed)
        cells = []
        for mode in spec.option("modes"):
            cell = Cell(regime=mode, dataset=cd.concept.name)
            key = f"{mode}/{cd.concept.name}"
            pareto: list[dict[str, Any]] = []
            texts: dict[str, list[list[str]]] = {}
            for seed_index in range(spec.protocol.split_seeds):
                ctx.progress(self.done / self.steps, f"{key} seed {seed_index + 1}")
                self.done += 1
                setup = Setup(
                    ctx=ctx,
                    lm=self.lm,
                    layer=self.layer,
                    mode=mode,
                    concept=cd.concept,
                    classifier=judge.classifier,
                    directions=dirs,
                    norm=self.norm,
                    seed=ctx.split_seed(d_index, seed_index),
                    val=cd.prompts[mode][: n_validation(spec, len(cd.prompts[mode]))],
                    test=cd.prompts[mode][n_validation(spec, len(cd.prompts[mode])) :],
                )
                sae_index = ctx.sae_for_seed(seed_index)
                runs = self.seed_runs(
                    setup, choices[sae_index], randoms[sae_index % len(randoms)], sae_index
                )
                self._record(cell, setup, runs, seed_index, key, pareto, texts)
            self.pareto[key] = _with_frontier(pareto)
            self.identical[key] = same_outputs(texts, list(spec.option("sae_methods")))
            cells.append(cell)
        return cells

    def _record(
        self,
        cell: Cell,
        setup: Setup,
        runs: Runs,
        seed_index: int,
        key: str,
        pareto: list[dict[str, Any]],
        texts: dict[str, list[list[str]]],
    ) -> None:
        cell.labels.append(np.zeros(len(setup.test)))
        cell.groups.append(None)
        # every seed tests the same prompts: one identity per prompt
        cell.test_ids.append(np.arange(len(setup.test)))
        for name, (run_, points) in runs.items():
            cell.add(name, run_)
            for p in points:
                if "config" in p:
                    pareto.append({"method": name, "seed": seed_index, **p})
                else:
                    texts.setdefault(name, []).append(p["test_texts"])
                    if seed_index == 0:
                        self.examples.setdefault(key, {})[name] = p["test_texts"][:3]

    def seed_runs(
        self, setup: Setup, choice: LatentChoice, random_choice: LatentChoice, sae_index: int
    ) -> Runs:
        ctx, spec = self.ctx, self.ctx.spec
        budget = spec.protocol.tuning_budget
        build_reference(setup)
        methods = build_methods(
            spec,
            suppress=setup.suppress,
            choice=choice,
            sae=ctx.saes[sae_index],
            dirs=setup.directions,
            norm=self.norm,
            description=setup.concept.description,
        )
        runs: Runs = {"unsteered": run_method(setup, UNSTEERED, budget)}
        sae_methods = list(spec.option("sae_methods"))
        for name in sae_methods:
            runs[name] = run_method(setup, methods[name], budget)
        random_methods = build_methods(
            spec,
            suppress=setup.suppress,
            choice=random_choice,
            sae=ctx.random_saes[sae_index % len(ctx.random_saes)],
            dirs=setup.directions,
            norm=self.norm,
            description=setup.concept.description,
        )
        runs["random_dictionary"] = run_method(setup, random_methods[sae_methods[0]], budget)
        n_max = self._n_matched(runs, len(setup.test), sae_methods[0])
        for name in spec.baselines:
            runs[name] = (
                rejection(setup, n_max, budget)
                if name == "rejection_sampling"
                else run_method(setup, methods[name], budget)
            )
        return runs

    def _n_matched(self, runs: Runs, n_test: int, sae_method: str) -> int:
        """Rejection sampling's compute-matched n: the SAE method's generation FLOPs per test
        prompt plus its share of 10% of SAE training FLOPs, over one unsteered generation's."""
        unsteered = runs["unsteered"][0].extra["test_flops"] / max(n_test, 1)
        sae = runs[sae_method][0].extra["test_flops"] / max(n_test, 1)
        n = math.floor((sae + self.charge) / max(unsteered, 1.0))
        return int(min(max(n, 1), int(self.ctx.spec.option("rejection_max"))))

    def notes(self, train_flops: float) -> dict[str, Any]:
        spec = self.ctx.spec
        selective = [c["selective"] for c in self.concepts.values()]
        return {
            "concepts": self.concepts,
            "judge": {name: c["judge"] for name, c in self.concepts.items()},
            "pareto": self.pareto,
            "examples": self.examples,
            "identical_outputs": self.identical,
            "selective_latent_share": float(np.mean(selective)),
            "selectivity_auroc_threshold": float(spec.option("selectivity_auroc")),
            "layer": self.layer,
            "model": self.lm.name,
            "residual_norm": self.norm,
            "size": _size(spec),
            "compute": {
                "sae_training_flops": train_flops,
                "sae_training_charge_10pct": 0.1 * train_flops,
                "charge_per_test_prompt": self.charge,
                "rule": "SAE methods carry 10% of SAE training FLOPs; rejection sampling's n is "
                "matched to that total per test prompt (at least 2, at most "
                "task_options.rejection_max)",
            },
            "metrics": "automatic stand-ins for an LLM judge: MiniLM concept classifier (its "
            "accuracy on generated text in notes.judge), perplexity under the unsteered model "
            "and MiniLM relevance, both against the request without the concept; headline = "
            "harmonic mean on [0, 1]",
        }


def _size(spec: Spec) -> dict[str, Any]:
    n = int(spec.option("n_prompts"))
    return {
        "concepts": len(spec.data.datasets),
        "prompts": n,
        "validation_prompts": n_validation(spec, n),
        "test_prompts": n - n_validation(spec, n),
        "new_tokens": int(spec.option("max_new_tokens")),
        "seeds": spec.protocol.split_seeds,
        "tuning_budget": spec.protocol.tuning_budget,
        "modes": list(spec.option("modes")),
    }


def _concept_note(
    spec: Spec, cd: ConceptData, judge: dict[str, Any], choices: list[LatentChoice]
) -> dict[str, Any]:
    threshold = float(spec.option("selectivity_auroc"))
    return {
        "description": cd.concept.description,
        "examples": {
            "method_pos": len(cd.train_pos),
            "method_neg": len(cd.train_neg),
            "judge_pos": len(cd.judge_pos),
            "judge_neg": len(cd.judge_neg),
        },
        "prompts": {mode: len(p) for mode, p in cd.prompts.items()},
        "judge": judge,
        "judge_cv_auroc": judge["cv_auroc_on_training_texts"],
        "latents": [c.__dict__ for c in choices],
        "selective": bool(np.mean([c.selectivity_auroc >= threshold for c in choices]) >= 0.5),
    }


def _with_frontier(pareto: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from replication.harness.steering.judge import pareto_front

    front = pareto_front([(p["concept"], p["quality"]) for p in pareto])
    for p, on in zip(pareto, front, strict=True):
        p["on_frontier"] = on
    return pareto
