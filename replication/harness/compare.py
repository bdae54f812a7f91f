"""From per-seed method runs to comparisons, verdicts and controls (the results' core).

Per (regime, dataset): the SAE method is chosen by its cross-validated metric (never test) and
compared with **every** baseline and every control: :func:`stats.paired_estimate` gives each
delta a standard error that counts the seeds' training luck and the test rows the seeds share,
and :func:`stats.margin_for` the margin (with the spec's absolute floor under it). The verdict
(:func:`stats.decide`): "beats" and "equivalent" must hold against each baseline
(intersection-union: the largest p), "loses" against some baseline (union: Bonferroni over the
baselines). p-values are Holm-corrected over the datasets of a regime, each kind alike.

No single baseline decides anything. The headline delta a summary reports is the one against
the baseline with the highest test metric (``best_baseline``): the strongest opponent, named
after the test pass and used only to report; a cross-validated choice would favour the baseline
whose cross-validation flatters it most (issue 24: PCA + LR, whose CV score ran 0.04 above its
test score).

Per regime: every baseline's deltas combined across datasets (:func:`stats.combine_datasets`),
judged by the same rule, Holm-corrected over regimes. Overall: each dataset's estimates
averaged over regimes, per-dataset verdicts (Holm over datasets, the brittleness share) and the
across-dataset effect (datasets as the unit), which is the headline. Controls go through the
same machinery, one comparator each; the SAE is essential only where it beats every control,
and never when there are no controls.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from replication.harness import stats
from replication.harness.context import Cell, TaskOutput

#: the label under which the per-dataset best baseline enters a family of estimates
BEST = "best_baseline"


@dataclass(frozen=True)
class Rule:
    """The verdict rule's settings, from the spec's protocol."""

    alpha: float = 0.05
    margin_kind: str = "relative_error"
    margin: float = 0.01  # absolute margin, metric units
    relative_margin: float = 0.05  # share of the error (ceiling - metric)
    n_boot: int = 1000
    level: float = 0.95
    power: float = 0.8
    margin_floor: float = stats.MARGIN_FLOOR

    @classmethod
    def from_protocol(cls, proto: Any) -> Rule:
        return cls(
            alpha=proto.alpha,
            margin_kind=proto.margin_kind,
            margin=proto.margin,
            relative_margin=proto.relative_margin,
            n_boot=proto.bootstrap_samples,
            level=1 - proto.alpha,
            margin_floor=proto.margin_floor,
        )

    def at_level(self, alpha: float) -> Rule:
        """The same rule at one look's share of alpha (its CIs at 1 - that share)."""
        return dataclasses.replace(self, alpha=alpha, level=1 - alpha)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": stats.RULE_VERSION,
            "alpha": self.alpha,
            "margin_kind": self.margin_kind,
            "absolute_margin": self.margin,
            "relative_margin": self.relative_margin,
            "margin_floor": self.margin_floor,
            "ci_level": self.level,
            "bootstrap_samples": self.n_boot,
            "power_for_mde": self.power,
            "correction": "Holm over datasets (per regime), over regimes, and over datasets "
            "overall; beats and equivalent: intersection-union over baselines; loses: "
            "Bonferroni over them",
            "headline_comparator": "the baseline with the highest test metric (reported only)",
            "test": "t with seeds x shared-test-rows standard error (Welch-Satterthwaite df)",
            "min_datasets_random_effects": stats.MIN_DATASETS_RANDOM_EFFECTS,
            "smallest_attainable_p": 0.0,
        }


def _mean_val(cell: Cell, name: str) -> float:
    values = [r.val_metric for r in cell.runs[name]]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else -np.inf


def _pick(cell: Cell, names: list[str]) -> str:
    return max(names, key=lambda n: _mean_val(cell, n))


def _seed_outcomes(cell: Cell, a: str, b: str) -> list[stats.SeedOutcome]:
    ids = cell.test_ids if len(cell.test_ids) == len(cell.labels) else [None] * len(cell.labels)
    return [
        stats.SeedOutcome(y, ra.test_scores, rb.test_scores, groups=g, ids=i)
        for y, g, i, ra, rb in zip(
            cell.labels, cell.groups, ids, cell.runs[a], cell.runs[b], strict=True
        )
    ]


# --- one family of judgements ------------------------------------------------------------------


@dataclass
class Judged:
    """One hypothesis (a cell, a regime, a dataset overall): the SAE method against its
    comparators, with ``headline`` the comparator whose delta the summary reports."""

    against: dict[str, stats.Estimate]
    headline: str

    @property
    def main(self) -> stats.Estimate:
        return self.against[self.headline]

    @property
    def comparators(self) -> dict[str, stats.Estimate]:
        """The real comparators (BEST repeats one of them)."""
        return {k: v for k, v in self.against.items() if k != BEST} or self.against


def judge_family(items: Sequence[Judged], rule: Rule) -> list[dict[str, Any]]:
    """Holm over the family, the verdict of each, and the block that records it."""
    raw = [stats.family_ps(j.comparators) for j in items]
    corrected = stats.correct(raw)
    p_holm = stats.holm([j.main.p for j in items])
    blocks = []
    for j, r, c, ph in zip(items, raw, corrected, p_holm, strict=True):
        real = j.comparators
        verdict = stats.decide(real, c, rule.alpha)
        main = j.main
        block: dict[str, Any] = {
            **main.as_dict(rule.level),
            "p_holm": ph,
            "p_beats_raw": r.beats,
            "p_loses_raw": r.loses,
            "p_equivalent_raw": r.equivalent,
            "p_beats_holm": c.beats,
            "p_loses_holm": c.loses,
            "p_equivalent_holm": c.equivalent,
            "family_size": len(items),
            "n_comparisons": len(items) * len(real),
            "n_seeds": main.n_seeds,
            "verdict": verdict,
            "mde": main.mde(rule.alpha, rule.power, family=len(items)),
            "verdict_possible": all(stats.measurable(e) for e in real.values()),
        }
        if not block["verdict_possible"]:
            block["finding"] = "no effect measurable: a standard error of 0 or undefined"
        if len(real) > 1 or j.headline not in real:
            block["against"] = {k: v.as_dict(rule.level) for k, v in real.items()}
        if verdict == "inconclusive":
            block["to_resolve"] = _to_resolve(main, real, rule.alpha / block["n_comparisons"], rule)
        blocks.append(block)
    return blocks


def _to_resolve(
    main: stats.Estimate, real: Mapping[str, stats.Estimate], alpha: float, rule: Rule
) -> dict[str, Any]:
    """What would decide an inconclusive result. Towards "equivalent" every comparator must
    get there, so the hardest one sets the seeds and test rows needed (the headline's own
    need can be far smaller); towards a difference, the headline's."""
    own = stats.resolve_more(main, alpha, rule.power)
    if own.get("towards") != "equivalent":
        return own
    needs = [stats.resolve_more(e, alpha, rule.power) for e in real.values()]
    needs = [n for n in needs if n.get("towards") == "equivalent" and n["seeds_needed"]]
    if not needs:
        return own
    return max(needs, key=lambda n: n["seeds_needed"])


# --- the comparison ----------------------------------------------------------------------------


def compare(output: TaskOutput, *, rule: Rule, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    regimes = list(dict.fromkeys(c.regime for c in output.cells))
    datasets = list(dict.fromkeys(c.dataset for c in output.cells))
    per_dataset: dict[str, dict[str, Any]] = {d: {"regimes": {}} for d in datasets}
    main: dict[tuple[str, str], Judged] = {}
    ctrl: dict[tuple[str, str, str], Judged] = {}
    for cell in output.cells:
        record, judged, controls = _cell(output, cell, rule, rng)
        main[(cell.regime, cell.dataset)] = judged
        for control, j in controls.items():
            ctrl[(cell.regime, cell.dataset, control)] = j
        per_dataset[cell.dataset]["regimes"][cell.regime] = record
    # per cell: Holm over the datasets of each regime
    for regime in regimes:
        names = [d for d in datasets if (regime, d) in main]
        for d, block in zip(
            names, judge_family([main[(regime, d)] for d in names], rule), strict=True
        ):
            per_dataset[d]["regimes"][regime]["comparison"].update(block)
        for control in output.controls:
            family = [ctrl[(regime, d, control)] for d in names]
            for d, block in zip(names, judge_family(family, rule), strict=True):
                per_dataset[d]["regimes"][regime]["controls"][control] = block
    regime_blocks = _regimes(regimes, datasets, main, ctrl, output, per_dataset, rule)
    overall = _overall(regimes, datasets, main, ctrl, output, per_dataset, rule)
    return {"rule": rule.as_dict(), "datasets": per_dataset, "regimes": regime_blocks, **overall}


def _cell(
    output: TaskOutput, cell: Cell, rule: Rule, rng: np.random.Generator
) -> tuple[dict[str, Any], Judged, dict[str, Judged]]:
    """One (regime, dataset): its methods table, the SAE against every baseline, and against
    each control."""
    methods = _methods(output, cell, stats.METRICS[output.metric], rule, rng)
    sae = _pick(cell, output.sae_methods)
    # the strongest baseline on test, for the headline only (the verdict uses every baseline)
    base = max(output.baselines, key=lambda b: _finite(methods[b]["mean"]))

    def estimate(other: str) -> stats.Estimate:
        margin = stats.margin_for(
            output.metric,
            methods[sae]["mean"],
            methods[other]["mean"],
            kind=rule.margin_kind,
            absolute=rule.margin,
            relative=rule.relative_margin,
            floor=rule.margin_floor,
        )
        return stats.paired_estimate(
            _seed_outcomes(cell, sae, other),
            output.metric,
            n_boot=rule.n_boot,
            rng=rng,
            margin=margin,
        )

    against = {b: estimate(b) for b in output.baselines}
    controls = {c: Judged({c: estimate(c)}, c) for c in output.controls}
    record = {
        "n_seeds": len(cell.labels),
        "test_rows": [len(y) for y in cell.labels],
        "methods": methods,
        "comparison": {"sae_method": sae, "best_baseline": base},
        "controls": {},
    }
    return record, Judged({**against, BEST: against[base]}, BEST), controls


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -math.inf


def _methods(
    output: TaskOutput, cell: Cell, metric: stats.BatchMetric, rule: Rule, rng: np.random.Generator
) -> dict[str, dict[str, Any]]:
    methods = {}
    for name, runs in cell.runs.items():
        mean, low, high, per_seed = stats.bootstrap_metric(
            cell.labels,
            [r.test_scores for r in runs],
            cell.groups,
            metric,
            n_boot=rule.n_boot,
            rng=rng,
        )
        methods[name] = {
            "role": _role(output, name),
            "mean": mean,
            "ci_low": low,
            "ci_high": high,
            "per_seed": per_seed,
            "val_mean": _mean_val(cell, name),
            "per_seed_val": [r.val_metric for r in runs],
            "selection": runs[0].selection if runs else "",
            "configs": [r.config for r in runs],
            "flops": float(sum(r.flops for r in runs)),
            **_extras(runs),
        }
    return methods


def _role(output: TaskOutput, name: str) -> str:
    if name in output.sae_methods:
        return "sae"
    if name in output.baselines:
        return "baseline"
    if name in output.controls:
        return "control"
    if name in output.ceilings:
        return "ceiling"
    return "other"


def _extras(runs: list[Any]) -> dict[str, Any]:
    keys = sorted({k for r in runs for k in r.extra})
    return {k: float(np.nanmean([r.extra.get(k, np.nan) for r in runs])) for k in keys}


# --- across datasets ---------------------------------------------------------------------------


def _across(judged: Sequence[Judged]) -> Judged:
    """Each comparator's estimates combined across datasets."""
    keys = list(judged[0].against)
    return Judged(
        {k: stats.combine_datasets([j.against[k] for j in judged]) for k in keys},
        judged[0].headline,
    )


def _over_regimes(judged: Sequence[Judged]) -> Judged:
    """One dataset's estimates averaged over its regimes."""
    keys = list(judged[0].against)
    return Judged(
        {k: stats.average_estimates([j.against[k] for j in judged]) for k in keys},
        judged[0].headline,
    )


def _essential(control_blocks: Mapping[str, Mapping[str, Any]]) -> bool:
    # with no controls there is no evidence that the SAE is essential
    return bool(control_blocks) and all(c["verdict"] == "beats" for c in control_blocks.values())


def _summary(
    judged: Judged, controls: dict[str, Judged], n_datasets: int, rule: Rule, family: int = 1
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The block of one summary hypothesis (already in a corrected family of ``family``)
    and its controls' blocks."""
    control_blocks = {c: judge_family([j], rule)[0] for c, j in controls.items()}
    block = judge_family([judged], rule)[0]
    block.update({"n_datasets": n_datasets, "test": judged.main.test, "family_size": family})
    return block, control_blocks


def _regimes(
    regimes: list[str],
    datasets: list[str],
    main: dict[tuple[str, str], Judged],
    ctrl: dict[tuple[str, str, str], Judged],
    output: TaskOutput,
    per_dataset: dict[str, Any],
    rule: Rule,
) -> dict[str, Any]:
    summaries, control_summaries, names_of = [], [], {}
    for regime in regimes:
        names = [d for d in datasets if (regime, d) in main]
        names_of[regime] = names
        summaries.append(_across([main[(regime, d)] for d in names]))
        control_summaries.append(
            {c: _across([ctrl[(regime, d, c)] for d in names]) for c in output.controls}
        )
    blocks = {}
    for regime, block, controls in zip(
        regimes, judge_family(summaries, rule), control_summaries, strict=True
    ):
        names = names_of[regime]
        verdicts = [per_dataset[d]["regimes"][regime]["comparison"]["verdict"] for d in names]
        control_blocks = {c: judge_family([j], rule)[0] for c, j in controls.items()}
        blocks[regime] = {
            **block,
            "n_datasets": len(names),
            "test": summaries[regimes.index(regime)].main.test,
            "win_tie_loss": stats.win_tie_loss(verdicts),
            "controls": control_blocks,
            "sae_essential": _essential(control_blocks),
        }
    return blocks


def _overall(
    regimes: list[str],
    datasets: list[str],
    main: dict[tuple[str, str], Judged],
    ctrl: dict[tuple[str, str, str], Judged],
    output: TaskOutput,
    per_dataset: dict[str, Any],
    rule: Rule,
) -> dict[str, Any]:
    by_dataset = [
        _over_regimes([main[(r, d)] for r in regimes if (r, d) in main]) for d in datasets
    ]
    verdicts = []
    for d, block in zip(datasets, judge_family(by_dataset, rule), strict=True):
        per_dataset[d]["overall"] = block
        per_dataset[d]["verdict"] = block["verdict"]
        verdicts.append(block["verdict"])
    controls = {
        c: _across(
            [
                _over_regimes([ctrl[(r, d, c)] for r in regimes if (r, d, c) in ctrl])
                for d in datasets
            ]
        )
        for c in output.controls
    }
    block, control_blocks = _summary(_across(by_dataset), controls, len(datasets), rule)
    return {
        "verdict": block["verdict"],
        "overall": block,
        "win_tie_loss": stats.win_tie_loss(verdicts),
        "controls": {**control_blocks, "sae_essential": _essential(control_blocks)},
    }
