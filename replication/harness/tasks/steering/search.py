"""Steering, step 5: choosing each method's setting on validation prompts, then one test pass.

Every method tries exactly ``protocol.tuning_budget`` settings on the validation prompts (fewer
only when it has fewer distinct settings): a strength method through the two-stage strength
search of :mod:`replication.harness.tuning` (half the budget spread over its span, the rest
inside the bracket the concept/quality trade-off points to), prompting over that many
templates, rejection sampling over that many sample counts. A setting that leaves the residual
stream unchanged (or rejection sampling's n = 1, the unsteered model) is a no-op and is never
chosen while an effective one exists. The chosen setting generates the test prompts once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from replication.harness.steering import judge as jd
from replication.harness.steering.lm import Generation
from replication.harness.tasks.steering.methods import Method
from replication.harness.tasks.steering.preparation import Prompt
from replication.harness.tasks.steering.scoring import NO_OP_EFFECT, Setup
from replication.harness.tuning import (
    MethodRun,
    StrengthPoint,
    budgeted_grid,
    choose_strength,
    interior_ladder,
    refine_strengths,
)

Points = list[dict[str, Any]]


def _point(config: dict[str, Any], sc: jd.Scores, effective: bool, stage: str) -> dict[str, Any]:
    return {
        "config": config,
        "headline": float(sc.headline.mean()),
        "concept": float(sc.concept.mean()),
        "quality": float(jd.harmonic(sc.fluency, sc.relevance).mean()),
        "effective": bool(effective),
        "stage": stage,
    }


def _evaluate(
    setup: Setup, method: Method, configs: list[dict[str, Any]], stage: str
) -> tuple[Points, float]:
    """Every setting on every validation prompt, in one batched generation (and its FLOPs)."""
    rows = [(c, p) for c in configs for p in setup.val]
    hook = method.build([c for c, _ in rows])
    g = setup.gen([method.ask(c, p.asked) for c, p in rows], hook)
    scores = setup.score([p for _, p in rows], g)
    intervention = method.build(configs)
    effect = setup.effect(intervention, len(configs)) if intervention is not None else None
    n, out = len(setup.val), []
    for i, c in enumerate(configs):
        sl = slice(i * n, (i + 1) * n)
        part = jd.Scores(
            scores.concept[sl], scores.fluency[sl], scores.relevance[sl], scores.headline[sl]
        )
        # prompting rewrites the prompt: effective by construction; the unsteered model is not
        effective = bool(effect[i] > NO_OP_EFFECT) if effect is not None else bool(c)
        out.append(_point(c, part, effective, stage))
    return out, g.flops + _hook_flops(hook, g)


def _as_strength(p: dict[str, Any], axis: str) -> StrengthPoint:
    return StrengthPoint(
        float(p["config"][axis]), p["headline"], p["concept"], p["quality"], p["effective"]
    )


def search(setup: Setup, method: Method, budget: int) -> tuple[Points, int, float]:
    """The settings tried (with their validation scores), the index of the chosen one, and
    the FLOPs spent on the validation prompts."""
    if method.span is None:
        points, flops = _evaluate(setup, method, method.grid, "grid")
        return points, choose_strength([_as_grid(p, i) for i, p in enumerate(points)]), flops
    low, high = method.span
    first = math.ceil(budget / 2)
    ladder = interior_ladder(low, high, first)
    points, flops = _evaluate(setup, method, [{method.axis: s} for s in ladder], "span")
    mapped = [_as_strength(p, method.axis) for p in points]
    inside = refine_strengths(mapped, low, high, budget - first)
    if inside:
        more, cost = _evaluate(setup, method, [{method.axis: s} for s in inside], "bracket")
        points, flops = points + more, flops + cost
    return points, choose_strength([_as_strength(p, method.axis) for p in points]), flops


def _as_grid(p: dict[str, Any], i: int) -> StrengthPoint:
    return StrengthPoint(float(i), p["headline"], p["concept"], p["quality"], p["effective"])


def run_method(setup: Setup, method: Method, budget: int) -> tuple[MethodRun, Points]:
    """Search on the validation prompts, then generate the test prompts once."""
    points, best, val_flops = search(setup, method, budget)
    chosen = points[best]["config"]
    prompts = setup.test
    gt = setup.gen(
        [method.ask(chosen, p.asked) for p in prompts], method.build([chosen] * len(prompts))
    )
    st = setup.score(prompts, gt)
    run = MethodRun(
        val_metric=points[best]["headline"],
        test_scores=st.headline.astype(np.float64),
        config={**chosen, "effective": points[best]["effective"]},
        flops=val_flops + gt.flops + _hook_flops(method.build([chosen]), gt),
        extra={**{f"test_{k}": v for k, v in st.means().items()}, "test_flops": gt.flops},
    )
    return run, points + [{"test_texts": gt.texts}]


def _hook_flops(intervention: Any, g: Generation) -> float:
    if intervention is None:
        return 0.0
    tokens = g.prompt_tokens + sum(len(t) for t in g.new_tokens)
    return float(intervention.extra_flops_per_token() * tokens)


def rejection(setup: Setup, n_max: int, budget: int) -> tuple[MethodRun, Points]:
    """Best of n unsteered samples, chosen by the probe (trained on method-half texts) on each
    sample's pooled activations: lowest score when suppressing, highest when steering.
    n >= 2 (n = 1 is the unsteered model); n_max is the compute-matched count."""
    n_max = max(n_max, 2)
    grid = budgeted_grid(
        {"n": list(range(2, n_max + 1))}, budget, np.random.default_rng(setup.seed)
    )
    val = _candidates(setup, setup.val, n_max)
    points = []
    for c in grid:
        sc = setup.score(setup.val, _pick(setup, val, c["n"], n_max))
        points.append(_point(c, sc, True, "grid"))
    best = choose_strength([_as_grid(p, i) for i, p in enumerate(points)])
    n = points[best]["config"]["n"]
    test = _candidates(setup, setup.test, n_max)
    gt = _pick(setup, test, n, n_max)
    st = setup.score(setup.test, gt)
    # only n of the n_max test candidates are used: charge n of them (validation: all)
    test_cost = test[3] * n / n_max
    run = MethodRun(
        val_metric=points[best]["headline"],
        test_scores=st.headline.astype(np.float64),
        config={"n": n, "n_compute_matched": n_max, "effective": True},
        flops=val[3] + test_cost,
        extra={**{f"test_{k}": v for k, v in st.means().items()}, "test_flops": test_cost},
    )
    return run, points + [{"test_texts": gt.texts}]


def _candidates(
    setup: Setup, prompts: list[Prompt], n_max: int
) -> tuple[list[list[int]], list[str], np.ndarray, float]:
    from replication.harness.steering.lm import collect_token_activations

    g = setup.gen([p.asked for p in prompts for _ in range(n_max)])
    acts = collect_token_activations(
        setup.lm,
        [t or "." for t in g.texts],
        layer=setup.layer,
        max_length=setup.ctx.spec.activations.max_length,
    )
    probe = setup.directions.probe_model.decision_function(acts.pooled())
    detect = 2.0 * setup.lm.n_params * len(acts.acts)
    return g.new_tokens, g.texts, probe.reshape(len(prompts), n_max), g.flops + detect


def _pick(setup: Setup, cands: tuple[Any, ...], n: int, n_max: int) -> Generation:
    tokens, texts, probe, _ = cands
    sign = 1.0 if setup.suppress else -1.0
    idx = [int(np.argmin(sign * probe[i, :n])) + i * n_max for i in range(probe.shape[0])]
    return Generation([texts[j] for j in idx], [tokens[j] for j in idx], 0, 0.0)
