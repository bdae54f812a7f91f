"""Benchmark of evaluations/scoring.py on 1,000,000 random forecasts, beside scoringrules.

Run from the repository root:  .venv/bin/python benchmarks/scoring.py [--n 1000000]

Forecasts p ~ Uniform(0, 1) and outcomes y ~ Bernoulli(p) (float 0/1), with a fixed seed.
Each function runs on the same arrays; the table shows the best and median of --repeat
runs (after one warm-up), in milliseconds. Targets: Brier + log + calibration table under
0.5 s in total, and our Brier score no slower than scoringrules.brier_score.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluations import scoring  # noqa: E402


def timed(function, repeat: int) -> tuple[float, float]:
    function()  # warm-up
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        runs.append(time.perf_counter() - start)
    return min(runs), statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20241011)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    p = rng.random(args.n)
    y = (rng.random(args.n) < p).astype(np.float64)

    import scoringrules

    # Same answers first: a fast wrong result would be no result.
    ours = scoring.brier_score(p, y)
    theirs = np.asarray(scoringrules.brier_score(y, p))
    assert np.allclose(ours, theirs), "Brier scores differ from scoringrules"

    rows = [
        ("scoring.brier_score", lambda: scoring.brier_score(p, y)),
        ("scoring.log_score", lambda: scoring.log_score(p, y)),
        ("scoring.calibration_table (10 bins)", lambda: scoring.calibration_table(p, y, 10)),
        ("scoring.casper_points", lambda: scoring.casper_points(p, y)),
        ("scoring.murphy_decomposition (10 bins)",
         lambda: scoring.murphy_decomposition(p, y, bins=10)),
        ("scoringrules.brier_score", lambda: scoringrules.brier_score(y, p)),
    ]
    results = {name: timed(function, args.repeat) for name, function in rows}

    def total() -> None:
        scoring.brier_score(p, y)
        scoring.log_score(p, y)
        scoring.calibration_table(p, y, 10)

    results["Brier + log + calibration (one pass each)"] = timed(total, args.repeat)

    print(f"n = {args.n:,} forecasts, best/median of {args.repeat} runs; numpy {np.__version__}, "
          f"scoringrules {scoringrules.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print()
    print("| function | best (ms) | median (ms) |")
    print("|---|---:|---:|")
    for name, (best, median) in results.items():
        print(f"| `{name}` | {best * 1000:.1f} | {median * 1000:.1f} |")
    ours_best = results["scoring.brier_score"][0]
    theirs_best = results["scoringrules.brier_score"][0]
    combined = results["Brier + log + calibration (one pass each)"][1]
    print()
    print(f"Brier: ours / scoringrules = {ours_best / theirs_best:.2f} (best runs); "
          f"Brier + log + calibration median {combined * 1000:.0f} ms "
          f"({'under' if combined < 0.5 else 'OVER'} the 0.5 s target).")
    return 0 if combined < 0.5 and ours_best <= theirs_best else 1


if __name__ == "__main__":
    raise SystemExit(main())
