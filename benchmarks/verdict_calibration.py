"""Calibration of the verdict rule through the real harness, on planted data.

Run from the repository root:

    .venv/bin/python benchmarks/verdict_calibration.py --harness [--replicates 12]
        [--cases null,win,loss,ceiling,win_2x,loss_2x] [--protocol KEY=VALUE] [--out FILE]
    .venv/bin/python benchmarks/verdict_calibration.py --table-from LOG [LOG ...]

The planted cases and how each replicate runs through ``run_spec`` (a ``source = "arrays"``
sparse-probing spec, the path ``python -m replication run SPEC --out DIR`` takes) are in
:mod:`replication.harness.calibration`: null (labels independent of the rows), win (atom 0 or
its opposite: two ReLU'd SAE latents read it, no linear probe can), loss (a dense direction),
ceiling (a strong atom, every method near AUROC 1.0), and win_2x / loss_2x (the win and the
loss with a share of labels flipped, so the gap to the nearest baseline is about twice the
margin); 2,000 labelled rows and 640 test rows per
seed; the default baselines (logistic regression, PCA + LR, kNN) and the spec's verdict
rule with its defaults.

The table gives per case: counts, rates with Wilson 95% intervals, the median delta against the
best baseline and margin, the split seeds each run used, and the base seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replication.harness.calibration import (  # noqa: E402
    CASES,
    PROTOCOL,
    one_run,
    planted_sae,
    wilson,
    world,
)

VERDICTS = ("beats", "equivalent", "loses", "inconclusive")


def table(rows_by_case: dict[str, list[dict[str, Any]]]) -> str:
    lines = [
        "| case | expected | n | " + " | ".join(VERDICTS) + " | median delta | median margin "
        "| worst baseline, in margins (median) | seeds used (median, range) | gate passed "
        "| base seeds |",
        "|---" * 11 + "|",
    ]
    for name, rows in rows_by_case.items():
        n = len(rows)
        counts = Counter(r["verdict"] for r in rows)
        cells = []
        for v in VERDICTS:
            low, high = wilson(counts[v], n)
            cells.append(f"{counts[v]}/{n} = {counts[v] / n:.2f} [{low:.2f}, {high:.2f}]")
        used = [r["seeds_used"] for r in rows]
        seeds = [r["seed"] for r in rows]
        lines.append(
            f"| {name} | {CASES[name].expected} | {n} | "
            + " | ".join(cells)
            + f" | {np.median([r['delta'] for r in rows]):+.4f}"
            f" | {np.median([r['margin'] for r in rows]):.4f}"
            f" | {_median(rows, 'worst_in_margins'):+.1f}"
            f" | {np.median(used):g} ({min(used)}-{max(used)})"
            f" | {sum(r['gate_passed'] for r in rows)}/{n} | {seeds[0]}-{seeds[-1]} |"
        )
    return "\n".join(lines)


def _median(rows: list[dict[str, Any]], key: str) -> float:
    values = [r[key] for r in rows if key in r]  # logs from before the column: nan
    return float(np.median(values)) if values else float("nan")


def method_means(rows_by_case: dict[str, list[dict[str, Any]]]) -> str:
    lines = []
    for name, rows in rows_by_case.items():
        keys = rows[0]["means"].keys()
        parts = [f"{k} {np.mean([r['means'][k] for r in rows]):.3f}" for k in keys]
        lines.append(f"- {name}: mean test AUROC: " + ", ".join(parts))
    return "\n".join(lines)


REPLICATE = "replicate "


def report(
    rows_by_case: dict[str, list[dict[str, Any]]], seconds: float,
    protocol: dict[str, Any] | None,
) -> str:
    """The table and the means; ``protocol`` None: read back from logs (their own headers)."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    n = max((len(rows) for rows in rows_by_case.values()), default=0)
    first = (protocol or {}).get("split_seeds", PROTOCOL["split_seeds"])
    changed = (
        "as the logs' runs were started" if protocol is None
        else ", ".join(f"{k} = {v}" for k, v in protocol.items()) or "none"
    )
    return (
        table(rows_by_case)
        + "\n\n"
        + method_means(rows_by_case)
        + f"\n\nup to {n} replicates per case, first look at {first} split seeds; protocol "
        f"changed from the defaults: {changed}; {seconds:.0f} s; load average {' '.join(load)}"
    )


def run_harness(
    names: list[str], replicates: int, first_seed: int, protocol: dict[str, Any]
) -> str:
    """Replicates seed by seed, every case in turn (so a run cut short covers every case);
    each replicate printed as one JSON line that ``--table-from`` can read back."""
    started = time.perf_counter()
    rows_by_case: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        atoms, _ = world()
        sae = planted_sae(atoms, work / "sae")
        for seed in range(first_seed, first_seed + replicates):
            for name in names:
                row = one_run(CASES[name], atoms, sae, seed, work, **protocol)
                row.pop("results")
                rows_by_case[name].append(row)
                print(REPLICATE + json.dumps({"case": name, **row}), flush=True)
    return report(rows_by_case, time.perf_counter() - started, protocol)


def table_from(logs: list[str]) -> str:
    """The table of the replicate lines in ``logs`` (runs cut short or run in parts)."""
    rows_by_case: dict[str, list[dict[str, Any]]] = {}
    for log in logs:
        for line in Path(log).read_text().splitlines():
            if line.startswith(REPLICATE):
                row = json.loads(line[len(REPLICATE) :])
                rows_by_case.setdefault(row.pop("case"), []).append(row)
    ordered = {name: rows_by_case[name] for name in CASES if name in rows_by_case}
    return report(ordered, 0.0, None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness", action="store_true", help="planted data through run_spec")
    parser.add_argument("--replicates", type=int, default=12)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--out", default="")
    parser.add_argument("--table-from", nargs="*", default=[], help="logs of earlier runs")
    parser.add_argument(
        "--protocol", action="append", default=[], metavar="KEY=VALUE",
        help="a protocol field changed for every case (a what-if, e.g. max_split_seeds=60); "
        "the shipped defaults otherwise",
    )
    args = parser.parse_args()
    if args.table_from:
        print(table_from(args.table_from))
        return
    if not args.harness:
        parser.error("only --harness is available: the simulation of a copy of the rule is gone")
    protocol = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.protocol)}
    text = run_harness(args.cases.split(","), args.replicates, args.first_seed, protocol)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
