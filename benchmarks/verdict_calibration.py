"""Calibration of the verdict rule, before (rule 1, main's stats.py) and after (rule 2).

Run from the repository root:  .venv/bin/python benchmarks/verdict_calibration.py
[--runs 500] [--old-ref main]

Simulated fair fights with the harness's real splits and seeds and simulated scores
(tests/test_replication/verdict_simulation.py): 400 rows per dataset, 5 split seeds of 128
test rows (the 113-dataset spec's structure), one baseline. Rule 1 is loaded from git
(``git show REF:replication/harness/stats.py``) and applied as compare.py applied it: paired
bootstrap (500 samples, the shipped specs' setting), Holm over datasets, absolute margin
0.01, "loses" on the CI alone. Rule 2 is the harness's current rule with its defaults
(margin 5% of the error). Rows:

- null: both methods at AUROC 0.8; the rate of "beats" and of "loses" (each should be at
  most alpha = 0.05), and of a two-sided p < 0.05 for "no difference" (should be 0.05);
- the standard error each rule reports against the true spread of the delta over runs;
- +d / -d: the method at 0.8 + d/2 against 0.8 - d/2, and the mirror image;
- planted: a method at 1.000 on every seed against a baseline at 0.978; a loss on 9 of 10
  seeds (0.511 against 0.582);
- a family of 113 datasets at +0.04 and at -0.04 per dataset: the share won and lost.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replication.harness import stats  # noqa: E402
from tests.test_replication.test_verdict_calibration import _planted  # noqa: E402
from tests.test_replication.verdict_simulation import (  # noqa: E402
    Design,
    new_rule,
    simulate,
    verdict_rates,
)

ALPHA = 0.05
OLD_BOOT = 500


def load_old(ref: str) -> types.ModuleType:
    source = subprocess.run(
        ["git", "show", f"{ref}:replication/harness/stats.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("old_stats")
    sys.modules["old_stats"] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:replication/harness/stats.py", "exec"), module.__dict__)  # noqa: S102
    return module


def old_rule(old: types.ModuleType):  # noqa: ANN201
    def intervals(family, rng):  # noqa: ANN001, ANN202
        out = []
        for seeds in family:
            olds = [old.SeedOutcome(s.labels, s.scores_a, s.scores_b) for s in seeds]
            out.append(old.paired_bootstrap(olds, old.auroc_rows, n_boot=OLD_BOOT, rng=rng))
        return out

    def rule(family, alpha, rng):  # noqa: ANN001, ANN202
        ivs = intervals(family, rng)
        adjusted = old.holm([iv.p for iv in ivs])
        return [
            old.verdict(iv.ci_low, iv.ci_high, p, 0.01, alpha)
            for iv, p in zip(ivs, adjusted, strict=True)
        ]

    rule.intervals = intervals  # type: ignore[attr-defined]
    return rule


def null_spread(old: types.ModuleType, design: Design, runs: int) -> dict[str, float]:
    """p < 0.05 rate for 'no difference', and reported se against the true sd of delta."""
    rng = np.random.default_rng(7)
    deltas, old_se, new_se, old_p, new_p = [], [], [], [], []
    for _ in range(runs):
        seeds = simulate(design, 0.8, 0.8, rng)
        iv = old_rule(old).intervals([seeds], rng)[0]  # type: ignore[attr-defined]
        est = stats.paired_estimate(seeds, "auroc", n_boot=300, rng=rng)
        deltas.append(est.delta)
        old_se.append((iv.ci_high - iv.ci_low) / (2 * 1.959964))
        new_se.append(est.se)
        old_p.append(iv.p)
        new_p.append(est.p)
    return {
        "true_sd": float(np.std(deltas, ddof=1)),
        "old_se": float(np.mean(old_se)),
        "new_se": float(np.mean(new_se)),
        "old_p05": float(np.mean(np.array(old_p) < 0.05)),
        "new_p05": float(np.mean(np.array(new_p) < 0.05)),
    }


def mirror_mismatches(rules: dict, design: Design, runs: int) -> list[float]:
    """Share of runs (0.825 against 0.775) where the verdict with the methods swapped is not
    the mirror image (beats <-> loses) of the verdict: a symmetric rule gives 0."""
    swap = {"beats": "loses", "loses": "beats"}
    rng = np.random.default_rng(13)
    bad = dict.fromkeys(rules, 0)
    for i in range(runs):
        seeds = simulate(design, 0.825, 0.775, rng)
        swapped = [stats.SeedOutcome(s.labels, s.scores_b, s.scores_a, ids=s.ids) for s in seeds]
        for name, rule in rules.items():
            v = rule([seeds], ALPHA, np.random.default_rng(i))[0]
            w = rule([swapped], ALPHA, np.random.default_rng(i))[0]
            bad[name] += swap.get(v, v) != w
    return [bad[name] / runs for name in rules]


def planted_verdicts(old: types.ModuleType) -> dict[str, tuple[str, str]]:
    out = {}
    for name, a, b, seed in (
        ("method 1.000 vs baseline 0.978, 10 seeds", [1.0] * 10, [0.978] * 10, 5),
        ("loss on 9 of 10 seeds, 0.511 vs 0.582", [0.511] * 10, [0.582] * 10, 1),
    ):
        seeds = _planted(a, b, np.random.default_rng(seed))
        rng = np.random.default_rng(0)
        old_v = old_rule(old)([seeds], ALPHA, rng)[0]
        new_v = new_rule(n_boot=1000)([seeds], ALPHA, rng)[0]
        out[name] = (old_v, new_v)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--family-runs", type=int, default=3)
    parser.add_argument("--old-ref", default="main")
    args = parser.parse_args()
    started = time.perf_counter()
    old = load_old(args.old_ref)
    design = Design.of(n_rows=400, seeds=5)
    rules = {"rule 1 (before)": old_rule(old), "rule 2 (after)": new_rule(n_boot=300)}
    rows: list[tuple[str, list[str]]] = []

    def rate_rows(cases: list[tuple[str, str]], a: float, b: float, runs: int, datasets: int = 1):
        results = [
            verdict_rates(rule, design, a, b, runs=runs, datasets=datasets, seed=101)
            for rule in rules.values()
        ]
        for label, verdict in cases:
            rows.append((label, [f"{r.rate(verdict):.3f} ± {r.se(verdict):.3f}" for r in results]))

    rate_rows(
        [("null (0.80 vs 0.80): rate of beats", "beats"), ("null: rate of loses", "loses")],
        0.8,
        0.8,
        args.runs,
    )
    spread = null_spread(old, design, args.runs // 2)
    rows.append(
        (
            "null: rate of p < 0.05 for 'no difference' (should be 0.05)",
            [f"{spread['old_p05']:.3f}", f"{spread['new_p05']:.3f}"],
        )
    )
    rows.append(
        (
            f"null: reported se of delta (true sd over runs {spread['true_sd']:.4f})",
            [f"{spread['old_se']:.4f}", f"{spread['new_se']:.4f}"],
        )
    )
    for d in (0.05, 0.08):
        hi, lo = 0.8 + d / 2, 0.8 - d / 2
        rate_rows([(f"+{d:.2f} ({hi:.3f} vs {lo:.3f}): beats", "beats")], hi, lo, args.runs // 2)
        rate_rows([(f"-{d:.2f} ({lo:.3f} vs {hi:.3f}): loses", "loses")], lo, hi, args.runs // 2)
    rows.append(
        (
            "runs where swapping the two methods does not mirror the verdict",
            [f"{m:.3f}" for m in mirror_mismatches(rules, design, args.runs // 2)],
        )
    )
    for name, (old_v, new_v) in planted_verdicts(old).items():
        rows.append((f"planted: {name}", [old_v, new_v]))
    rate_rows(
        [("113 datasets at +0.04 (0.82 vs 0.78): share won", "beats")],
        0.82,
        0.78,
        args.family_runs,
        113,
    )
    rate_rows(
        [("113 datasets at -0.04 (0.78 vs 0.82): share lost", "loses")],
        0.78,
        0.82,
        args.family_runs,
        113,
    )

    width = max(len(r[0]) for r in rows)
    names = list(rules)
    print(f"| {'case'.ljust(width)} | {names[0]} | {names[1]} |")
    print(f"| {'-' * width} | --- | --- |")
    for label, cells in rows:
        print(f"| {label.ljust(width)} | {cells[0]} | {cells[1]} |")
    print(
        f"\n{args.runs} simulated runs for the null rates, {args.runs // 2} for the p and se "
        f"rows and per +-d row, "
        f"{args.family_runs} families of 113 datasets; rule 1 from {args.old_ref}; "
        f"{time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
