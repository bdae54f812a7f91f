"""From per-seed method runs to comparisons, verdicts and controls (the results' core).

Per (regime, dataset): the SAE method and the best baseline are each chosen by mean
validation metric (never test); the difference SAE - best baseline gets a paired bootstrap
CI and p-value; p-values are Holm-corrected across the datasets of a regime; the verdict
uses the spec's margin. Per regime: the mean delta across datasets, a hierarchical
bootstrap CI, a Wilcoxon signed-rank p-value across datasets (bootstrap p-value below six
datasets), Holm-corrected across regimes. Overall: the same across datasets on the
per-dataset delta averaged over regimes. Controls (random dictionary, raw dimensions) are
compared with the SAE method by the same machinery: the SAE is essential only where it
beats both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from replication.harness import stats
from replication.harness.context import Cell, TaskOutput


def _mean_val(cell: Cell, name: str) -> float:
    values = [r.val_metric for r in cell.runs[name]]
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else -np.inf


def _pick(cell: Cell, names: list[str]) -> str:
    return max(names, key=lambda n: _mean_val(cell, n))


def _seed_outcomes(cell: Cell, a: str, b: str) -> list[stats.SeedOutcome]:
    return [
        stats.SeedOutcome(labels=y, scores_a=ra.test_scores, scores_b=rb.test_scores, groups=g)
        for y, g, ra, rb in zip(cell.labels, cell.groups, cell.runs[a], cell.runs[b], strict=True)
    ]


def compare(
    output: TaskOutput, *, margin: float, alpha: float, n_boot: int, seed: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    metric = stats.METRICS[output.metric]
    regimes = list(dict.fromkeys(c.regime for c in output.cells))
    datasets = list(dict.fromkeys(c.dataset for c in output.cells))
    per_dataset: dict[str, dict[str, Any]] = {d: {"regimes": {}} for d in datasets}
    main_iv: dict[tuple[str, str], stats.Interval] = {}
    control_iv: dict[tuple[str, str, str], stats.Interval] = {}
    for cell in output.cells:
        methods = {}
        for name, runs in cell.runs.items():
            mean, low, high, per_seed = stats.bootstrap_metric(
                cell.labels,
                [r.test_scores for r in runs],
                cell.groups,
                metric,
                n_boot=n_boot,
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
                "configs": [r.config for r in runs],
                "flops": float(sum(r.flops for r in runs)),
                **_extras(runs),
            }
        sae = _pick(cell, output.sae_methods)
        base = _pick(cell, output.baselines)
        iv = stats.paired_bootstrap(_seed_outcomes(cell, sae, base), metric, n_boot=n_boot, rng=rng)
        main_iv[(cell.regime, cell.dataset)] = iv
        controls = {}
        for control in output.controls:
            civ = stats.paired_bootstrap(
                _seed_outcomes(cell, sae, control), metric, n_boot=n_boot, rng=rng
            )
            control_iv[(cell.regime, cell.dataset, control)] = civ
            controls[control] = {**civ.as_dict()}
        per_dataset[cell.dataset]["regimes"][cell.regime] = {
            "n_seeds": len(cell.labels),
            "test_rows": [len(y) for y in cell.labels],
            "methods": methods,
            "comparison": {"sae_method": sae, "best_baseline": base, **iv.as_dict()},
            "controls": controls,
        }
    # Holm across datasets within each regime
    for regime in regimes:
        names = [d for d in datasets if (regime, d) in main_iv]
        adjusted = stats.holm([main_iv[(regime, d)].p for d in names])
        for d, p_adj in zip(names, adjusted, strict=True):
            block = per_dataset[d]["regimes"][regime]["comparison"]
            block["p_holm"] = p_adj
            block["verdict"] = stats.verdict(
                block["ci_low"], block["ci_high"], p_adj, margin, alpha
            )
        for control in output.controls:
            adjusted_c = stats.holm([control_iv[(regime, d, control)].p for d in names])
            for d, p_adj in zip(names, adjusted_c, strict=True):
                block = per_dataset[d]["regimes"][regime]["controls"][control]
                block["p_holm"] = p_adj
                block["verdict"] = stats.verdict(
                    block["ci_low"], block["ci_high"], p_adj, margin, alpha
                )
    regime_blocks = _regime_blocks(
        regimes,
        datasets,
        main_iv,
        control_iv,
        output.controls,
        per_dataset,
        margin=margin,
        alpha=alpha,
        rng=rng,
    )
    overall = _overall(
        regimes,
        datasets,
        main_iv,
        control_iv,
        output.controls,
        per_dataset,
        margin=margin,
        alpha=alpha,
        rng=rng,
    )
    return {"datasets": per_dataset, "regimes": regime_blocks, **overall}


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


def _regime_blocks(
    regimes: list[str],
    datasets: list[str],
    main_iv: dict,
    control_iv: dict,
    controls: list[str],
    per_dataset: dict,
    *,
    margin: float,
    alpha: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    summaries = {}
    for regime in regimes:
        names = [d for d in datasets if (regime, d) in main_iv]
        summaries[regime] = stats.across_datasets([main_iv[(regime, d)] for d in names], rng=rng)
    adjusted = dict(zip(regimes, stats.holm([summaries[r].p for r in regimes]), strict=True))
    blocks = {}
    for regime in regimes:
        iv = summaries[regime]
        names = [d for d in datasets if (regime, d) in main_iv]
        verdicts = [per_dataset[d]["regimes"][regime]["comparison"]["verdict"] for d in names]
        control_blocks = {}
        for control in controls:
            civ = stats.across_datasets([control_iv[(regime, d, control)] for d in names], rng=rng)
            control_blocks[control] = {
                **civ.as_dict(),
                "verdict": stats.verdict(civ.ci_low, civ.ci_high, civ.p, margin, alpha),
            }
        blocks[regime] = {
            **iv.as_dict(),
            "p_holm": adjusted[regime],
            "verdict": stats.verdict(iv.ci_low, iv.ci_high, adjusted[regime], margin, alpha),
            "n_datasets": len(names),
            "test": "wilcoxon" if len(names) >= 6 else "bootstrap",
            "win_tie_loss": stats.win_tie_loss(verdicts),
            "controls": control_blocks,
            "sae_essential": all(c["verdict"] == "beats" for c in control_blocks.values()),
        }
    return blocks


def _averaged(ivs: list[stats.Interval]) -> stats.Interval:
    draws = np.mean(np.stack([iv.draws for iv in ivs]), axis=0)
    return stats.interval_from_draws(float(np.mean([iv.delta for iv in ivs])), draws)


def _overall(
    regimes: list[str],
    datasets: list[str],
    main_iv: dict,
    control_iv: dict,
    controls: list[str],
    per_dataset: dict,
    *,
    margin: float,
    alpha: float,
    rng: np.random.Generator,
) -> dict[str, Any]:
    dataset_ivs = {}
    for d in datasets:
        ivs = [main_iv[(r, d)] for r in regimes if (r, d) in main_iv]
        dataset_ivs[d] = _averaged(ivs)
    adjusted = dict(zip(datasets, stats.holm([dataset_ivs[d].p for d in datasets]), strict=True))
    verdicts = []
    for d in datasets:
        iv = dataset_ivs[d]
        v = stats.verdict(iv.ci_low, iv.ci_high, adjusted[d], margin, alpha)
        per_dataset[d]["overall"] = {**iv.as_dict(), "p_holm": adjusted[d], "verdict": v}
        per_dataset[d]["verdict"] = v
        verdicts.append(v)
    total = stats.across_datasets(list(dataset_ivs.values()), rng=rng)
    control_blocks = {}
    for control in controls:
        civ = stats.across_datasets(
            [
                _averaged(
                    [control_iv[(r, d, control)] for r in regimes if (r, d, control) in control_iv]
                )
                for d in datasets
            ],
            rng=rng,
        )
        control_blocks[control] = {
            **civ.as_dict(),
            "verdict": stats.verdict(civ.ci_low, civ.ci_high, civ.p, margin, alpha),
        }
    return {
        "verdict": stats.verdict(total.ci_low, total.ci_high, total.p, margin, alpha),
        "overall": {
            **total.as_dict(),
            "n_datasets": len(datasets),
            "test": "wilcoxon" if len(datasets) >= 6 else "bootstrap",
        },
        "win_tie_loss": stats.win_tie_loss(verdicts),
        "controls": {
            **control_blocks,
            "sae_essential": bool(controls)
            and all(c["verdict"] == "beats" for c in control_blocks.values()),
        },
    }
