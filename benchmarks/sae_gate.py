"""The SAE quality gate on planted data: the old gate and the new one, side by side (issue 24).

For each planted kind (``tests/test_replication/gate_world.py``: isotropic atoms, where rank-k
PCA is weak, and structured atoms with a decaying spectrum, where it is strong) and each SAE
case (a random dictionary that was never trained, an SAE after one Adam step, an SAE of
width 256 and k 8 trained for the harness's sized number of steps), print the held-out FVE
beside both references on the same held-out rows -- rank-k PCA (the old gate's) and a random
encoder with a least-squares decoder (the new one's, ``replication/harness/sae_gate.py``) --
and whether each gate passes it.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sae_gate.py [--seeds 3] [--rows 4000]

A gate that can fail for the right reason passes the trained SAEs and fails the other two
cases on both kinds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replication.harness.sae import quality_failures  # noqa: E402
from replication.harness.spec import SAESpec  # noqa: E402
from tests.test_replication.gate_world import CASES, KINDS, case_report  # noqa: E402

OLD = SAESpec(min_fve_gain_vs_random=-1.0)  # the gate before issue 24: PCA and dead latents
NEW = SAESpec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=4000)
    args = parser.parse_args()
    started = time.perf_counter()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(
        "\n| planted | SAE | held-out FVE | rank-k PCA | random encoder + LS decoder | "
        "old gate passes | new gate passes |\n| --- | --- | --- | --- | --- | --- | --- |"
    )
    for kind in KINDS:
        for case in CASES:
            reports = [case_report(kind, case, seed=s, n=args.rows) for s in range(args.seeds)]

            def mean(key: str, reports: list[dict] = reports) -> str:
                return f"{np.mean([r[key] for r in reports]):.3f}"

            old = sum(not quality_failures([r], OLD) for r in reports)
            new = sum(not quality_failures([r], NEW) for r in reports)
            print(
                f"| {kind} | {case} | {mean('fve')} | {mean('pca_fve')} | {mean('random_fve')} | "
                f"{old}/{len(reports)} | {new}/{len(reports)} |"
            )
    print(
        f"\n{args.seeds} seeds x {args.rows} rows each (d 64; isotropic 1024 atoms, structured "
        "128; 4 active; SAE width 256, k 8); "
        f"{time.perf_counter() - started:.0f} s; load average after: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
