"""Seeds by design: add split seeds in stages until the verdict is decided or the budget is spent.

The spec's ``protocol.split_seeds`` is the first look and ``protocol.max_split_seeds`` the most
the run may use. After each look the harness compares what it has at the nominal level of that
look's exact group-sequential boundary under O'Brien-Fleming spending (Lan-DeMets, information
= seeds / most seeds; :func:`stats.look_alphas`: over all looks a false verdict has chance
alpha); a decided verdict (beats, loses, equivalent) stops the run, an inconclusive one
adds seeds. The next stage is planned from the standard error seen so far: enough seeds to
detect ``protocol.smallest_effect`` beyond the margin with 80% power, at least double the seeds,
at most the budget. The look times are fixed by the seeds, never by the observed delta. Every
look (seeds, its alpha, its verdict, delta and CI) is recorded in results.json (``looks``).
A look where some comparison has no positive standard error (identical outputs, every method
at the metric's bound on every seed: "no effect measurable") also stops the run: more seeds of
the same kind would only spend the budget on a result no look can decide (rule 4).

A task looks in stages only when it can add seeds cheaply and honestly: it has ``run_seeds`` and
every split seed shares one fit pool (a transductive fit or a loaded checkpoint). With one SAE
per split seed (the inductive default) a seed beyond the SAEs trained would test rows its SAE
was fit on, so such a run looks once.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from replication.harness import stats
from replication.harness.compare import Rule, compare
from replication.harness.context import Cell, TaskContext, TaskOutput

DECIDED = ("beats", "loses", "equivalent")
PLANNED_POWER = 0.8


def can_stage(task: Any, ctx: TaskContext) -> bool:
    """Seeds are added in stages only where every seed shares one fit pool (one SAE)."""
    return bool(task.stages_seeds) and len(ctx.fit_pools) <= 1


def run(task: Any, ctx: TaskContext, rule: Rule, *, seed: int) -> tuple[TaskOutput, dict[str, Any]]:
    """The task's output over the seeds used and the comparison at the deciding look."""
    proto = ctx.spec.protocol
    first = proto.split_seeds
    most = max(first, proto.max_split_seeds) if can_stage(task, ctx) else first
    if most == first:
        output = task.run(ctx)
        core = compare(output, rule=rule, seed=seed)
        core["looks"] = [_look(core, first, rule.alpha)]
        core["design"] = _design(first, first, rule, proto.smallest_effect, "one look")
        return output, core
    output = task.run_seeds(ctx, range(first))
    looks: list[dict[str, Any]] = []
    while True:
        n = _n_seeds(output)
        # this look's level from the exact boundaries given the looks before it
        level = stats.look_alphas([*(look["seeds"] for look in looks), n], rule.alpha, most)[-1]
        core = compare(output, rule=rule.at_level(level), seed=seed)
        looks.append(_look(core, n, level))
        if core["verdict"] in DECIDED or n >= most or not _measurable(core):
            break
        nxt = _next_stage(core, n, most, proto.smallest_effect, rule.alpha)
        output = merge(output, task.run_seeds(ctx, range(n, nxt)))
    core["looks"] = looks
    if core["verdict"] in DECIDED:
        stop = "decided"
    elif not _measurable(core):
        stop = "no effect measurable"
    else:
        stop = "seed budget spent"
    core["design"] = _design(first, most, rule, proto.smallest_effect, stop)
    return output, core


def _measurable(core: dict[str, Any]) -> bool:
    """Whether the look's headline comparisons all had a positive standard error."""
    return bool(core["overall"].get("verdict_possible", True))


def _n_seeds(output: TaskOutput) -> int:
    return min(len(c.labels) for c in output.cells)


def _next_stage(core: dict[str, Any], n: int, most: int, effect: float, alpha: float) -> int:
    """Seeds for 80% power at the se seen so far (se shrinking as 1 / sqrt(seeds)), both to
    call a true ``effect`` beyond the margin and a true zero equivalent; at least double the
    seeds, at most ``most``."""
    overall = core["overall"]
    se, margin = overall.get("se", math.nan), overall.get("margin", 0.0)
    family = max(1, int(overall.get("n_comparisons", 1)))
    # a difference of ``effect`` must clear the margin; a zero one must sit inside it
    target = max(min(effect - margin, margin), 1e-9)
    crit = stats._t_quantile(1 - alpha / (2 * family), math.inf) + stats._t_quantile(
        PLANNED_POWER, math.inf
    )
    needed = n * (se * crit / target) ** 2 if math.isfinite(se) and margin >= 0 else most
    return int(min(most, max(2 * n, math.ceil(needed))))


def _look(core: dict[str, Any], n: int, level: float) -> dict[str, Any]:
    o = core["overall"]
    return {
        "seeds": n,
        "alpha": level,
        "verdict": core["verdict"],
        "measurable": _measurable(core),
        **{k: o.get(k) for k in ("delta", "ci_low", "ci_high", "se", "margin")},
    }


def _design(first: int, most: int, rule: Rule, effect: float, stop: str) -> dict[str, Any]:
    return {
        "first_look_seeds": first,
        "max_split_seeds": most,
        "smallest_effect": effect,
        "spending": "Lan-DeMets O'Brien-Fleming, information = seeds / max_split_seeds; "
        "each look's alpha is the nominal level of its exact group-sequential boundary "
        "(recursive integration; the chance of crossing at any look is alpha)",
        "alpha": rule.alpha,
        "stopped": stop,
    }


def merge(a: TaskOutput, b: TaskOutput) -> TaskOutput:
    """``a`` with ``b``'s seeds appended to each (regime, dataset) cell."""
    extra = {(c.regime, c.dataset): c for c in b.cells}
    cells = []
    for c in a.cells:
        more = extra[(c.regime, c.dataset)]
        runs = {k: [*v, *more.runs.get(k, [])] for k, v in c.runs.items()}
        cells.append(
            Cell(
                regime=c.regime,
                dataset=c.dataset,
                labels=[*c.labels, *more.labels],
                groups=[*c.groups, *more.groups],
                test_ids=[*c.test_ids, *more.test_ids],
                runs=runs,
            )
        )
    return dataclasses.replace(a, cells=cells)
