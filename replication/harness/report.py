"""Writing a run's outputs: ``results.json``, ``summary.md`` and ``deltas.png``.

``results.json`` layout (top level)::

    task, name, spec (resolved, all defaults), spec_hash, verdict (beats/equivalent/loses/
    inconclusive), rule {version, alpha, margin_kind, absolute_margin, relative_margin, ...},
    overall {delta, ci_low, ci_high, p, se, df, margin, p_beats, p_loses, p_equivalent,
             p_beats_holm, p_loses_holm, p_equivalent_holm, mde, against {<baseline>: {...}},
             to_resolve {seeds_needed, test_rows_factor} (inconclusive only), n_datasets, test},
    regimes {<regime>: {delta, ci_low, ci_high, p, p_holm, verdict, n_datasets, test,
                        win_tie_loss, controls {<control>: {...verdict}}, sae_essential}},
    datasets {<dataset>: {verdict, overall {...}, regimes {<regime>: {
        n_seeds, test_rows, methods {<method>: {role, mean, ci_low, ci_high, per_seed,
                                                val_mean, per_seed_val, configs, flops, ...}},
        comparison {sae_method, best_baseline, delta, ci_low, ci_high, p, p_holm, verdict,
                    the rule's fields as in overall, against {<baseline>: {...}}},
        controls {<control>: {delta, ci_low, ci_high, p, p_holm, verdict}}}}}},
    controls {<control>: {delta, ci_low, ci_high, p, verdict}, sae_essential},
    win_tie_loss {n, won, tied, lost, inconclusive},
    metric, margin, alpha, sae {per-seed training reports, checkpoints},
    compute {wall_seconds, sae_training_flops, sae_training_seconds, methods {<method>: flops},
             embedding_seconds},
    provenance {packages, git_commit, python, platform, device, device_description, seeds},
    notes

Deltas are always SAE method minus the comparator, on ``metric``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        return _clean(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_results(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_clean(results), indent=2, allow_nan=False))
    tmp.replace(path)
    return path


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:+.{digits}f}" if abs(x) < 1 and x != 0 else f"{x:.{digits}g}"
    return str(x)


def _validity_and_scope(results: dict[str, Any]) -> list[str]:
    """The quality-gate outcome and the run's tests / does-not-test statement."""
    lines = []
    if results.get("verdict_reason"):
        gate = results.get("sae", {}).get("quality_gate", {})
        lines.append(
            f"- **{results['verdict']}: {results['verdict_reason']}** (the comparison "
            f"would have read {gate.get('verdict_if_valid', '?')})."
        )
    gate = results.get("sae", {}).get("quality_gate", {})
    if gate.get("saes_measured"):
        lines.append(
            f"- SAE quality gate: {gate['saes_beating_reference']} of {gate['saes_measured']} "
            f"SAE(s) beat the {gate['reference']} on held-out FVE by at least "
            f"{gate['min_fve_gain_vs_random']}. The gate cannot see {gate['cannot_see']}."
        )
    scope = results.get("scope") or {}
    if scope.get("tests"):
        lines.append(f"- Tests: {scope['tests']}.")
    if scope.get("does_not_test"):
        lines.append(f"- Does not test: {scope['does_not_test']}.")
    return lines


def write_summary(results: dict[str, Any], out_dir: Path) -> Path:
    lines = [f"# Replication: {results.get('name') or results['task']}", ""]
    overall = results["overall"]
    essential = results["controls"]["sae_essential"]
    rule = results.get("rule") or {}
    lines += [
        f"**Verdict: {results['verdict']}** (SAE method against every baseline on "
        f"{results['metric']}; {_rule_line(rule, results)}).",
        "",
        *_validity_and_scope(results),
        f"- Mean delta against the best baseline {_fmt(overall['delta'])}, "
        f"{_level(rule)} CI {_ci(overall)}, p {_p(overall['p'])} ({overall['test']}, "
        f"{overall['n_datasets']} dataset(s)).",
        *_evidence_lines(overall),
        f"- Datasets won / tied / lost / inconclusive: {_wtl(results['win_tie_loss'])}.",
        f"- SAE essential (beats random dictionary and raw dims): {essential}.",
        f"- Spec hash `{results['spec_hash'][:16]}`; device {results['provenance']['device']}; "
        f"wall time {results['compute']['wall_seconds']:.1f} s.",
        "",
        "## Regimes",
        "",
        "| regime | verdict | delta | CI | p (Holm) | won/tied/lost | SAE essential |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for regime, block in results["regimes"].items():
        lines.append(
            f"| {regime} | {block['verdict']} | {_fmt(block['delta'])} | "
            f"[{_fmt(block['ci_low'])}, {_fmt(block['ci_high'])}] | {_p(block['p_holm'])} | "
            f"{_wtl(block['win_tie_loss'])} | {block['sae_essential']} |"
        )
    lines += ["", "## Controls (SAE method minus control, all regimes)", ""]
    for name, block in results["controls"].items():
        if isinstance(block, dict):
            lines.append(f"- {name}: delta {_fmt(block['delta'])} {_ci(block)}, {block['verdict']}")
    lines += ["", "## SAE", ""]
    for report in results["sae"]["training"]:
        lines.append(
            f"- seed {report.get('seed')}: FVE {_fmt(report.get('fve'))}, "
            f"L0 {_fmt(report.get('l0'))}, "
            f"dead {_fmt(report.get('dead_fraction'))}"
        )
    datasets = results["datasets"]
    lines += [
        "",
        f"## Datasets ({len(datasets)})",
        "",
        "| dataset | regime | SAE | best baseline | delta | CI | margin | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, block in datasets.items():
        for regime, cell in block["regimes"].items():
            comp = cell["comparison"]
            sae_mean = cell["methods"][comp["sae_method"]]["mean"]
            base_mean = cell["methods"][comp["best_baseline"]]["mean"]
            lines.append(
                f"| {name} | {regime} | {_fmt(sae_mean)} | "
                f"{comp['best_baseline']} {_fmt(base_mean)} | "
                f"{_fmt(comp['delta'])} | [{_fmt(comp['ci_low'])}, {_fmt(comp['ci_high'])}] | "
                f"{_fmt(comp.get('margin'))} | {comp['verdict']} |"
            )
    lines += _judge_lines(results.get("notes") or {})
    path = out_dir / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _rule_line(rule: dict[str, Any], results: dict[str, Any]) -> str:
    if not rule:  # results written before rule 2
        return f"margin {results['margin']}, alpha {results['alpha']}"
    if rule["margin_kind"] == "relative_error":
        margin = f"margin {rule['relative_margin']:.0%} of the error (1 - metric)"
    elif rule["margin_kind"] == "absolute":
        margin = f"margin {rule['absolute_margin']}"
    else:
        margin = (
            f"margin the larger of {rule['absolute_margin']} and "
            f"{rule['relative_margin']:.0%} of the error"
        )
    return f"rule {rule['version']}: {margin}, alpha {rule['alpha']}"


def _level(rule: dict[str, Any]) -> str:
    return f"{rule.get('ci_level', 0.95):.0%}"


def _evidence_lines(block: dict[str, Any]) -> list[str]:
    """The rule's numbers: margin, corrected p of each direction, power, what would resolve."""
    if "p_beats_holm" not in block:
        return []
    lines = [
        f"- Margin {_fmt(block.get('margin'))}; corrected p: beats {_p(block['p_beats_holm'])}, "
        f"loses {_p(block['p_loses_holm'])}, equivalent {_p(block['p_equivalent_holm'])}; "
        f"smallest detectable effect (80% power) {_fmt(block.get('mde'))}.",
        "- Rule: beats and loses each need the CI beyond the margin and the corrected p below "
        "alpha (beats: against every baseline; loses: against some baseline); equivalent: "
        "both one-sided tests (the CI inside the margin).",
    ]
    more = block.get("to_resolve")
    if more and more.get("seeds_needed"):
        rows = more.get("test_rows_factor")
        rows_text = f" or about {rows:.1f}x the test rows" if rows else ""
        lines.append(
            f"- Inconclusive: about {more['seeds_needed']} split seeds{rows_text} would "
            f"resolve it towards {more['towards']}, if the delta and spread held."
        )
    return lines


def _p(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def _ci(block: dict[str, Any]) -> str:
    return f"[{_fmt(block['ci_low'])}, {_fmt(block['ci_high'])}]"


def _wtl(block: dict[str, Any]) -> str:
    return (
        " / ".join(f"{block[k]:.0%}" for k in ("won", "tied", "lost", "inconclusive"))
        + f" of {block['n']}"
    )


def write_plot(results: dict[str, Any], out_dir: Path) -> Path:
    """Per-dataset deltas (SAE minus best baseline) with 95% CIs, one panel per regime."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    regimes = list(results["regimes"])
    datasets = results["datasets"]
    n_rows = max(len(datasets), 1)
    fig, axes = plt.subplots(
        1,
        len(regimes),
        figsize=(4.2 * len(regimes), max(3.0, 0.14 * n_rows + 1.5)),
        sharey=False,
        squeeze=False,
    )
    margin = results["margin"]
    colours = {
        "beats": "#1a7f37",
        "loses": "#cf222e",
        "equivalent": "#0969da",
        "inconclusive": "#8c959f",
    }
    for ax, regime in zip(axes[0], regimes, strict=True):
        rows = [
            (name, block["regimes"][regime]["comparison"])
            for name, block in datasets.items()
            if regime in block["regimes"]
        ]
        rows.sort(key=lambda r: r[1]["delta"] if r[1]["delta"] is not None else 0.0)
        ys = np.arange(len(rows))
        for y, (_, comp) in zip(ys, rows, strict=True):
            low, high = comp["ci_low"], comp["ci_high"]
            colour = colours.get(comp.get("verdict", "inconclusive"), "#8c959f")
            if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
                ax.plot([low, high], [y, y], color=colour, linewidth=1.2)
            ax.plot([comp["delta"]], [y], "o", color=colour, markersize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        for m in (-margin, margin):
            ax.axvline(m, color="grey", linestyle="--", linewidth=0.6)
        ax.set_title(f"{regime}: {results['regimes'][regime]['verdict']}", fontsize=9)
        ax.set_xlabel(f"delta {results['metric']} (SAE - best baseline)", fontsize=8)
        if len(rows) <= 40:
            ax.set_yticks(ys, [r[0] for r in rows], fontsize=6)
        else:
            ax.set_yticks([])
    fig.suptitle(
        f"{results.get('name') or results['task']}: overall {results['verdict']}", fontsize=10
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = out_dir / "deltas.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _judge_lines(notes: dict[str, Any]) -> list[str]:
    """Steering: the concept judge's accuracy on generated text it was not trained on."""
    judges = notes.get("judge") or {}
    if not judges:
        return []
    lines = [
        "",
        "## Concept judge on generated text it was not trained on",
        "",
        "| concept | AUROC | accuracy | texts (pos / neg) |",
        "| --- | --- | --- | --- |",
    ]
    for name, judge in judges.items():
        v = judge.get("generated_validation") or {}
        lines.append(
            f"| {name} | {_share(v.get('auroc'))} | {_share(v.get('accuracy'))} | "
            f"{v.get('n_pos')} / {v.get('n_neg')} |"
        )
    return lines


def _share(x: Any) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{float(x):.3f}"
